// A small bounded cache whose entries expire: the memory of recent access reviews, so that a scrape every
// few seconds costs the API server one TokenReview and one SubjectAccessReview a minute, not one each.
import type { Clock } from '../base/index.js';

/** Options of {@link ExpiringCache}. */
export interface ExpiringCacheOptions {
  /** Entries kept at most; past it the least recently used entry goes. Required, at least 1. */
  readonly maxEntries: number;
  /** Time source of expiry. Required (tests pass a FakeClock). */
  readonly clock: Clock;
}

/** One cached value and when it stops counting. */
interface Entry<V> {
  readonly value: V;
  /** Clock time (ms) from which `get` no longer returns it. */
  readonly expiresAt: number;
}

/**
 * A map from string keys to values that each live for their own TTL, holding at most `maxEntries`
 * (least recently used evicted first). Expired entries are dropped when met. Never throws after
 * construction; synchronous.
 */
export class ExpiringCache<V> {
  /** Insertion order is recency order: `get` and `set` move an entry to the end. */
  private readonly entries = new Map<string, Entry<V>>();
  private readonly maxEntries: number;
  private readonly clock: Clock;

  constructor(options: ExpiringCacheOptions) {
    if (!Number.isInteger(options.maxEntries) || options.maxEntries < 1)
      throw new RangeError('ExpiringCache: maxEntries must be a positive integer');
    this.maxEntries = options.maxEntries;
    this.clock = options.clock;
  }

  /** The value under `key` while it has not expired; undefined otherwise. */
  get(key: string): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    this.entries.delete(key);
    if (this.clock.now() >= entry.expiresAt) return undefined;
    this.entries.set(key, entry);
    return entry.value;
  }

  /** Stores `value` for `ttlMs` (a TTL of 0 or less stores nothing), evicting the oldest when full. */
  set(key: string, value: V, ttlMs: number): void {
    this.entries.delete(key);
    if (!(ttlMs > 0)) return;
    this.entries.set(key, { value, expiresAt: this.clock.now() + ttlMs });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (oldest.done) break;
      this.entries.delete(oldest.value);
    }
  }

  /** Entries held, expired ones not yet met included. */
  get size(): number {
    return this.entries.size;
  }
}
