// A small fixed-window limiter in process memory, for per-IP throttles on public and login routes.
// Per-account throttling lives in the database (login.ts) so it holds across instances; per-IP
// counters are a first, cheap line that need not be shared.

export class RateLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();
  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one hit; returns the seconds to wait when the key is over its limit. */
  hit(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    if (this.#windows.size > 50_000) this.#sweep(t);
    let w = this.#windows.get(key);
    if (w === undefined || w.resetAt <= t) {
      w = { count: 0, resetAt: t + this.windowMs };
      this.#windows.set(key, w);
    }
    w.count++;
    return w.count <= this.limit
      ? { ok: true }
      : { ok: false, retryAfterSeconds: Math.ceil((w.resetAt - t) / 1000) };
  }

  /** Whether the key is over its limit now, without counting a hit. */
  check(key: string): { ok: true } | { ok: false; retryAfterSeconds: number } {
    const t = this.now();
    const w = this.#windows.get(key);
    if (w === undefined || w.resetAt <= t || w.count < this.limit) return { ok: true };
    return { ok: false, retryAfterSeconds: Math.ceil((w.resetAt - t) / 1000) };
  }

  #sweep(t: number): void {
    for (const [k, w] of this.#windows) if (w.resetAt <= t) this.#windows.delete(k);
  }
}

/** The client address reduced to its network (IPv4 /24, IPv6 /48): enough to throttle, less to identify. */
export function ipPrefix(ip: string): string {
  const v4 = /^(?:::ffff:)?(\d+)\.(\d+)\.(\d+)\.\d+$/.exec(ip);
  if (v4) return `${v4[1]}.${v4[2]}.${v4[3]}.0/24`;
  const groups = ip.split(':').filter((g) => g !== '');
  return `${groups.slice(0, 3).join(':')}::/48`;
}
