// Low-level cryptographic primitives for Custos, on node:crypto only.
//
// Everything above this file (keyring, envelope encryption, blind indexes) goes through these
// functions, so the policy lives here once:
// - AES-GCM (NIST SP 800-38D) with 96-bit nonces only, 128-bit tags only, and all-or-nothing
//   decryption: a caller never sees plaintext that failed authentication.
// - HMAC-SHA256 (RFC 2104) verified in constant time, never truncated below 128 bits.
// - HKDF-SHA256 (RFC 5869) within the RFC's output bound.
// Errors are `CryptoError` with a stable `reason`; messages carry lengths at most, never key or
// plaintext bytes, so they are safe to log.
import {
  createCipheriv,
  createDecipheriv,
  createHmac,
  hash,
  hkdfSync,
  randomBytes,
  timingSafeEqual,
} from 'node:crypto';
import type { CipherGCMTypes } from 'node:crypto';

/** Stable, machine-readable reasons a primitive refuses its input. */
export type CryptoErrorReason =
  | 'bad-key-length'
  | 'bad-iv-length'
  | 'bad-tag-length'
  | 'bad-length'
  | 'bad-aad'
  | 'bad-format'
  | 'auth-failed';

/**
 * The one error type of this module. `reason` is for code; `message` is for people and holds no
 * secret material (no key bytes, no plaintext), so it can be logged as is.
 */
export class CryptoError extends Error {
  readonly reason: CryptoErrorReason;

  constructor(reason: CryptoErrorReason, message: string) {
    super(message);
    this.name = 'CryptoError';
    this.reason = reason;
  }
}

/** GCM nonce length. SP 800-38D §8.2: 96-bit IVs are the recommended, directly used J0. */
export const GCM_IV_BYTES = 12;
/** GCM tag length. SP 800-38D §5.2.1.2 allows shorter tags; we never accept them. */
export const GCM_TAG_BYTES = 16;
/** Version byte of the sealed format produced by `sealAes256`. */
export const SEALED_VERSION = 0x01;
/** Smallest valid sealed value: version || iv || (empty ciphertext) || tag. */
export const SEALED_MIN_BYTES = 1 + GCM_IV_BYTES + GCM_TAG_BYTES;

const SEALED_IV_OFFSET = 1;
const SEALED_CT_OFFSET = SEALED_IV_OFFSET + GCM_IV_BYTES;
const SHA256_BYTES = 32;
/** RFC 5869 §2.3: L <= 255 * HashLen. */
const HKDF_SHA256_MAX_BYTES = 255 * SHA256_BYTES;
/** Shortest HMAC tag we verify: below 128 bits forgery by guessing gets too cheap. */
const HMAC_MIN_TAG_BYTES = 16;

function gcmAlgorithm(key: Uint8Array): CipherGCMTypes {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new CryptoError(
        'bad-key-length',
        `AES key must be 16, 24 or 32 bytes, got ${key.length}`,
      );
  }
}

function requireIv(iv: Uint8Array): void {
  // Policy: 96-bit nonces only. Node/OpenSSL would otherwise accept other IV lengths (1..128 bytes
  // in OpenSSL 3) and derive J0 through GHASH (SP 800-38D §7.1 step 2); such IVs have weaker
  // collision bounds and no place in our format, so a different length is a bug or an attack.
  if (iv.length !== GCM_IV_BYTES) {
    throw new CryptoError(
      'bad-iv-length',
      `GCM IV must be ${GCM_IV_BYTES} bytes, got ${iv.length}`,
    );
  }
}

function requireTag(tag: Uint8Array): void {
  // Node accepts truncated 4/8/12..15-byte tags unless `authTagLength: 16` is given; a 32-bit tag
  // is forged with ~2^32 tries (SP 800-38D Appendix C). We pass the option and check here too, so
  // the policy does not hinge on one flag.
  if (tag.length !== GCM_TAG_BYTES) {
    throw new CryptoError(
      'bad-tag-length',
      `GCM tag must be ${GCM_TAG_BYTES} bytes, got ${tag.length}`,
    );
  }
}

function requireAad(aad: Uint8Array): void {
  // The AAD binds a value to where it lives (table, column, row id); without it a ciphertext can
  // be moved to another row and still decrypt. A missing binding is a bug, so refuse it.
  if (aad.length === 0) {
    throw new CryptoError('bad-aad', 'associated data is required and must not be empty');
  }
}

function requireKey32(key: Uint8Array): void {
  if (key.length !== 32) {
    throw new CryptoError('bad-key-length', `AES-256 key must be 32 bytes, got ${key.length}`);
  }
}

/**
 * Decrypts after all lengths were checked. The plaintext is released only after `final()` has
 * verified the tag (SP 800-38D §7.2 step 8: return FAIL, not data); on failure the buffer is
 * wiped so no unauthenticated byte survives in memory we handed out.
 */
function gcmOpenChecked(
  algorithm: CipherGCMTypes,
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Buffer {
  const decipher = createDecipheriv(algorithm, key, iv, { authTagLength: GCM_TAG_BYTES });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  // GCM is a stream mode: update() returns every byte and final() only checks the tag.
  const plaintext = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    plaintext.fill(0);
    throw new CryptoError('auth-failed', 'GCM authentication failed');
  }
  return plaintext;
}

/**
 * AES-GCM encryption (SP 800-38D) with a 16/24/32-byte key, a 96-bit IV and a 128-bit tag.
 * The IV is random (SP 800-38D §8.2.2) unless given; pass one only in tests, since reusing an IV
 * under one key reveals the XOR of plaintexts and the GHASH key.
 */
export function gcmEncrypt(
  key: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  iv?: Uint8Array,
): { iv: Buffer; ciphertext: Buffer; tag: Buffer } {
  const algorithm = gcmAlgorithm(key);
  const nonce = iv === undefined ? randomBytes(GCM_IV_BYTES) : Buffer.from(iv);
  requireIv(nonce);
  const cipher = createCipheriv(algorithm, key, nonce, { authTagLength: GCM_TAG_BYTES });
  cipher.setAAD(aad);
  const ciphertext = cipher.update(plaintext);
  cipher.final();
  return { iv: nonce, ciphertext, tag: cipher.getAuthTag() };
}

/**
 * AES-GCM decryption that refuses, with a `CryptoError`, any key that is not 16/24/32 bytes, any
 * IV that is not 96 bits, any tag that is not 128 bits, and any authentication failure. It
 * returns the whole plaintext or nothing.
 */
export function gcmDecrypt(
  key: Uint8Array,
  iv: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
): Buffer {
  const algorithm = gcmAlgorithm(key);
  requireIv(iv);
  requireTag(tag);
  return gcmOpenChecked(algorithm, key, iv, ciphertext, tag, aad);
}

// Nonces come from a pool of CSPRNG output, 12 bytes at a time, each byte used once: one
// getrandom call per ~340 encryptions instead of one per encryption (random 96-bit nonces as in
// NIST SP 800-38D §8.2.2; the pool changes how they are fetched, not what they are).
const NONCE_POOL_BYTES = 4096;
let noncePool = Buffer.alloc(0);
let nonceOffset = 0;
function takeNonce(out: Buffer, at: number): void {
  if (nonceOffset + GCM_IV_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_BYTES);
    nonceOffset = 0;
  }
  noncePool.copy(out, at, nonceOffset, nonceOffset + GCM_IV_BYTES);
  nonceOffset += GCM_IV_BYTES;
}

/**
 * Encrypts with AES-256-GCM into the sealed format
 * `version (0x01) || iv (12) || ciphertext || tag (16)`, with a fresh random IV. The AAD is
 * required; text is encoded by the cipher. Built for the field-encryption hot path: one output allocation, the IV copied from the nonce pool
 * into it, one copy of the ciphertext and one of the tag.
 */
export function sealAes256(
  key: Uint8Array,
  plaintext: Uint8Array | string,
  aad: Uint8Array,
): Buffer {
  requireKey32(key);
  requireAad(aad);
  // Text is encoded by the cipher itself, saving a copy on the hot path.
  const length =
    typeof plaintext === 'string' ? Buffer.byteLength(plaintext, 'utf8') : plaintext.length;
  const ctEnd = SEALED_CT_OFFSET + length;
  // Every byte is written below, so the uninitialised allocation never leaks old memory.
  const out = Buffer.allocUnsafe(ctEnd + GCM_TAG_BYTES);
  out[0] = SEALED_VERSION;
  takeNonce(out, SEALED_IV_OFFSET);
  const cipher = createCipheriv(
    'aes-256-gcm',
    key,
    out.subarray(SEALED_IV_OFFSET, SEALED_CT_OFFSET),
    { authTagLength: GCM_TAG_BYTES },
  );
  cipher.setAAD(aad);
  const ciphertext =
    typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext);
  cipher.final();
  if (ciphertext.length !== length) {
    // Cannot happen for a stream mode; checked so a surprise never yields a half-written frame.
    throw new CryptoError('bad-format', 'unexpected GCM ciphertext length');
  }
  ciphertext.copy(out, SEALED_CT_OFFSET);
  cipher.getAuthTag().copy(out, ctEnd);
  return out;
}

/**
 * Opens a value made by `sealAes256`. Refuses with a `CryptoError` a key that is not 32 bytes, an
 * empty AAD, a value shorter than 29 bytes, an unknown version byte, and any authentication
 * failure (wrong key, wrong AAD, any changed or missing byte).
 */
export function openAes256(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  requireKey32(key);
  requireAad(aad);
  if (sealed.length < SEALED_MIN_BYTES) {
    throw new CryptoError(
      'bad-format',
      `sealed value must be at least ${SEALED_MIN_BYTES} bytes, got ${sealed.length}`,
    );
  }
  if (sealed[0] !== SEALED_VERSION) {
    throw new CryptoError('bad-format', 'unknown sealed format version');
  }
  const tagStart = sealed.length - GCM_TAG_BYTES;
  return gcmOpenChecked(
    'aes-256-gcm',
    key,
    sealed.subarray(SEALED_IV_OFFSET, SEALED_CT_OFFSET),
    sealed.subarray(SEALED_CT_OFFSET, tagStart),
    sealed.subarray(tagStart),
    aad,
  );
}

/** The inner and outer padded keys of HMAC-SHA256 (RFC 2104 §2), cached per key buffer. */
export interface HmacPads {
  ipad: Buffer;
  opad: Buffer;
}

const SHA256_BLOCK = 64;
const padCache = new WeakMap<Uint8Array, HmacPads>();

/**
 * The padded keys for `key`. Long-lived keys (keyring keys, the audit MAC key) are the same buffer
 * on every call, so their pads are computed once; a fresh buffer just misses the cache.
 */
export function hmacPads(key: Uint8Array): HmacPads {
  let pads = padCache.get(key);
  if (pads === undefined) {
    // Keys longer than the block are hashed first (RFC 2104 §2).
    const k = Buffer.alloc(SHA256_BLOCK);
    (key.length > SHA256_BLOCK ? hash('sha256', key, 'buffer') : Buffer.from(key)).copy(k);
    pads = {
      ipad: Buffer.from(k.map((b) => b ^ 0x36)),
      opad: Buffer.from(k.map((b) => b ^ 0x5c)),
    };
    padCache.set(key, pads);
  }
  return pads;
}

/** Messages up to this size are MACed with two one-shot hashes; larger ones by an HMAC object. */
const ONE_SHOT_MAX = 4096;

/**
 * HMAC-SHA256 (RFC 2104, FIPS 198-1) of `msg` under `key`; 32 bytes. Short messages (identifiers,
 * ids) are hashed as H(opad ‖ H(ipad ‖ msg)) with cached pads: an HMAC object per call cost more
 * than the hashing itself on the hot paths (blind indexes of every consent event and lookup). The
 * Wycheproof vectors check both paths.
 */
export function hmacSha256(key: Uint8Array, msg: Uint8Array): Buffer {
  if (msg.length > ONE_SHOT_MAX) return createHmac('sha256', key).update(msg).digest();
  const { ipad, opad } = hmacPads(key);
  const inner = Buffer.allocUnsafe(SHA256_BLOCK + msg.length);
  ipad.copy(inner, 0);
  inner.set(msg, SHA256_BLOCK);
  const outer = Buffer.allocUnsafe(SHA256_BLOCK + 32);
  opad.copy(outer, 0);
  hash('sha256', inner, 'buffer').copy(outer, SHA256_BLOCK);
  return hash('sha256', outer, 'buffer');
}

/**
 * Verifies an HMAC-SHA256 tag, optionally truncated to its leftmost `tagBytes` bytes (RFC 2104
 * §5). `tagBytes` must be 16..32: shorter tags are refused as a policy (throws `CryptoError`
 * 'bad-tag-length'), since a sub-128-bit tag is too easy to guess. A `tag` whose length is not
 * `tagBytes` is simply invalid (returns false). The comparison is constant-time.
 */
export function verifyHmacSha256(
  key: Uint8Array,
  msg: Uint8Array,
  tag: Uint8Array,
  tagBytes = SHA256_BYTES,
): boolean {
  if (!Number.isInteger(tagBytes) || tagBytes < HMAC_MIN_TAG_BYTES || tagBytes > SHA256_BYTES) {
    throw new CryptoError(
      'bad-tag-length',
      `HMAC tag length must be ${HMAC_MIN_TAG_BYTES}..${SHA256_BYTES} bytes, got ${tagBytes}`,
    );
  }
  // Compute before the length check so the work done does not depend on the tag presented.
  const expected = hmacSha256(key, msg).subarray(0, tagBytes);
  if (tag.length !== tagBytes) return false;
  return timingSafeEqual(expected, tag);
}

/**
 * HKDF-SHA256 (RFC 5869): extract with `salt` (empty means HashLen zero bytes, §2.2), then expand
 * with `info` to `length` bytes. `length` must be 1..8160 (255 * HashLen, §2.3).
 */
export function hkdfSha256(
  ikm: Uint8Array,
  salt: Uint8Array,
  info: Uint8Array,
  length: number,
): Buffer {
  if (!Number.isInteger(length) || length <= 0 || length > HKDF_SHA256_MAX_BYTES) {
    throw new CryptoError(
      'bad-length',
      `HKDF-SHA256 output must be 1..${HKDF_SHA256_MAX_BYTES} bytes, got ${length}`,
    );
  }
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}

/**
 * A fresh key of `bytes` random bytes from the OS CSPRNG. 16..64 bytes: below 128 bits is too weak,
 * and above 64 bytes (the SHA-256 block) an HMAC key is hashed down anyway (RFC 2104 §3).
 */
export function randomKey(bytes = 32): Buffer {
  if (!Number.isInteger(bytes) || bytes < 16 || bytes > 64) {
    throw new CryptoError('bad-key-length', `random key must be 16..64 bytes, got ${bytes}`);
  }
  return randomBytes(bytes);
}

/**
 * Constant-time equality of two byte strings. Different lengths return false at once: lengths are
 * not secret here, and `timingSafeEqual` would throw on them.
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}
