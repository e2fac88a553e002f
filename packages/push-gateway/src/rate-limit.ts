// At most one wake-up per device in `intervalMs`, and `perHour` in an hour. A woken app catches up
// on everything that arrived, so a second wake-up soon after the first adds nothing but battery use
// and load on the push service.
export interface RateLimitOptions {
  readonly intervalMs: number;
  readonly perHour: number;
}

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #sent = new Map<string, number[]>();

  constructor(options: RateLimitOptions) {
    this.#options = options;
  }

  /** True (and counted) when a wake-up for `key` may go now. */
  take(key: string, now = Date.now()): boolean {
    const hourAgo = now - 3_600_000;
    const times = (this.#sent.get(key) ?? []).filter((time) => time > hourAgo);
    const last = times.at(-1);
    if (
      (last !== undefined && now - last < this.#options.intervalMs) ||
      times.length >= this.#options.perHour
    ) {
      this.#sent.set(key, times);
      return false;
    }
    times.push(now);
    this.#sent.set(key, times);
    return true;
  }

  forget(key: string): void {
    this.#sent.delete(key);
  }
}
