/** Options of {@link Backoff}; every field has a default. */
export interface BackoffOptions {
  /** First delay. Default 200 ms. */
  initialDelayMs?: number;
  /** Upper bound of any delay (before jitter). Default 30 000 ms. */
  maxDelayMs?: number;
  /** Growth factor per attempt. Default 2. */
  multiplier?: number;
  /** Each delay is spread uniformly over ±`jitter` of itself, so restarts do not synchronise. Default 0.2. */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. Default `Math.random`. */
  random?: () => number;
}

export const DEFAULT_BACKOFF_INITIAL_DELAY_MS = 200;
export const DEFAULT_BACKOFF_MAX_DELAY_MS = 30_000;

/**
 * Jittered exponential backoff for one retrying activity: `next()` returns the delay to wait before the
 * next attempt and grows it; `reset()` after a success starts over.
 */
export class Backoff {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  /** Failed attempts since the last reset. */
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = options.initialDelayMs ?? DEFAULT_BACKOFF_INITIAL_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_BACKOFF_MAX_DELAY_MS;
    this.multiplier = options.multiplier ?? 2;
    this.jitter = options.jitter ?? 0.2;
    this.random = options.random ?? Math.random;
    if (!(this.initialDelayMs > 0)) throw new RangeError('backoff: initialDelayMs must be > 0');
    if (!(this.maxDelayMs >= this.initialDelayMs)) {
      throw new RangeError('backoff: maxDelayMs must be >= initialDelayMs');
    }
    if (!(this.multiplier >= 1)) throw new RangeError('backoff: multiplier must be >= 1');
    if (!(this.jitter >= 0 && this.jitter < 1)) throw new RangeError('backoff: jitter must be in [0, 1)');
  }

  /** Failed attempts since the last reset. */
  get attempts(): number {
    return this.failures;
  }

  /** The delay before the next attempt, in ms; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.multiplier ** this.failures);
    this.failures++;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.max(0, Math.round(base + spread));
  }

  /** Starts over from `initialDelayMs`. */
  reset(): void {
    this.failures = 0;
  }
}
