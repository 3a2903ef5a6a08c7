// The audit MAC is plain HMAC-SHA256 (RFC 2104), however it is computed.
import { createHmac, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { eventMac } from './log.js';

describe('eventMac', () => {
  it('equals HMAC-SHA256(key, be64(seq) || leaf hash) for any key, position and leaf', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 100 }),
        fc.nat({ max: Number.MAX_SAFE_INTEGER }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        (key, seq, leaf) => {
          const k = Buffer.from(key);
          const position = Buffer.alloc(8);
          position.writeBigUInt64BE(BigInt(seq));
          const expected = createHmac('sha256', k).update(position).update(leaf).digest();
          expect(eventMac(k, seq, Buffer.from(leaf)).equals(expected)).toBe(true);
        },
      ),
      { seed: 0x5eed, numRuns: 300 },
    );
  });

  it('differs for another position or another leaf', () => {
    const key = randomBytes(32);
    const leaf = randomBytes(32);
    expect(eventMac(key, 5, leaf).equals(eventMac(key, 6, leaf))).toBe(false);
    expect(eventMac(key, 5, leaf).equals(eventMac(key, 5, randomBytes(32)))).toBe(false);
  });
});
