// Tests for the crypto primitives' policy: AES-GCM and sealed-format refusals, a frozen golden value
// that pins the on-disk format, seal/open properties, and HMAC, HKDF and key helpers. The Wycheproof
// vectors are in primitives.wycheproof.test.ts.
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  constantTimeEqual,
  gcmDecrypt,
  gcmEncrypt,
  hkdfSha256,
  hmacSha256,
  openAes256,
  randomKey,
  sealAes256,
  verifyHmacSha256,
} from './primitives.js';
import { expectRefused, flipBit, hex, refusal, utf8 } from '../../test/support/crypto-helpers.js';

// ---------------------------------------------------------------------------------------------
// AES-GCM policy, independent of the vectors

describe('gcmEncrypt / gcmDecrypt policy', () => {
  const key = hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f');
  const aad = utf8('pi_records/value/7');
  const msg = utf8('138-0013-8000');

  it('round-trips with a fresh random 12-byte IV and a 16-byte tag', () => {
    const a = gcmEncrypt(key, msg, aad);
    const b = gcmEncrypt(key, msg, aad);
    expect(a.iv).toHaveLength(12);
    expect(a.tag).toHaveLength(16);
    expect(a.iv.equals(b.iv)).toBe(false);
    expect(gcmDecrypt(key, a.iv, a.ciphertext, a.tag, aad).equals(msg)).toBe(true);
  });

  it.each([4, 8, 12, 15])('refuses a tag truncated to %i bytes (bad-tag-length)', (n) => {
    const { iv, ciphertext, tag } = gcmEncrypt(key, msg, aad);
    expectRefused(() => gcmDecrypt(key, iv, ciphertext, tag.subarray(0, n), aad), 'bad-tag-length');
  });

  it.each([0, 1, 8, 11, 13, 16, 64])('refuses a %i-byte IV on both sides (bad-iv-length)', (n) => {
    const { ciphertext, tag } = gcmEncrypt(key, msg, aad);
    expectRefused(() => gcmEncrypt(key, msg, aad, Buffer.alloc(n)), 'bad-iv-length');
    expectRefused(() => gcmDecrypt(key, Buffer.alloc(n), ciphertext, tag, aad), 'bad-iv-length');
  });

  it.each([0, 15, 17, 31, 33, 64])('refuses a %i-byte key on both sides (bad-key-length)', (n) => {
    const { iv, ciphertext, tag } = gcmEncrypt(key, msg, aad);
    expectRefused(() => gcmEncrypt(Buffer.alloc(n), msg, aad), 'bad-key-length');
    expectRefused(() => gcmDecrypt(Buffer.alloc(n), iv, ciphertext, tag, aad), 'bad-key-length');
  });

  it('accepts 128- and 192-bit keys too', () => {
    for (const n of [16, 24]) {
      const k = Buffer.alloc(n, 7);
      const { iv, ciphertext, tag } = gcmEncrypt(k, msg, aad);
      expect(gcmDecrypt(k, iv, ciphertext, tag, aad).equals(msg)).toBe(true);
    }
  });

  it('error messages never carry key or plaintext bytes', () => {
    const secretKey = hex('deadbeef'.repeat(8));
    const secretMsg = utf8('secret-plaintext-value');
    const { iv, ciphertext, tag } = gcmEncrypt(secretKey, secretMsg, aad);
    const errors = [
      refusal(() => gcmDecrypt(secretKey, iv, ciphertext, flipBit(tag, 0), aad)),
      refusal(() => gcmDecrypt(secretKey.subarray(1), iv, ciphertext, tag, aad)),
      refusal(() => gcmDecrypt(secretKey, iv.subarray(1), ciphertext, tag, aad)),
      refusal(() => openAes256(secretKey, Buffer.alloc(40), aad)),
      refusal(() => sealAes256(secretKey, secretMsg, Buffer.alloc(0))),
    ];
    for (const error of errors) {
      expect(error.name).toBe('CryptoError');
      expect(error.message).not.toMatch(/deadbeef/i);
      expect(error.message).not.toContain('secret-plaintext');
      expect(error.message).not.toContain(secretMsg.toString('hex'));
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Sealed format policy

describe('sealAes256 / openAes256 policy', () => {
  const key = hex('603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4');
  const aad = utf8('pi_records/value/123');
  const msg = utf8('zhang.san@example.com');

  it('round-trips values of many sizes, from Uint8Array inputs too', () => {
    for (const n of [0, 1, 15, 16, 17, 1024, 65_537]) {
      const pt = new Uint8Array(n).map((_, i) => i * 31);
      const sealed = sealAes256(new Uint8Array(key), pt, new Uint8Array(aad));
      expect(sealed).toHaveLength(1 + 12 + n + 16);
      expect(sealed[0]).toBe(0x01);
      expect(openAes256(key, new Uint8Array(sealed), aad).equals(Buffer.from(pt))).toBe(true);
    }
  });

  it('uses a fresh IV each time', () => {
    const a = sealAes256(key, msg, aad);
    const b = sealAes256(key, msg, aad);
    expect(a.subarray(1, 13).equals(b.subarray(1, 13))).toBe(false);
    expect(a.equals(b)).toBe(false);
  });

  it('refuses an explicit flip of a ciphertext bit (auth-failed)', () => {
    const sealed = sealAes256(key, msg, aad);
    expectRefused(() => openAes256(key, flipBit(sealed, 13 * 8 + 3), aad), 'auth-failed');
  });

  it('refuses every single-bit flip of a small sealed value (exhaustive)', () => {
    const sealed = sealAes256(key, msg, aad);
    for (let bit = 0; bit < sealed.length * 8; bit++) {
      const reason = refusal(() => openAes256(key, flipBit(sealed, bit), aad)).reason;
      expect(reason, `bit ${bit}`).toBe(bit < 8 ? 'bad-format' : 'auth-failed');
    }
  });

  it('refuses any single-bit flip anywhere (property, fixed seed)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.nat(),
        (pt, propAad, n) => {
          const sealed = sealAes256(key, pt, propAad);
          expect(openAes256(key, sealed, propAad).equals(Buffer.from(pt))).toBe(true);
          const flipped = flipBit(sealed, n % (sealed.length * 8));
          expect(() => openAes256(key, flipped, propAad)).toThrow(CryptoError);
        },
      ),
      { seed: 0x5eed, numRuns: 500 },
    );
  });

  it('refuses the wrong AAD: row 123 sealed, row 124 asked (auth-failed)', () => {
    const sealed = sealAes256(key, msg, utf8('pi_records/value/123'));
    expectRefused(() => openAes256(key, sealed, utf8('pi_records/value/124')), 'auth-failed');
  });

  it('refuses the wrong key (auth-failed)', () => {
    const sealed = sealAes256(key, msg, aad);
    expectRefused(() => openAes256(flipBit(key, 0), sealed, aad), 'auth-failed');
    expectRefused(() => openAes256(randomKey(), sealed, aad), 'auth-failed');
  });

  it('refuses a truncated tag: the last 4 bytes cut (auth-failed)', () => {
    const sealed = sealAes256(key, msg, aad);
    expectRefused(() => openAes256(key, sealed.subarray(0, sealed.length - 4), aad), 'auth-failed');
  });

  it('refuses an appended byte (auth-failed)', () => {
    const sealed = sealAes256(key, msg, aad);
    expectRefused(() => openAes256(key, Buffer.concat([sealed, hex('00')]), aad), 'auth-failed');
  });

  it('refuses an empty AAD at seal and at open (bad-aad)', () => {
    const sealed = sealAes256(key, msg, aad);
    expectRefused(() => sealAes256(key, msg, Buffer.alloc(0)), 'bad-aad');
    expectRefused(() => openAes256(key, sealed, new Uint8Array(0)), 'bad-aad');
  });

  it.each(['00', '02', 'ff'])('refuses unknown version byte 0x%s (bad-format)', (version) => {
    const sealed = sealAes256(key, msg, aad);
    sealed[0] = Number.parseInt(version, 16);
    expectRefused(() => openAes256(key, sealed, aad), 'bad-format');
  });

  it('refuses a buffer shorter than version + IV + tag (bad-format)', () => {
    const sealed = sealAes256(key, new Uint8Array(0), aad);
    expect(sealed).toHaveLength(29);
    expect(openAes256(key, sealed, aad)).toHaveLength(0);
    expectRefused(() => openAes256(key, sealed.subarray(0, 28), aad), 'bad-format');
    expectRefused(() => openAes256(key, Buffer.alloc(0), aad), 'bad-format');
    expectRefused(() => openAes256(key, hex('01'), aad), 'bad-format');
  });

  it.each([16, 24, 31, 33])('refuses a %i-byte key at seal and open (bad-key-length)', (n) => {
    const sealed = sealAes256(key, msg, aad);
    expectRefused(() => sealAes256(Buffer.alloc(n), msg, aad), 'bad-key-length');
    expectRefused(() => openAes256(Buffer.alloc(n), sealed, aad), 'bad-key-length');
  });
});

// ---------------------------------------------------------------------------------------------
// Frozen golden vector: generated once with gcmEncrypt and an explicit IV, framed by hand as
// 01 || iv || ct || tag. If this test fails, stored data would no longer decrypt: do not update
// the constant, add a new version byte instead.

describe('sealed format golden vector (version 0x01)', () => {
  const GOLDEN = {
    key: hex('000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'),
    iv: hex('cafebabefacedbaddecaf888'),
    aad: utf8('pi_records/value/123'),
    plaintext: utf8('zhang.san@example.com'),
    sealed: hex(
      '01cafebabefacedbaddecaf888f0cbc148cd543c7a284b38a51a70f953680ea33eb2b97a19179349b5fdffd657f337fb714d',
    ),
  };

  it('openAes256 still decrypts the frozen value', () => {
    expect(openAes256(GOLDEN.key, GOLDEN.sealed, GOLDEN.aad).equals(GOLDEN.plaintext)).toBe(true);
  });

  it('gcmEncrypt with the golden IV, framed by hand, reproduces it byte for byte', () => {
    const { iv, ciphertext, tag } = gcmEncrypt(GOLDEN.key, GOLDEN.plaintext, GOLDEN.aad, GOLDEN.iv);
    const framed = Buffer.concat([hex('01'), iv, ciphertext, tag]);
    expect(framed.toString('hex')).toBe(GOLDEN.sealed.toString('hex'));
  });

  it('the golden value is bound to its row: row 124 cannot open it', () => {
    expectRefused(
      () => openAes256(GOLDEN.key, GOLDEN.sealed, utf8('pi_records/value/124')),
      'auth-failed',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// HMAC, HKDF and helpers policy

describe('hmacSha256 / verifyHmacSha256 policy', () => {
  // RFC 4231 §4.3, test case 2.
  const key = utf8('Jefe');
  const msg = utf8('what do ya want for nothing?');
  const full = hex('5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');

  it('matches RFC 4231 test case 2 and verifies it full and truncated to 16 bytes', () => {
    expect(hmacSha256(key, msg).equals(full)).toBe(true);
    expect(verifyHmacSha256(key, msg, full)).toBe(true);
    expect(verifyHmacSha256(key, msg, full.subarray(0, 16), 16)).toBe(true);
  });

  it('returns false for a tag whose length is not tagBytes', () => {
    expect(verifyHmacSha256(key, msg, full.subarray(0, 31))).toBe(false);
    expect(verifyHmacSha256(key, msg, full, 16)).toBe(false);
    expect(verifyHmacSha256(key, msg, new Uint8Array(0))).toBe(false);
  });

  it('agrees with an HMAC object on both of its paths (cached pads, long messages), any key length', () => {
    for (const keyBytes of [0, 1, 32, 63, 64, 65, 200])
      for (const msgBytes of [0, 1, 55, 64, 4096, 4097, 20_000]) {
        const k = randomBytes(keyBytes);
        const m = randomBytes(msgBytes);
        const expected = createHmac('sha256', k).update(m).digest();
        expect(hmacSha256(k, m).equals(expected)).toBe(true);
        // The second call uses the pads cached for this key buffer.
        expect(hmacSha256(k, m).equals(expected)).toBe(true);
        expect(hmacSha256(new Uint8Array(k), m).equals(expected)).toBe(true);
      }
  });

  it.each([0, 8, 15, 33, 16.5, Number.NaN])(
    'throws for tagBytes %s outside the 16..32 policy (bad-tag-length)',
    (n) => {
      expectRefused(() => verifyHmacSha256(key, msg, full.subarray(0, 8), n), 'bad-tag-length');
    },
  );
});

describe('hkdfSha256 policy', () => {
  it('derives RFC 5869 test case 3 (empty salt and info)', () => {
    const okm = hkdfSha256(hex('0b'.repeat(22)), Buffer.alloc(0), Buffer.alloc(0), 42);
    expect(okm.toString('hex')).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('allows the maximum of 8160 bytes', () => {
    expect(hkdfSha256(randomKey(), Buffer.alloc(0), Buffer.alloc(0), 8160)).toHaveLength(8160);
  });

  it.each([0, -1, 8161, 1.5, Number.NaN])('refuses length %s (bad-length)', (n) => {
    expectRefused(() => hkdfSha256(randomKey(), Buffer.alloc(0), Buffer.alloc(0), n), 'bad-length');
  });
});

describe('randomKey / constantTimeEqual', () => {
  it('makes 32-byte keys by default, other sizes within 16..64, fresh each time', () => {
    expect(randomKey()).toHaveLength(32);
    expect(randomKey(16)).toHaveLength(16);
    expect(randomKey(64)).toHaveLength(64);
    expect(randomKey().equals(randomKey())).toBe(false);
  });

  it.each([0, 15, 65, 16.5])('refuses a %s-byte key (bad-key-length)', (n) => {
    expectRefused(() => randomKey(n), 'bad-key-length');
  });

  it('compares equal, unequal and different-length inputs', () => {
    expect(constantTimeEqual(hex('0102'), new Uint8Array([1, 2]))).toBe(true);
    expect(constantTimeEqual(hex('0102'), hex('0103'))).toBe(false);
    expect(constantTimeEqual(hex('0102'), hex('010203'))).toBe(false);
    expect(constantTimeEqual(new Uint8Array(0), new Uint8Array(0))).toBe(true);
  });
});

describe('sealAes256 nonces and text input', () => {
  it('never repeats a nonce across many seals (the pool hands out each byte once)', () => {
    const key = randomKey();
    const aad = Buffer.from('row');
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++)
      seen.add(sealAes256(key, Buffer.from('x'), aad).subarray(1, 13).toString('hex'));
    expect(seen.size).toBe(5000);
  });

  it('seals text exactly like its UTF-8 bytes', () => {
    const key = randomKey();
    const aad = Buffer.from('row');
    for (const text of ['', 'ascii', '张三丰 🙂', 'x'.repeat(5000)]) {
      expect(
        openAes256(key, sealAes256(key, text, aad), aad).equals(Buffer.from(text, 'utf8')),
      ).toBe(true);
    }
  });
});
