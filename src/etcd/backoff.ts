/** Default first delay of {@link ExponentialBackoff}. */
export const DEFAULT_INITIAL_BACKOFF_MS = 10;
/** Default cap: the Go client caps watch retries at about 100 ms. */
export const DEFAULT_MAX_BACKOFF_MS = 100;
/** Default growth per attempt. */
export const DEFAULT_BACKOFF_MULTIPLIER = 2;
/** Default jitter: each delay is spread uniformly by ±this fraction. */
export const DEFAULT_BACKOFF_JITTER = 0.2;

/** Options of {@link ExponentialBackoff}; every field has the default named above. */
export interface BackoffOptions {
  initialMs?: number;
  maxMs?: number;
  multiplier?: number;
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. Default Math.random. */
  random?: () => number;
}

/** Capped, jittered exponential backoff. `next()` returns the delay to wait; `reset()` after a success. */
export class ExponentialBackoff {
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  /** Delay before jitter that the next call returns. */
  private currentMs: number;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = options.initialMs ?? DEFAULT_INITIAL_BACKOFF_MS;
    this.maxMs = options.maxMs ?? DEFAULT_MAX_BACKOFF_MS;
    this.multiplier = options.multiplier ?? DEFAULT_BACKOFF_MULTIPLIER;
    this.jitter = options.jitter ?? DEFAULT_BACKOFF_JITTER;
    this.random = options.random ?? Math.random;
    if (!(this.initialMs > 0) || !(this.maxMs >= this.initialMs) || !(this.multiplier >= 1)) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs and multiplier >= 1');
    }
    if (!(this.jitter >= 0 && this.jitter < 1)) throw new RangeError('backoff jitter must be in [0, 1)');
    this.currentMs = this.initialMs;
  }

  /** The delay (ms) before the next attempt; never above maxMs. */
  next(): number {
    const base = this.currentMs;
    this.currentMs = Math.min(this.maxMs, this.currentMs * this.multiplier);
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.min(this.maxMs, Math.max(0, Math.round(base + spread)));
  }

  /** Starts again from initialMs. */
  reset(): void {
    this.currentMs = this.initialMs;
  }
}
