import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  normalizeCnResidentId,
  normalizeEmail,
  normalizeIdNumber,
  normalizeIdentifier,
  normalizePhone,
  type IdentifierKind,
} from './normalize.js';

// Independent re-statement of GB 11643-1999 so fixtures can be generated rather than hand-typed.
const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
function withCheckChar(first17: string): string {
  const sum = [...first17].reduce((acc, ch, i) => acc + Number(ch) * (WEIGHTS[i] ?? 0), 0);
  return first17 + '10X98765432'.charAt(sum % 11);
}

const VALID_ID = '11010519491231002X';

// Any string, including astral code points and lone surrogates.
const anyString = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)) }),
);

const validResidentId = fc
  .record({
    region: fc.integer({ min: 110_000, max: 999_999 }),
    birth: fc.date({
      min: new Date('1900-01-01T00:00:00Z'),
      max: new Date('2020-12-31T00:00:00Z'),
      noInvalidDate: true,
    }),
    seq: fc.integer({ min: 0, max: 999 }),
  })
  .map(({ region, birth, seq }) =>
    withCheckChar(
      String(region) +
        birth.toISOString().slice(0, 10).replaceAll('-', '') +
        String(seq).padStart(3, '0'),
    ),
  );

describe('normalizeEmail', () => {
  it('trims, applies NFKC and lower-cases the whole address', () => {
    expect(normalizeEmail('  Zhang.San@Example.COM \n')).toBe('zhang.san@example.com');
    expect(normalizeEmail('ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('zhang@example.com');
    expect(normalizeEmail('ZHANG@EXAMPLE.COM')).toBe(normalizeEmail('zhang@example.com'));
  });

  it('keeps dots and +tags because that equivalence is provider-specific', () => {
    expect(normalizeEmail('Zhang.San+Orders@Gmail.com')).toBe('zhang.san+orders@gmail.com');
    expect(normalizeEmail('zhangsan@gmail.com')).not.toBe(normalizeEmail('zhang.san@gmail.com'));
  });

  it('converts internationalized domains to punycode so both spellings match', () => {
    expect(normalizeEmail('用户@例子.中国')).toBe('用户@xn--fsqu00a.xn--fiqs8s');
    expect(normalizeEmail('用户@XN--FSQU00A.xn--fiqs8s')).toBe('用户@xn--fsqu00a.xn--fiqs8s');
    expect(normalizeEmail('a@例子。中国')).toBe('a@xn--fsqu00a.xn--fiqs8s');
  });

  it('accepts the length limits exactly and rejects one past them', () => {
    expect(normalizeEmail(`${'a'.repeat(64)}@example.com`)).not.toBeNull();
    expect(normalizeEmail(`${'a'.repeat(65)}@example.com`)).toBeNull();
    const domain252 = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.${'e'.repeat(56)}.com`;
    expect(`a@${domain252}`.length).toBe(254);
    expect(normalizeEmail(`a@${domain252}`)).toBe(`a@${domain252}`);
    expect(normalizeEmail(`ab@${domain252}`)).toBeNull();
    expect(normalizeEmail(`a@${'b'.repeat(64)}.com`)).toBeNull();
  });

  it.each([
    '',
    'zhang.example.com',
    'a@b@example.com',
    '@example.com',
    'zhang@',
    'zhang@localhost',
    'zhang@example.com.',
    'zhang@-example.com',
    'zhang@example-.com',
    'zhang@exa_mple.com',
    'zhang@%65xample.com',
    'zhang@1.2.3.4',
    'zhang@[192.168.0.1]',
    'zhang@xn--zz.com',
    'zh ang@example.com',
    'zhang@exam ple.com',
    '.zhang@example.com',
    'zhang.@example.com',
    'zh..ang@example.com',
    '"zhang san"@example.com',
    'zh(a)ng@example.com',
    'zh\u200bang@example.com',
    'zh\ud800ang@example.com',
  ])('rejects %j', (raw) => {
    expect(normalizeEmail(raw)).toBeNull();
  });

  it('is idempotent and case/space-insensitive for generated addresses', () => {
    fc.assert(
      fc.property(fc.emailAddress(), (email) => {
        const normalized = normalizeEmail(email);
        expect(normalized).not.toBeNull();
        expect(normalizeEmail(normalized ?? '')).toBe(normalized);
        expect(normalizeEmail(`  ${email.toUpperCase()} `)).toBe(normalized);
      }),
    );
  });
});

describe('normalizePhone', () => {
  it.each([
    '13812341234',
    '138 1234 1234',
    '138-1234-1234',
    '(138) 1234-1234',
    '+86 138 1234 1234',
    '+86-138-1234-1234',
    '+8613812341234',
    '0086 138 1234 1234',
    '008613812341234',
    '１３８１２３４１２３４',
    ' 138.1234.1234 ',
  ])('reads %j as the same mainland mobile number', (raw) => {
    expect(normalizePhone(raw)).toBe('+8613812341234');
  });

  it('normalizes landlines with a trunk prefix and international numbers', () => {
    expect(normalizePhone('(010) 1234 5678')).toBe('+861012345678');
    expect(normalizePhone('010-12345678')).toBe('+861012345678');
    expect(normalizePhone('+1 415 555 2671')).toBe('+14155552671');
    expect(normalizePhone('+44 20 7946 0958')).toBe('+442079460958');
  });

  it('reads national numbers in the given default region', () => {
    expect(normalizePhone('(415) 555-2671', 'US')).toBe('+14155552671');
    expect(normalizePhone('+8613812341234', 'US')).toBe('+8613812341234');
    expect(normalizePhone('13812341234', 'NOT_A_REGION')).toBeNull();
  });

  it.each([
    '',
    '12345',
    '1381234123',
    '+8612345678901',
    '138123412345',
    '+86 138 1234 1234 ext 5',
    'tel:+8613812341234',
    'call 13812341234',
    '138-1234-abcd',
    '++8613812341234',
  ])('rejects %j', (raw) => {
    expect(normalizePhone(raw)).toBeNull();
  });

  it('is idempotent on its own output', () => {
    for (const raw of ['13812341234', '(010) 1234 5678', '+1 415 555 2671', '+44 20 7946 0958']) {
      const once = normalizePhone(raw);
      expect(once).not.toBeNull();
      expect(normalizePhone(once ?? '')).toBe(once);
    }
  });
});

describe('normalizeCnResidentId', () => {
  const now = new Date('2024-06-01T12:00:00Z');

  it('accepts the GB 11643 example and canonicalizes spacing and a lower-case x', () => {
    expect(normalizeCnResidentId(VALID_ID)).toBe(VALID_ID);
    expect(normalizeCnResidentId('110105 19491231 002x')).toBe(VALID_ID);
    expect(normalizeCnResidentId(' １１０１０５１９４９１２３１００２ｘ ')).toBe(VALID_ID);
  });

  it('rejects every wrong check character', () => {
    const wrong = [...'0123456789X'].filter((c) => c !== 'X');
    for (const c of wrong) expect(normalizeCnResidentId(VALID_ID.slice(0, 17) + c)).toBeNull();
  });

  it('checks the birth date is real, not before 1900 and not in the future (China time)', () => {
    expect(normalizeCnResidentId(withCheckChar('11010520000229123'), now)).not.toBeNull();
    expect(normalizeCnResidentId(withCheckChar('11010519000229123'), now)).toBeNull();
    expect(normalizeCnResidentId(withCheckChar('11010519490230123'), now)).toBeNull();
    expect(normalizeCnResidentId(withCheckChar('11010519491301123'), now)).toBeNull();
    expect(normalizeCnResidentId(withCheckChar('11010519490000123'), now)).toBeNull();
    expect(normalizeCnResidentId(withCheckChar('11010518991231123'), now)).toBeNull();
    expect(normalizeCnResidentId(withCheckChar('11010519000101123'), now)).not.toBeNull();
    const born20240602 = withCheckChar('11010520240602123');
    // 15:59 UTC is 23:59 on 1 June in Beijing; 16:00 UTC is already 2 June.
    expect(normalizeCnResidentId(born20240602, new Date('2024-06-01T15:59:00Z'))).toBeNull();
    expect(normalizeCnResidentId(born20240602, new Date('2024-06-01T16:00:00Z'))).toBe(
      born20240602,
    );
  });

  it.each([
    '',
    withCheckChar('01010519491231002'),
    '11010519491231002',
    '11010519491231002X1',
    '1101051949123100XX',
    '11010519491231002Y',
    '11010519491231O02X',
  ])('rejects %j', (raw) => {
    expect(normalizeCnResidentId(raw, now)).toBeNull();
  });

  it('accepts generated valid numbers and rejects any single-character substitution', () => {
    fc.assert(
      fc.property(
        validResidentId,
        fc.nat(17),
        fc.constantFrom(...'0123456789X'),
        (id, position, replacement) => {
          expect(normalizeCnResidentId(id, now)).toBe(id);
          fc.pre(id[position] !== replacement);
          const mutated = id.slice(0, position) + replacement + id.slice(position + 1);
          expect(normalizeCnResidentId(mutated, now)).toBeNull();
        },
      ),
    );
  });
});

describe('normalizeIdNumber', () => {
  it('removes spaces and hyphens, applies NFKC and upper-cases', () => {
    expect(normalizeIdNumber(' e 1234-5678 ')).toBe('E12345678');
    expect(normalizeIdNumber('ｇ１２３４５６７８')).toBe('G12345678');
    expect(normalizeIdNumber('ab\u2013cd')).toBe('ABCD');
  });

  it('requires 4 to 64 ASCII letters and digits', () => {
    expect(normalizeIdNumber('A12')).toBeNull();
    expect(normalizeIdNumber('A123')).toBe('A123');
    expect(normalizeIdNumber('A'.repeat(64))).toBe('A'.repeat(64));
    expect(normalizeIdNumber('A'.repeat(65))).toBeNull();
    expect(normalizeIdNumber('E1234/5678')).toBeNull();
    expect(normalizeIdNumber('')).toBeNull();
  });

  it('rejects non-ASCII letters that would upper-case to ASCII', () => {
    expect(normalizeIdNumber('straße')).toBeNull();
    expect(normalizeIdNumber('\u0131d1234')).toBeNull();
  });

  it('is idempotent and ignores case and separators', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9]{4,64}$/), fc.nat(3), (value, cut) => {
        const normalized = normalizeIdNumber(value);
        expect(normalized).toBe(value.toUpperCase());
        expect(normalizeIdNumber(normalized ?? '')).toBe(normalized);
        const separated = `${value.slice(0, cut)} - ${value.slice(cut).toLowerCase()}`;
        expect(normalizeIdNumber(separated)).toBe(normalized);
      }),
    );
  });
});

describe('normalizeIdentifier', () => {
  it('dispatches each kind to its rule', () => {
    const cases: [IdentifierKind, string, string][] = [
      ['email', ' A@Example.com', 'a@example.com'],
      ['phone', '138 1234 1234', '+8613812341234'],
      ['cn_resident_id', '110105 19491231 002x', VALID_ID],
      ['passport', 'e 1234 5678', 'E12345678'],
      ['id_number', 'd-1234', 'D1234'],
    ];
    for (const [kind, raw, expected] of cases)
      expect(normalizeIdentifier(kind, raw)).toBe(expected);
    expect(normalizeIdentifier('passport', 'a@example.com')).toBeNull();
    expect(normalizeIdentifier('email', 'E12345678')).toBeNull();
  });

  it('never throws and is idempotent for every kind on arbitrary input', () => {
    const kinds: IdentifierKind[] = ['email', 'phone', 'cn_resident_id', 'passport', 'id_number'];
    fc.assert(
      fc.property(fc.constantFrom(...kinds), anyString, (kind, raw) => {
        const once = normalizeIdentifier(kind, raw);
        if (once !== null) expect(normalizeIdentifier(kind, once)).toBe(once);
      }),
      { numRuns: 2000 },
    );
  });
});
