import { TokenBucket, type Clock } from '../base/index.js';

/** Decides how long a failed item waits before its next attempt. */
export interface RateLimiter {
  /** The delay (ms) before `key` may be retried; counts one more failure of `key`. */
  when(key: string): number;
  /** Forgets `key`'s failures (after a success): its next delay starts from the base again. */
  forget(key: string): void;
  /** Failures of `key` since it was last forgotten. */
  retries(key: string): number;
}

export const DEFAULT_ITEM_BASE_DELAY_MS = 5;
export const DEFAULT_ITEM_MAX_DELAY_MS = 300_000;
export const DEFAULT_OVERALL_RATE_PER_SECOND = 10;
export const DEFAULT_OVERALL_BURST = 100;

/** Per-item exponential backoff: `baseDelayMs · 2^failures`, capped at `maxDelayMs`. */
export class ItemExponentialRateLimiter implements RateLimiter {
  /** key → failures since forget(). */
  private readonly failures = new Map<string, number>();

  constructor(
    private readonly baseDelayMs = DEFAULT_ITEM_BASE_DELAY_MS,
    private readonly maxDelayMs = DEFAULT_ITEM_MAX_DELAY_MS,
  ) {
    if (!(baseDelayMs > 0)) throw new RangeError('rate limiter: baseDelayMs must be > 0');
    if (!(maxDelayMs >= baseDelayMs)) throw new RangeError('rate limiter: maxDelayMs must be >= baseDelayMs');
  }

  when(key: string): number {
    const n = this.failures.get(key) ?? 0;
    this.failures.set(key, n + 1);
    // Cap the exponent too, so 2^n never overflows to Infinity.
    return Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** Math.min(n, 52));
  }

  forget(key: string): void {
    this.failures.delete(key);
  }

  retries(key: string): number {
    return this.failures.get(key) ?? 0;
  }
}

/** An overall limit on retries across all items (a token bucket), whatever their own backoff says. */
export class BucketRateLimiter implements RateLimiter {
  private readonly bucket: TokenBucket;

  constructor(ratePerSecond: number, burst: number, clock?: Clock) {
    this.bucket = new TokenBucket({ ratePerSecond, burst, ...(clock ? { clock } : {}) });
  }

  when(): number {
    return this.bucket.reserve();
  }

  forget(): void {}

  retries(): number {
    return 0;
  }
}

/** The longest delay of several limiters (client-go's MaxOfRateLimiter). */
export class MaxOfRateLimiter implements RateLimiter {
  private readonly limiters: readonly RateLimiter[];

  constructor(...limiters: RateLimiter[]) {
    if (limiters.length === 0) throw new RangeError('rate limiter: give at least one limiter');
    this.limiters = limiters;
  }

  when(key: string): number {
    return Math.max(...this.limiters.map((l) => l.when(key)));
  }

  forget(key: string): void {
    for (const l of this.limiters) l.forget(key);
  }

  retries(key: string): number {
    return Math.max(...this.limiters.map((l) => l.retries(key)));
  }
}

/**
 * The controller default (client-go's DefaultControllerRateLimiter): per-item backoff from 5 ms
 * doubling to 300 s, and at most 10 retries per second overall with bursts of 100.
 */
export function defaultControllerRateLimiter(clock?: Clock): RateLimiter {
  return new MaxOfRateLimiter(
    new ItemExponentialRateLimiter(),
    new BucketRateLimiter(DEFAULT_OVERALL_RATE_PER_SECOND, DEFAULT_OVERALL_BURST, clock),
  );
}
