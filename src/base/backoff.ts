// Capped, jittered exponential backoff (grpc-js backoff-timeout.ts style): one small object per retrying
// activity, its defaults named with their unit.

/** Default first delay. */
export const DEFAULT_BACKOFF_INITIAL_DELAY_MS = 200;
/** Default cap of every delay, jitter included. */
export const DEFAULT_BACKOFF_MAX_DELAY_MS = 30_000;
/** Default growth factor per failed attempt. */
export const DEFAULT_BACKOFF_MULTIPLIER = 2;
/** Default jitter: each delay is spread uniformly over ±this fraction of itself. */
export const DEFAULT_BACKOFF_JITTER = 0.2;

/** Options of {@link Backoff}; every field has the default named above. */
export interface BackoffOptions {
  /** First delay, > 0. Default {@link DEFAULT_BACKOFF_INITIAL_DELAY_MS}. */
  initialDelayMs?: number;
  /** Cap of every delay, jitter included; >= initialDelayMs. Default {@link DEFAULT_BACKOFF_MAX_DELAY_MS}. */
  maxDelayMs?: number;
  /** Growth factor per failed attempt, >= 1. Default {@link DEFAULT_BACKOFF_MULTIPLIER}. */
  multiplier?: number;
  /**
   * Each delay is spread uniformly over ±`jitter` of itself, so that retries of many clients do not
   * synchronise; in [0, 1). Default {@link DEFAULT_BACKOFF_JITTER}.
   */
  jitter?: number;
  /** Source of randomness in [0, 1); injectable for tests. Default `Math.random`. */
  random?: () => number;
}

/**
 * Jittered exponential backoff for one retrying activity: `next()` returns the delay to wait before the
 * next attempt (`initialDelayMs · multiplier^failures`, spread by ±jitter, never above `maxDelayMs`) and
 * counts one more failure; `reset()` after a success starts over. The constructor throws a RangeError
 * naming the option when an option is out of range.
 */
export class Backoff {
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly multiplier: number;
  private readonly jitter: number;
  private readonly random: () => number;
  /** Failed attempts since the last reset; the next delay before jitter grows with it. */
  private failures = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialDelayMs = options.initialDelayMs ?? DEFAULT_BACKOFF_INITIAL_DELAY_MS;
    this.maxDelayMs = options.maxDelayMs ?? DEFAULT_BACKOFF_MAX_DELAY_MS;
    this.multiplier = options.multiplier ?? DEFAULT_BACKOFF_MULTIPLIER;
    this.jitter = options.jitter ?? DEFAULT_BACKOFF_JITTER;
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

  /** The delay before the next attempt, in ms (an integer in [0, maxDelayMs]); counts one more failure. */
  next(): number {
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * this.multiplier ** this.failures);
    this.failures++;
    const spread = base * this.jitter * (2 * this.random() - 1);
    return Math.min(this.maxDelayMs, Math.max(0, Math.round(base + spread)));
  }

  /** Starts over from `initialDelayMs`. */
  reset(): void {
    this.failures = 0;
  }
}
