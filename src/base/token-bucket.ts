import { realClock, type Clock } from './clock.js';

/** Options of {@link TokenBucket}. */
export interface TokenBucketOptions {
  /** Tokens added per second. Required, > 0. */
  ratePerSecond: number;
  /** Bucket size: how many tokens can be taken at once after a quiet period. Required, >= 1. */
  burst: number;
  /** Time source. Default {@link realClock}; tests inject a `FakeClock`. */
  clock?: Clock;
}

/**
 * A token-bucket rate limiter (like Go's `rate.Limiter`). Starts full. The constructor throws a
 * RangeError when `ratePerSecond` or `burst` is out of range.
 */
export class TokenBucket {
  private readonly ratePerMs: number;
  private readonly burst: number;
  private readonly clock: Clock;
  /** Tokens available at `updatedAt`; negative when future tokens are already reserved. */
  private tokens: number;
  /** When `tokens` was last brought up to date (clock ms). */
  private updatedAt: number;

  constructor(options: TokenBucketOptions) {
    if (!(options.ratePerSecond > 0)) throw new RangeError('token bucket: ratePerSecond must be > 0');
    if (!(options.burst >= 1)) throw new RangeError('token bucket: burst must be >= 1');
    this.ratePerMs = options.ratePerSecond / 1000;
    this.burst = options.burst;
    this.clock = options.clock ?? realClock;
    this.tokens = options.burst;
    this.updatedAt = this.clock.now();
  }

  private refill(): void {
    const now = this.clock.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
  }

  /** Takes a token if one is available now; returns whether it did. */
  tryTake(): boolean {
    this.refill();
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  /** Takes a token, possibly one that arrives later; returns how long to wait for it (ms, 0 = now). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : Math.ceil(-this.tokens / this.ratePerMs);
  }
}
