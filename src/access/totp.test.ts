import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  base32Decode,
  base32Encode,
  generateTotpSecret,
  otpauthUri,
  totpAt,
  verifyTotp,
  type TotpAlgorithm,
} from './totp.js';

// RFC 6238 Appendix B: the seed is the ASCII string "1234567890" repeated to the hash's block
// of key material (20 bytes for SHA-1, 32 for SHA-256, 64 for SHA-512).
const SEEDS: Record<TotpAlgorithm, Buffer> = {
  sha1: Buffer.from('12345678901234567890', 'ascii'),
  sha256: Buffer.from('12345678901234567890123456789012', 'ascii'),
  sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234', 'ascii'),
};

const RFC6238_VECTORS: [number, Record<TotpAlgorithm, string>][] = [
  [59, { sha1: '94287082', sha256: '46119246', sha512: '90693936' }],
  [1111111109, { sha1: '07081804', sha256: '68084774', sha512: '25091201' }],
  [1111111111, { sha1: '14050471', sha256: '67062674', sha512: '99943326' }],
  [1234567890, { sha1: '89005924', sha256: '91819424', sha512: '93441116' }],
  [2000000000, { sha1: '69279037', sha256: '90698825', sha512: '38618901' }],
  [20000000000, { sha1: '65353130', sha256: '77737706', sha512: '47863826' }],
];

// RFC 4226 Appendix D: HOTP values for counters 0-9 with the 20-byte SHA-1 seed.
const RFC4226_HOTP = [
  '755224',
  '287082',
  '359152',
  '969429',
  '338314',
  '254676',
  '287922',
  '162583',
  '399871',
  '520489',
];

describe('totpAt', () => {
  const cases = RFC6238_VECTORS.flatMap(([time, codes]) =>
    (Object.keys(codes) as TotpAlgorithm[]).map((algorithm) => ({
      time,
      algorithm,
      expected: codes[algorithm],
    })),
  );

  it.each(cases)('RFC 6238 vector: $algorithm at T=$time → $expected', (c) => {
    const code = totpAt(SEEDS[c.algorithm], c.time, { digits: 8, algorithm: c.algorithm });
    expect(code).toBe(c.expected);
  });

  it('reproduces the RFC 4226 HOTP values with a 1-second step', () => {
    const codes = RFC4226_HOTP.map((_, counter) => totpAt(SEEDS.sha1, counter, { step: 1 }));
    expect(codes).toEqual(RFC4226_HOTP);
  });

  it('defaults to SHA-1, 6 digits and 30-second steps', () => {
    // The 6-digit code is the last 6 digits of the 8-digit one (same truncated value mod 10^6).
    expect(totpAt(SEEDS.sha1, 59)).toBe('287082');
    expect(totpAt(SEEDS.sha1, 59)).toBe(totpAt(SEEDS.sha1, 30, { step: 30, algorithm: 'sha1' }));
    expect(totpAt(SEEDS.sha1, 59)).not.toBe(totpAt(SEEDS.sha1, 60));
    expect(totpAt(SEEDS.sha1, 59.999)).toBe('287082');
  });

  it('rejects short secrets and out-of-range parameters', () => {
    expect(() => totpAt(Buffer.alloc(15, 1), 0)).toThrow(RangeError);
    expect(() => totpAt(SEEDS.sha1, -1)).toThrow(RangeError);
    expect(() => totpAt(SEEDS.sha1, Number.NaN)).toThrow(RangeError);
    expect(() => totpAt(SEEDS.sha1, 0, { step: 0 })).toThrow(RangeError);
    expect(() => totpAt(SEEDS.sha1, 0, { step: 1.5 })).toThrow(RangeError);
    expect(() => totpAt(SEEDS.sha1, 0, { digits: 5 })).toThrow(RangeError);
    expect(() => totpAt(SEEDS.sha1, 0, { digits: 11 })).toThrow(RangeError);
    expect(totpAt(SEEDS.sha1, 0, { digits: 10 })).toMatch(/^[0-9]{10}$/);
  });
});

describe('verifyTotp', () => {
  const secret = SEEDS.sha1;
  const now = 1111111111; // step 37037037
  const step = Math.floor(now / 30);

  it('accepts the current code and reports its step', () => {
    expect(verifyTotp(secret, totpAt(secret, now), now)).toEqual({ ok: true, step });
  });

  it('accepts codes from one step either side by default, not two', () => {
    expect(verifyTotp(secret, totpAt(secret, now - 30), now)).toEqual({ ok: true, step: step - 1 });
    expect(verifyTotp(secret, totpAt(secret, now + 30), now)).toEqual({ ok: true, step: step + 1 });
    expect(verifyTotp(secret, totpAt(secret, now - 60), now)).toEqual({ ok: false });
    expect(verifyTotp(secret, totpAt(secret, now + 60), now)).toEqual({ ok: false });
  });

  it('honours a custom window, including 0', () => {
    const twoBack = totpAt(secret, now - 60);
    expect(verifyTotp(secret, twoBack, now, { window: 2 })).toEqual({ ok: true, step: step - 2 });
    expect(verifyTotp(secret, totpAt(secret, now - 30), now, { window: 0 })).toEqual({ ok: false });
    expect(verifyTotp(secret, totpAt(secret, now), now, { window: 0 })).toEqual({ ok: true, step });
    expect(() => verifyTotp(secret, '000000', now, { window: -1 })).toThrow(RangeError);
    expect(() => verifyTotp(secret, '000000', now, { window: 11 })).toThrow(RangeError);
  });

  it('rejects a replayed code and any code from an earlier step', () => {
    const code = totpAt(secret, now);
    const first = verifyTotp(secret, code, now);
    expect(first).toEqual({ ok: true, step });
    const lastUsedStep = first.ok ? first.step : null;
    expect(verifyTotp(secret, code, now + 5, { lastUsedStep })).toEqual({ ok: false });
    expect(verifyTotp(secret, totpAt(secret, now - 30), now, { lastUsedStep })).toEqual({
      ok: false,
    });
    expect(verifyTotp(secret, totpAt(secret, now + 30), now + 30, { lastUsedStep })).toEqual({
      ok: true,
      step: step + 1,
    });
    expect(verifyTotp(secret, code, now, { lastUsedStep: null })).toEqual({ ok: true, step });
  });

  it('rejects wrong, malformed and wrongly sized codes', () => {
    const code = totpAt(secret, now);
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    expect(verifyTotp(secret, wrong, now, { window: 0 })).toEqual({ ok: false });
    for (const bad of [
      '',
      '12345',
      '1234567',
      '12 456',
      '12345a',
      '-12345',
      '１２３４５６',
      ` ${code}`,
    ]) {
      expect(verifyTotp(secret, bad, now)).toEqual({ ok: false });
    }
    expect(verifyTotp(SEEDS.sha256, code, now)).toEqual({ ok: false });
  });

  it('verifies 8-digit SHA-512 codes when told the parameters', () => {
    const opts = { digits: 8, algorithm: 'sha512' as const };
    expect(verifyTotp(SEEDS.sha512, '99943326', 1111111111, opts)).toEqual({ ok: true, step });
    expect(verifyTotp(SEEDS.sha512, '99943326', 1111111111)).toEqual({ ok: false });
  });

  it('ignores steps before the epoch', () => {
    expect(verifyTotp(secret, totpAt(secret, 0), 10)).toEqual({ ok: true, step: 0 });
  });

  it('accepts exactly the codes of the window for random secrets and times', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 64 }),
        fc.integer({ min: 120, max: 4_000_000_000 }),
        fc.integer({ min: -3, max: 3 }),
        (bytes, time, offset) => {
          const key = Buffer.from(bytes);
          const code = totpAt(key, time + offset * 30);
          const result = verifyTotp(key, code, time);
          // A code from outside the window can only match by a 1-in-a-million collision.
          if (Math.abs(offset) <= 1) {
            expect(result).toEqual({ ok: true, step: Math.floor(time / 30) + offset });
          } else if (result.ok) {
            expect(totpAt(key, result.step * 30)).toBe(code);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('base32', () => {
  it.each([
    ['', ''],
    ['f', 'MY'],
    ['fo', 'MZXQ'],
    ['foo', 'MZXW6'],
    ['foob', 'MZXW6YQ'],
    ['fooba', 'MZXW6YTB'],
    ['foobar', 'MZXW6YTBOI'],
  ])('RFC 4648 vector %j ↔ %j', (plain, encoded) => {
    expect(base32Encode(Buffer.from(plain, 'ascii'))).toBe(encoded);
    expect(base32Decode(encoded).toString('ascii')).toBe(plain);
  });

  it('decodes case-insensitively', () => {
    expect(base32Decode('mzxw6ytboi').toString('ascii')).toBe('foobar');
    expect(base32Decode('MzXw6YtBoI').toString('ascii')).toBe('foobar');
  });

  it.each([
    'MZXW6YTBOI======',
    'MZXW 6YTB',
    'MZXW1',
    'MZXW8',
    'MZXW6YTBO!',
    'MZX',
    'M',
    'MZXW6Y',
    'MZ',
  ])('rejects %j', (bad) => {
    expect(() => base32Decode(bad)).toThrow(TypeError);
  });

  it('round-trips any bytes, and encodes with the alphabet only', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const encoded = base32Encode(bytes);
        expect(encoded).toMatch(/^[A-Z2-7]*$/);
        expect(encoded).toHaveLength(Math.ceil((bytes.length * 8) / 5));
        expect(base32Decode(encoded).equals(Buffer.from(bytes))).toBe(true);
        expect(base32Decode(encoded.toLowerCase()).equals(Buffer.from(bytes))).toBe(true);
      }),
    );
  });
});

describe('generateTotpSecret', () => {
  it('returns 20 fresh random bytes', () => {
    const a = generateTotpSecret();
    const b = generateTotpSecret();
    expect(a).toHaveLength(20);
    expect(a.equals(b)).toBe(false);
    expect(totpAt(a, 1_700_000_000)).toMatch(/^[0-9]{6}$/);
  });
});

describe('otpauthUri', () => {
  it('builds the Key URI with the authenticator-app defaults', () => {
    expect(otpauthUri({ secret: SEEDS.sha1, account: 'ops@example.com', issuer: 'Custos' })).toBe(
      'otpauth://totp/Custos:ops%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ' +
        '&issuer=Custos&algorithm=SHA1&digits=6&period=30',
    );
  });

  it('percent-encodes label and issuer so they parse back exactly', () => {
    const issuer = 'Custos & Co/测试 #1';
    const account = 'zhang san+ops@例子.中国?x=1';
    const uri = otpauthUri({ secret: SEEDS.sha1, account, issuer });
    expect(uri).not.toContain(' ');
    expect(uri).not.toContain('+ops');
    const url = new URL(uri);
    expect(url.protocol).toBe('otpauth:');
    expect(url.host).toBe('totp');
    expect(decodeURIComponent(url.pathname)).toBe(`/${issuer}:${account}`);
    expect(url.searchParams.get('issuer')).toBe(issuer);
    expect(base32Decode(url.searchParams.get('secret') ?? '').equals(SEEDS.sha1)).toBe(true);
    expect([...url.searchParams.keys()]).toEqual([
      'secret',
      'issuer',
      'algorithm',
      'digits',
      'period',
    ]);
  });

  it('carries non-default parameters', () => {
    const uri = otpauthUri({
      secret: SEEDS.sha256,
      account: 'a',
      issuer: 'b',
      algorithm: 'sha256',
      digits: 8,
      period: 60,
    });
    expect(uri).toMatch(/&algorithm=SHA256&digits=8&period=60$/);
  });

  it('rejects ambiguous labels and short secrets', () => {
    const secret = SEEDS.sha1;
    expect(() => otpauthUri({ secret, account: 'a', issuer: 'Cus:tos' })).toThrow(RangeError);
    expect(() => otpauthUri({ secret, account: 'a:b', issuer: 'Custos' })).toThrow(RangeError);
    expect(() => otpauthUri({ secret, account: '', issuer: 'Custos' })).toThrow(RangeError);
    expect(() => otpauthUri({ secret, account: 'a', issuer: '' })).toThrow(RangeError);
    expect(() => otpauthUri({ secret: Buffer.alloc(8), account: 'a', issuer: 'b' })).toThrow(
      RangeError,
    );
  });
});
