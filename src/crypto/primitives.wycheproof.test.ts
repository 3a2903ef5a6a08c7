// Project Wycheproof vectors for the crypto primitives, every case one test: AES-GCM (with a
// test-only reference GCM for IVs beyond OpenSSL's cap), HMAC-SHA-256 and HKDF-SHA-256. Without the
// shared test data the vectors are reported as not run here, and fail under CI=true.
import { type CipherGCMTypes, createCipheriv, createDecipheriv } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { gcmDecrypt, gcmEncrypt, hkdfSha256, hmacSha256, verifyHmacSha256 } from './primitives.js';
import { expectRefused, hex } from '../../test/support/crypto-helpers.js';

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
