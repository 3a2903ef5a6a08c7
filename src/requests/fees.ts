// Fees for excessive repeats (placeholder until the module lands).
export interface RepeatPolicy {
  /** Requests of one type by one person within the window before a fee may be considered. */
  freeRequests: number;
  windowDays: number;
}

export const DEFAULT_REPEAT_POLICY: RepeatPolicy = { freeRequests: 2, windowDays: 365 };

/** How many of `earlier` (ISO instants) fall in the rolling window ending at `now`. */
export function repeatsInWindow(
  _earlier: readonly string[],
  _now: Date,
  _windowDays: number,
): number {
  throw new Error('fees not built yet');
}

/** True when one more request now exceeds the free allowance. */
export function isRepetitive(
  _earlier: readonly string[],
  _now: Date,
  _policy: RepeatPolicy = DEFAULT_REPEAT_POLICY,
): boolean {
  throw new Error('fees not built yet');
}
