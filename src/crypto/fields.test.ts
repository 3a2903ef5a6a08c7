// Field encryption refuses anything but the exact value, key and place it was sealed for.
import { describe, expect, it } from 'vitest';
import { decryptField, encryptField } from './fields.js';
import { CryptoError, openAes256, randomKey } from './primitives.js';

const at = {
  table: 'pi_records',
  column: 'value_enc',
  rowId: '0190f000-0000-7000-8000-000000000001',
};

describe('field encryption', () => {
  const key = randomKey();
  const sealed = encryptField(key, '13812345678', at);

  it('round-trips and never shows the value in the ciphertext', () => {
    expect(decryptField(key, sealed, at)).toBe('13812345678');
    expect(sealed.toString('latin1')).not.toContain('13812345678');
    expect(encryptField(key, '13812345678', at).equals(sealed)).toBe(false);
  });

  it('refuses a flipped ciphertext bit', () => {
    for (const i of [1, 13, 20, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[i] = bad[i]! ^ 0x01;
      expect(() => decryptField(key, bad, at)).toThrow(CryptoError);
    }
  });

  it('refuses a value moved to another row, column or table', () => {
    expect(() =>
      decryptField(key, sealed, { ...at, rowId: '0190f000-0000-7000-8000-000000000002' }),
    ).toThrow(CryptoError);
    expect(() => decryptField(key, sealed, { ...at, column: 'email_enc' })).toThrow(CryptoError);
    expect(() => decryptField(key, sealed, { ...at, table: 'users' })).toThrow(CryptoError);
  });

  it('binds exactly the JSON of (format, table, column, row)', () => {
    const aad = Buffer.from(JSON.stringify(['custos:field:v1', at.table, at.column, at.rowId]));
    expect(openAes256(key, sealed, aad).toString()).toBe('13812345678');
    const odd = { table: 't"x', column: 'c\\y', rowId: 'r]"z' };
    const sealedOdd = encryptField(key, 'v', odd);
    expect(
      openAes256(
        key,
        sealedOdd,
        Buffer.from(JSON.stringify(['custos:field:v1', odd.table, odd.column, odd.rowId])),
      ).toString(),
    ).toBe('v');
  });

  it('refuses a wrong key', () => {
    expect(() => decryptField(randomKey(), sealed, at)).toThrow(CryptoError);
  });
});
