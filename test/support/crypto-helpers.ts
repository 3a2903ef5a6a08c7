// Shared helpers for the crypto primitive tests: hex/UTF-8 buffers, bit flips, and assertions that
// a call is refused with a given CryptoError reason.
import { expect } from 'vitest';
import { CryptoError, type CryptoErrorReason } from '../../src/crypto/primitives.js';

export const hex = (s: string): Buffer => Buffer.from(s, 'hex');
export const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** Runs `fn`, which must throw a CryptoError, and returns that error. */
export function refusal(fn: () => unknown): CryptoError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CryptoError) return error;
    throw error;
  }
  throw new Error('expected a CryptoError, but the call succeeded');
}

export function expectRefused(fn: () => unknown, reason: CryptoErrorReason): void {
  expect(refusal(fn).reason).toBe(reason);
}

export function flipBit(buf: Uint8Array, bit: number): Buffer {
  const copy = Buffer.from(buf);
  const byte = bit >> 3;
  copy[byte] = (copy[byte] ?? 0) ^ (1 << (bit & 7));
  return copy;
}
