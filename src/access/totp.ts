// Time-based one-time passwords (RFC 6238, on HOTP from RFC 4226) for the staff second factor.
//
// Defaults are the ones every authenticator app assumes and most ignore the URI parameters for:
// HMAC-SHA-1, 6 digits, 30-second steps counted from the Unix epoch (T0 = 0).
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** HMAC hash used by TOTP; RFC 6238 allows SHA-1, SHA-256 and SHA-512. */
export type TotpAlgorithm = 'sha1' | 'sha256' | 'sha512';

/** Code generation parameters; omitted fields take the authenticator-app defaults. */
export interface TotpOptions {
  /** Time step in seconds (default 30). */
  step?: number;
  /** Code length, 6-10 (default 6; RFC 4226 requires at least 6). */
  digits?: number;
  /** HMAC hash (default 'sha1'). */
  algorithm?: TotpAlgorithm;
}

/** Verification parameters: the generation parameters plus the accepted drift and replay state. */
export interface VerifyTotpOptions extends TotpOptions {
  /** Steps of clock drift accepted either side of the current one (default 1). */
  window?: number;
  /** The step of the last code this secret accepted; it and every earlier step are refused. */
  lastUsedStep?: number | null;
}

/** Outcome of {@link verifyTotp}; on success `step` must be stored as the next `lastUsedStep`. */
export type VerifyTotpResult = { ok: true; step: number } | { ok: false };

const DEFAULT_STEP = 30;
const DEFAULT_DIGITS = 6;
const DEFAULT_ALGORITHM: TotpAlgorithm = 'sha1';
const SECRET_BYTES = 20; // 160 bits, the length RFC 4226 §4 recommends
const MIN_SECRET_BYTES = 16; // RFC 4226 §4 R6: the shared secret MUST be at least 128 bits
const MAX_WINDOW = 10; // a wider window turns a 6-digit code into a guessable one
const BASE32_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

/** A new random shared secret of 20 bytes (160 bits, the RFC 4226 recommendation). */
export function generateTotpSecret(): Buffer {
  return randomBytes(SECRET_BYTES);
}

/** RFC 4648 base32 without padding: the form authenticator apps accept in otpauth URIs. */
export function base32Encode(buf: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of buf) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET.charAt((value >>> (bits - 5)) & 31);
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32_ALPHABET.charAt((value << (5 - bits)) & 31);
  return out;
}

/**
 * Decodes unpadded RFC 4648 base32, case-insensitively. Throws a TypeError on any character
 * outside the alphabet (padding and whitespace included), on a length no encoder produces, and
 * on non-zero trailing bits, so every accepted string is the canonical encoding of its bytes.
 */
export function base32Decode(s: string): Buffer {
  const input = s.toUpperCase();
  const remainder = input.length % 8;
  if (remainder === 1 || remainder === 3 || remainder === 6) {
    throw new TypeError(`invalid base32 length ${input.length}`);
  }
  const out = Buffer.alloc(Math.floor((input.length * 5) / 8));
  let bits = 0;
  let value = 0;
  let index = 0;
  for (const char of input) {
    const digit = BASE32_ALPHABET.indexOf(char);
    if (digit < 0) throw new TypeError(`invalid base32 character ${JSON.stringify(char)}`);
    value = ((value << 5) | digit) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      out[index] = (value >>> (bits - 8)) & 0xff;
      index += 1;
      bits -= 8;
    }
  }
  if ((value & ((1 << bits) - 1)) !== 0)
    throw new TypeError('invalid base32: non-zero padding bits');
  return out;
}

function resolveOptions(opts: TotpOptions | undefined): Required<TotpOptions> {
  const step = opts?.step ?? DEFAULT_STEP;
  const digits = opts?.digits ?? DEFAULT_DIGITS;
  const algorithm = opts?.algorithm ?? DEFAULT_ALGORITHM;
  if (!Number.isSafeInteger(step) || step < 1) throw new RangeError(`invalid TOTP step ${step}`);
  // The truncated HOTP value is a 31-bit number, so more than 10 digits adds only leading zeros.
  if (!Number.isInteger(digits) || digits < 6 || digits > 10) {
    throw new RangeError(`invalid TOTP digits ${digits}`);
  }
  if (algorithm !== 'sha1' && algorithm !== 'sha256' && algorithm !== 'sha512') {
    throw new RangeError(`invalid TOTP algorithm ${String(algorithm)}`);
  }
  return { step, digits, algorithm };
}

function checkSecret(secret: Uint8Array): void {
  if (secret.length < MIN_SECRET_BYTES) {
    throw new RangeError(`TOTP secret must be at least ${MIN_SECRET_BYTES} bytes`);
  }
}

/** HOTP (RFC 4226 §5.3): HMAC of the 8-byte big-endian counter, dynamically truncated. */
function hotp(
  secret: Uint8Array,
  counter: number,
  digits: number,
  algorithm: TotpAlgorithm,
): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac(algorithm, secret).update(message).digest();
  const offset = mac.readUInt8(mac.length - 1) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

function stepAt(unixSeconds: number, step: number): number {
  if (!Number.isFinite(unixSeconds) || unixSeconds < 0) {
    throw new RangeError(`invalid TOTP time ${unixSeconds}`);
  }
  return Math.floor(unixSeconds / step);
}

/**
 * The TOTP code for `secret` at `unixSeconds` (fractions allowed). Throws a RangeError for a
 * secret shorter than 128 bits, a negative time or out-of-range options.
 */
export function totpAt(secret: Buffer, unixSeconds: number, opts?: TotpOptions): string {
  checkSecret(secret);
  const { step, digits, algorithm } = resolveOptions(opts);
  return hotp(secret, stepAt(unixSeconds, step), digits, algorithm);
}

/**
 * Checks `code` against the steps from `window` before to `window` after the one containing
 * `unixSeconds`, comparing in constant time and without stopping at the first match.
 *
 * A step at or before `lastUsedStep` is refused even when the code is right: a code is valid
 * once (RFC 6238 §5.2), so a code seen over a shoulder or phished cannot be replayed. Callers
 * store the returned `step` as the new `lastUsedStep` atomically with accepting the login.
 * A code that is not exactly `digits` ASCII digits is refused without computing anything.
 */
export function verifyTotp(
  secret: Buffer,
  code: string,
  unixSeconds: number,
  opts?: VerifyTotpOptions,
): VerifyTotpResult {
  checkSecret(secret);
  const { step, digits, algorithm } = resolveOptions(opts);
  const window = opts?.window ?? 1;
  if (!Number.isInteger(window) || window < 0 || window > MAX_WINDOW) {
    throw new RangeError(`invalid TOTP window ${window}`);
  }
  const lastUsedStep = opts?.lastUsedStep ?? null;
  const current = stepAt(unixSeconds, step);
  if (code.length !== digits || !/^[0-9]+$/.test(code)) return { ok: false };

  const given = Buffer.from(code, 'ascii');
  let matched: number | null = null;
  for (let counter = current - window; counter <= current + window; counter += 1) {
    if (counter < 0) continue;
    const expected = Buffer.from(hotp(secret, counter, digits, algorithm), 'ascii');
    const equal = timingSafeEqual(expected, given);
    // The earliest matching unused step wins, so a rare collision burns as few steps as possible.
    if (equal && matched === null && (lastUsedStep === null || counter > lastUsedStep)) {
      matched = counter;
    }
  }
  return matched === null ? { ok: false } : { ok: true, step: matched };
}

/** Parameters of an otpauth:// provisioning URI; the optional ones default to the app defaults. */
export interface OtpauthUriParams {
  secret: Buffer;
  /** The staff member's account name shown in the app, e.g. an e-mail address. */
  account: string;
  /** The service name shown in the app, e.g. "Custos". */
  issuer: string;
  algorithm?: TotpAlgorithm;
  digits?: number;
  period?: number;
}

/**
 * The Key URI (otpauth://totp/Issuer:account?secret=…&issuer=…) an authenticator app enrols
 * from, usually shown as a QR code. Label parts and parameters are percent-encoded with
 * encodeURIComponent (spaces as %20, which apps decode correctly, unlike "+"). The issuer is
 * repeated as a parameter because the Key URI format prefers it over the label prefix. Throws a
 * RangeError when the issuer or account is empty or contains ":", which would make the label
 * ambiguous.
 */
export function otpauthUri(params: OtpauthUriParams): string {
  const { secret, account, issuer } = params;
  const { step, digits, algorithm } = resolveOptions({
    step: params.period,
    digits: params.digits,
    algorithm: params.algorithm,
  });
  checkSecret(secret);
  for (const [name, value] of [
    ['issuer', issuer],
    ['account', account],
  ] as const) {
    if (value.length === 0 || value.includes(':')) {
      throw new RangeError(`otpauth ${name} must be non-empty and must not contain ":"`);
    }
  }
  const label = `${encodeURIComponent(issuer)}:${encodeURIComponent(account)}`;
  const query = [
    `secret=${base32Encode(secret)}`,
    `issuer=${encodeURIComponent(issuer)}`,
    `algorithm=${algorithm.toUpperCase()}`,
    `digits=${digits}`,
    `period=${step}`,
  ].join('&');
  return `otpauth://totp/${label}?${query}`;
}
