// Tests for the crypto primitives: Project Wycheproof vectors (every case, one test each), the
// sealed-format policy, and a frozen golden value that pins the on-disk format.
import { type CipherGCMTypes, createCipheriv, createDecipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CryptoError,
  type CryptoErrorReason,
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

// ---------------------------------------------------------------------------------------------
// Helpers

const hex = (s: string): Buffer => Buffer.from(s, 'hex');
const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Runs `fn`, which must throw a CryptoError, and returns that error. */
function refusal(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CryptoError) return error;
    throw error;
  }
  throw new Error('expected a CryptoError, but the call succeeded');
}

function expectRefused(fn: () => unknown, reason: CryptoErrorReason): void {
  expect(refusal(fn).reason).toBe(reason);
}

function flipBit(buf: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(buf);
  const byte = bit >> 3;
  copy[byte] = (copy[byte] ?? 0) ^ (1 << (bit & 7));
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Test-only reference AES-GCM (NIST SP 800-38D §6-§7), used solely to show that the vectors with
// IVs longer than OpenSSL's 128-byte cap are read correctly. Deliberately slow and simple: GHASH
// over BigInt, AES from ECB, J0 from GHASH for non-96-bit IVs (§7.1 step 2).

const GF_R = 0xe1n << 120n;

function toBig(block: Uint8Array): bigint {
  return BigInt(`0x${Buffer.from(block).toString('hex')}`);
}

function fromBig(x: bigint): Buffer {
  return hex(x.toString(16).padStart(32, '0'));
}

/** Multiplication in GF(2^128), SP 800-38D Algorithm 1 (bit 0 is the leftmost bit). */
function gfMul(x: bigint, y: bigint): bigint {
  let z = 0n;
  let v = y;
  for (let i = 127n; i >= 0n; i--) {
    if ((x >> i) & 1n) z ^= v;
    v = v & 1n ? (v >> 1n) ^ GF_R : v >> 1n;
  }
  return z;
}

function pad16(b: Uint8Array): Buffer {
  const rem = b.length % 16;
  return rem === 0 ? Buffer.from(b) : Buffer.concat([b, Buffer.alloc(16 - rem)]);
}

function lengthsBlock(aBytes: number, cBytes: number): Buffer {
  const block = Buffer.alloc(16);
  block.writeBigUInt64BE(BigInt(aBytes) * 8n, 0);
  block.writeBigUInt64BE(BigInt(cBytes) * 8n, 8);
  return block;
}

/** GHASH, SP 800-38D Algorithm 2; `data` is a whole number of blocks. */
function ghash(h: bigint, data: Buffer): bigint {
  let y = 0n;
  for (let o = 0; o < data.length; o += 16) y = gfMul(y ^ toBig(data.subarray(o, o + 16)), h);
  return y;
}

function inc32(block: Buffer): Buffer {
  const next = Buffer.from(block);
  next.writeUInt32BE((block.readUInt32BE(12) + 1) >>> 0, 12);
  return next;
}

/** Reference GCM decryption: the plaintext and the tag the ciphertext should carry. */
function referenceGcmOpen(
  key: Buffer,
  iv: Buffer,
  aad: Buffer,
  ct: Buffer,
): { plaintext: Buffer; tag: Buffer } {
  const ecb = (blocks: Buffer): Buffer => {
    const cipher = createCipheriv(`aes-${key.length * 8}-ecb`, key, null);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(blocks), cipher.final()]);
  };
  const h = toBig(ecb(Buffer.alloc(16)));
  const j0 =
    iv.length === 12
      ? Buffer.concat([iv, hex('00000001')])
      : fromBig(ghash(h, Buffer.concat([pad16(iv), lengthsBlock(0, iv.length)])));
  const counters: Buffer[] = [];
  let cb = inc32(j0);
  for (let o = 0; o < ct.length; o += 16) {
    counters.push(cb);
    cb = inc32(cb);
  }
  const keystream = ecb(Buffer.concat(counters));
  const plaintext = Buffer.alloc(ct.length);
  for (let i = 0; i < ct.length; i++) plaintext[i] = (ct[i] ?? 0) ^ (keystream[i] ?? 0);
  const s = ghash(h, Buffer.concat([pad16(aad), pad16(ct), lengthsBlock(aad.length, ct.length)]));
  const tag = fromBig(toBig(ecb(j0)) ^ s);
  return { plaintext, tag };
}

// ---------------------------------------------------------------------------------------------
// Wycheproof vectors

type VectorResult = 'valid' | 'invalid' | 'acceptable';

interface VectorFile<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

interface AeadCase {
  tcId: number;
  flags: string[];
  key: string;
  iv: string;
  aad: string;
  msg: string;
  ct: string;
  tag: string;
  result: VectorResult;
}

interface AeadGroup {
  ivSize: number;
  keySize: number;
  tagSize: number;
  tests: AeadCase[];
}

interface MacCase {
  tcId: number;
  flags: string[];
  key: string;
  msg: string;
  tag: string;
  result: VectorResult;
}

interface MacGroup {
  keySize: number;
  tagSize: number;
  tests: MacCase[];
}

interface HkdfCase {
  tcId: number;
  flags: string[];
  ikm: string;
  salt: string;
  info: string;
  size: number;
  okm: string;
  result: VectorResult;
}

interface HkdfGroup {
  keySize: number;
  tests: HkdfCase[];
}

// The shared test data sits next to the project root, never copied into it (testdata/README.md).
const VECTORS_DIR = path.resolve(import.meta.dirname, '../../../shared/testdata/wycheproof');

function loadVectors<G>(file: string): VectorFile<G> {
  return JSON.parse(readFileSync(path.join(VECTORS_DIR, file), 'utf8')) as VectorFile<G>;
}

function caseName(c: { tcId: number; flags: string[]; result: VectorResult }): string {
  return `tcId ${c.tcId} [${c.flags.join(',') || 'no flags'}] ${c.result}`;
}

/** Wycheproof "acceptable" needs a decision per case; none exist today, so one would fail loudly. */
function unexpectedResult(result: VectorResult): never {
  throw new Error(`unexpected Wycheproof result "${result}": decide a policy for it`);
}

type GcmRule =
  | 'policy ok: decrypts to msg, encrypt reproduces ct+tag'
  | 'policy ok: refused auth-failed'
  | 'policy refuses bad-tag-length'
  | 'policy refuses bad-iv-length; raw Node decrypts to msg'
  | 'policy refuses bad-iv-length; raw Node cannot (IV > 128 bytes), reference GCM decrypts to msg'
  | 'policy refuses bad-iv-length; raw Node also rejects';

function gcmRule(g: AeadGroup, c: AeadCase): GcmRule {
  const valid = c.result === 'valid';
  if (c.result === 'acceptable') unexpectedResult(c.result);
  if (g.ivSize !== 96) {
    if (!valid) return 'policy refuses bad-iv-length; raw Node also rejects';
    return g.ivSize / 8 > 128
      ? 'policy refuses bad-iv-length; raw Node cannot (IV > 128 bytes), reference GCM decrypts to msg'
      : 'policy refuses bad-iv-length; raw Node decrypts to msg';
  }
  if (g.tagSize !== 128) return 'policy refuses bad-tag-length';
  return valid
    ? 'policy ok: decrypts to msg, encrypt reproduces ct+tag'
    : 'policy ok: refused auth-failed';
}

function gcmName(keyBits: number): CipherGCMTypes {
  switch (keyBits) {
    case 128:
      return 'aes-128-gcm';
    case 192:
      return 'aes-192-gcm';
    case 256:
      return 'aes-256-gcm';
    default:
      throw new Error(`unexpected AES key size ${keyBits}`);
  }
}

/** Plain node:crypto, no policy: only the 128-bit tag length is pinned. */
function rawNodeGcmDecrypt(keyBits: number, c: AeadCase): Buffer {
  const decipher = createDecipheriv(gcmName(keyBits), hex(c.key), hex(c.iv), {
    authTagLength: 16,
  });
  decipher.setAAD(hex(c.aad));
  decipher.setAuthTag(hex(c.tag));
  return Buffer.concat([decipher.update(hex(c.ct)), decipher.final()]);
}

const haveVectors = existsSync(VECTORS_DIR);

if (!haveVectors) {
  describe('Wycheproof vectors', () => {
    it(`are missing at ${VECTORS_DIR}: vector tests not run here (CI=true fails)`, () => {
      if (process.env.CI === 'true') {
        throw new Error(`Wycheproof vectors are required in CI but ${VECTORS_DIR} is missing`);
      }
    });
  });
} else {
  describe('Wycheproof aes_gcm_test.json', () => {
    const file = loadVectors<AeadGroup>('aes_gcm_test.json');
    const cases = file.testGroups.flatMap((g) =>
      g.tests.map((c) => ({ g, c, rule: gcmRule(g, c) })),
    );

    it('holds every declared case (316)', () => {
      expect(file.algorithm).toBe('AES-GCM');
      expect(cases).toHaveLength(file.numberOfTests);
      expect(cases).toHaveLength(316);
    });

    it.each(
      cases.map(
        (x) =>
          [
            `${caseName(x.c)} key${x.g.keySize}/iv${x.g.ivSize}/tag${x.g.tagSize}: ${x.rule}`,
            x,
          ] as const,
      ),
    )('%s', (_name, { g, c, rule }) => {
      const key = hex(c.key);
      const iv = hex(c.iv);
      const aad = hex(c.aad);
      const msg = hex(c.msg);
      const ct = hex(c.ct);
      const tag = hex(c.tag);
      switch (rule) {
        case 'policy ok: decrypts to msg, encrypt reproduces ct+tag': {
          expect(gcmDecrypt(key, iv, ct, tag, aad).equals(msg)).toBe(true);
          const enc = gcmEncrypt(key, msg, aad, iv);
          expect(enc.iv.toString('hex')).toBe(c.iv);
          expect(enc.ciphertext.toString('hex')).toBe(c.ct);
          expect(enc.tag.toString('hex')).toBe(c.tag);
          break;
        }
        case 'policy ok: refused auth-failed':
          expectRefused(() => gcmDecrypt(key, iv, ct, tag, aad), 'auth-failed');
          break;
        case 'policy refuses bad-tag-length':
          expectRefused(() => gcmDecrypt(key, iv, ct, tag, aad), 'bad-tag-length');
          break;
        case 'policy refuses bad-iv-length; raw Node decrypts to msg':
          expectRefused(() => gcmDecrypt(key, iv, ct, tag, aad), 'bad-iv-length');
          expectRefused(() => gcmEncrypt(key, msg, aad, iv), 'bad-iv-length');
          expect(rawNodeGcmDecrypt(g.keySize, c).equals(msg)).toBe(true);
          break;
        case 'policy refuses bad-iv-length; raw Node cannot (IV > 128 bytes), reference GCM decrypts to msg': {
          expectRefused(() => gcmDecrypt(key, iv, ct, tag, aad), 'bad-iv-length');
          expectRefused(() => gcmEncrypt(key, msg, aad, iv), 'bad-iv-length');
          const ref = referenceGcmOpen(key, iv, aad, ct);
          expect(ref.plaintext.equals(msg)).toBe(true);
          expect(ref.tag.equals(tag)).toBe(true);
          break;
        }
        case 'policy refuses bad-iv-length; raw Node also rejects':
          expectRefused(() => gcmDecrypt(key, iv, ct, tag, aad), 'bad-iv-length');
          expect(() => rawNodeGcmDecrypt(g.keySize, c)).toThrow();
          break;
        default:
          rule satisfies never;
      }
    });

    it('the test-only reference GCM agrees with every valid case (so it is trustworthy above)', () => {
      const valid = cases.filter((x) => x.c.result === 'valid');
      expect(valid.length).toBeGreaterThan(200);
      for (const { c } of valid) {
        const ref = referenceGcmOpen(hex(c.key), hex(c.iv), hex(c.aad), hex(c.ct));
        expect(ref.plaintext.toString('hex'), `tcId ${c.tcId}`).toBe(c.msg);
        expect(ref.tag.toString('hex'), `tcId ${c.tcId}`).toBe(c.tag);
      }
    });
  });

  describe('Wycheproof hmac_sha256_test.json', () => {
    const file = loadVectors<MacGroup>('hmac_sha256_test.json');
    const cases = file.testGroups.flatMap((g) => g.tests.map((c) => ({ g, c })));

    it('holds every declared case', () => {
      expect(file.algorithm).toBe('HMACSHA256');
      expect(cases).toHaveLength(file.numberOfTests);
    });

    // Every group's tag size is 128 or 256 bits, inside the 16..32-byte policy, so no case is
    // refused for policy: valid ones verify, invalid ones (modified tags) return false.
    it.each(
      cases.map(
        (x) =>
          [
            `${caseName(x.c)} key${x.g.keySize}/tag${x.g.tagSize}: ${
              x.c.result === 'valid' ? 'verifies (true)' : 'rejected (false)'
            }`,
            x,
          ] as const,
      ),
    )('%s', (_name, { g, c }) => {
      const key = hex(c.key);
      const msg = hex(c.msg);
      const tag = hex(c.tag);
      const tagBytes = g.tagSize / 8;
      switch (c.result) {
        case 'valid':
          expect(verifyHmacSha256(key, msg, tag, tagBytes)).toBe(true);
          expect(hmacSha256(key, msg).subarray(0, tagBytes).equals(tag)).toBe(true);
          break;
        case 'invalid':
          expect(verifyHmacSha256(key, msg, tag, tagBytes)).toBe(false);
          break;
        case 'acceptable':
          unexpectedResult(c.result);
      }
    });
  });

  describe('Wycheproof hkdf_sha256_test.json', () => {
    const file = loadVectors<HkdfGroup>('hkdf_sha256_test.json');
    const cases = file.testGroups.flatMap((g) => g.tests.map((c) => ({ g, c })));

    it('holds every declared case', () => {
      expect(file.algorithm).toBe('HKDF-SHA-256');
      expect(cases).toHaveLength(file.numberOfTests);
    });

    it.each(
      cases.map(
        (x) =>
          [
            `${caseName(x.c)} ikm${x.g.keySize}/size ${x.c.size}: ${
              x.c.result === 'valid' ? 'derives okm' : 'refused bad-length'
            }`,
            x,
          ] as const,
      ),
    )('%s', (_name, { c }) => {
      const derive = (): Buffer => hkdfSha256(hex(c.ikm), hex(c.salt), hex(c.info), c.size);
      switch (c.result) {
        case 'valid':
          expect(derive().toString('hex')).toBe(c.okm);
          break;
        case 'invalid':
          expectRefused(derive, 'bad-length');
          break;
        case 'acceptable':
          unexpectedResult(c.result);
      }
    });
  });
}

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
