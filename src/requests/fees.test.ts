// Repeat counting for fees: the rolling window is closed at both ends and ends now; one more request
// is repetitive once the earlier ones in the window reach the free allowance.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_REPEAT_POLICY, isRepetitive, repeatsInWindow } from './fees.js';

const now = new Date('2026-06-01T00:00:00.000Z');
const ms = (iso: string, delta: number): string => new Date(Date.parse(iso) + delta).toISOString();
const windowStart = '2025-06-01T00:00:00.000Z'; // now − 365 × 24 h

describe('repeatsInWindow', () => {
  it('counts the window start and now, not a millisecond outside either', () => {
    expect(repeatsInWindow([windowStart], now, 365)).toBe(1);
    expect(repeatsInWindow([ms(windowStart, -1)], now, 365)).toBe(0);
    expect(repeatsInWindow([now.toISOString()], now, 365)).toBe(1);
    expect(repeatsInWindow([ms(now.toISOString(), 1)], now, 365)).toBe(0);
    expect(
      repeatsInWindow(
        [windowStart, ms(windowStart, -1), '2026-01-15T08:00:00.000Z', now.toISOString()],
        now,
        365,
      ),
    ).toBe(3);
  });

  it('uses the given window length', () => {
    const earlier = ['2026-05-25T00:00:00.000Z', '2026-05-01T00:00:00.000Z'];
    expect(repeatsInWindow(earlier, now, 7)).toBe(1);
    expect(repeatsInWindow(earlier, now, 31)).toBe(2);
    expect(repeatsInWindow([], now, 31)).toBe(0);
  });

  it('grows with the window and never exceeds the list', () => {
    const instant = fc
      .date({ min: new Date('2024-01-01Z'), max: new Date('2026-07-01Z'), noInvalidDate: true })
      .map((d) => d.toISOString());
    fc.assert(
      fc.property(
        fc.array(instant, { maxLength: 20 }),
        fc.integer({ min: 1, max: 800 }),
        (list, w) => {
          const n = repeatsInWindow(list, now, w);
          expect(n).toBeLessThanOrEqual(list.length);
          expect(repeatsInWindow(list, now, w + 1)).toBeGreaterThanOrEqual(n);
        },
      ),
      { seed: 42, numRuns: 200 },
    );
  });

  it.each([0, -1, 1.5, Number.NaN])('refuses a window of %d days', (w) => {
    expect(() => repeatsInWindow([], now, w)).toThrow(RangeError);
  });

  it('refuses a corrupt instant instead of undercounting', () => {
    expect(() => repeatsInWindow(['not a date'], now, 365)).toThrow(RangeError);
    expect(() => repeatsInWindow([], new Date('nope'), 365)).toThrow(RangeError);
  });
});

describe('isRepetitive', () => {
  it('defaults to two free requests in 365 days: the third is flagged', () => {
    expect(DEFAULT_REPEAT_POLICY).toEqual({ freeRequests: 2, windowDays: 365 });
    expect(isRepetitive([], now)).toBe(false);
    expect(isRepetitive(['2026-03-01T00:00:00.000Z'], now)).toBe(false);
    expect(isRepetitive(['2026-03-01T00:00:00.000Z', '2026-05-01T00:00:00.000Z'], now)).toBe(true);
  });

  it('ignores requests that left the window', () => {
    expect(isRepetitive([ms(windowStart, -1), '2026-05-01T00:00:00.000Z'], now)).toBe(false);
    expect(isRepetitive([windowStart, '2026-05-01T00:00:00.000Z'], now)).toBe(true);
  });

  it('follows a configured policy', () => {
    const strict = { freeRequests: 0, windowDays: 30 };
    expect(isRepetitive([], now, strict)).toBe(true);
    const generous = { freeRequests: 3, windowDays: 30 };
    const three = [
      '2026-05-10T00:00:00.000Z',
      '2026-05-20T00:00:00.000Z',
      '2026-05-30T00:00:00.000Z',
    ];
    expect(isRepetitive(three.slice(0, 2), now, generous)).toBe(false);
    expect(isRepetitive(three, now, generous)).toBe(true);
  });

  it('refuses a negative or fractional allowance', () => {
    expect(() => isRepetitive([], now, { freeRequests: -1, windowDays: 30 })).toThrow(RangeError);
    expect(() => isRepetitive([], now, { freeRequests: 1.5, windowDays: 30 })).toThrow(RangeError);
  });
});
