// Fees for excessive repeats. Requests are free (GB/T 35273-2020 §8.7; GDPR art. 12(5)); a
// cost-based fee may be considered only for requests repeated beyond a reasonable number within a
// period (research/pipl-requirements.md §1.12). This module only counts; a fee itself needs a
// privacy officer's approval and a recorded cost basis (src/requests workflow).
export interface RepeatPolicy {
  /** Requests of one type by one person within the window before a fee may be considered. */
  freeRequests: number;
  windowDays: number;
}

export const DEFAULT_REPEAT_POLICY: RepeatPolicy = Object.freeze({
  freeRequests: 2,
  windowDays: 365,
});

const DAY_MS = 86_400_000;

/**
 * How many of `earlier` (ISO instants) fall in the rolling window ending at `now`. The window is
 * closed at both ends: `now - windowDays × 24 h <= t <= now`. A request exactly `windowDays` days
 * old still counts (the person cannot game the limit by the millisecond); instants after `now`
 * (clock skew between writers) are not "earlier" and do not count.
 */
export function repeatsInWindow(earlier: readonly string[], now: Date, windowDays: number): number {
  const end = now.getTime();
  if (!Number.isFinite(end)) throw new RangeError('fees: now is not a valid date');
  if (!Number.isSafeInteger(windowDays) || windowDays < 1) {
    throw new RangeError('fees: windowDays must be a positive integer');
  }
  const start = end - windowDays * DAY_MS;
  let n = 0;
  for (const iso of earlier) {
    const t = Date.parse(iso);
    // A corrupt timestamp must not silently lower the count.
    if (!Number.isFinite(t)) throw new RangeError('fees: an earlier request has no valid instant');
    if (t >= start && t <= end) n++;
  }
  return n;
}

/** True when one more request now exceeds the free allowance. */
export function isRepetitive(
  earlier: readonly string[],
  now: Date,
  policy: RepeatPolicy = DEFAULT_REPEAT_POLICY,
): boolean {
  if (!Number.isSafeInteger(policy.freeRequests) || policy.freeRequests < 0) {
    throw new RangeError('fees: freeRequests must be a non-negative integer');
  }
  return repeatsInWindow(earlier, now, policy.windowDays) >= policy.freeRequests;
}
