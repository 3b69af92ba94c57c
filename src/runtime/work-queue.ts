import { realClock, type Clock } from '../base/index.js';
import { DelayedKeys } from './delayed-keys.js';
import { noopQueueMetrics, type QueueMetrics } from './queue-metrics.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';

/** Options of {@link WorkQueue}; all optional. */
export interface WorkQueueOptions {
  /** Backoff for `addRateLimited`. Default {@link defaultControllerRateLimiter}. */
  rateLimiter?: RateLimiter;
  /** Default {@link noopQueueMetrics}. */
  metrics?: QueueMetrics;
  /** Default the real clock; tests inject a `FakeClock`. */
  clock?: Clock;
}

/**
 * A keyed work queue with client-go's guarantees:
 * - **dedup**: a key added while already waiting is queued once;
 * - **one at a time**: a key is never handed to two workers at once; a key added while it is being
 *   processed is queued again only after `done(key)`;
 * - **delays**: `addAfter` holds a key back (keeping only the earliest pending time per key), and
 *   `addRateLimited` delays it by the rate limiter (per-item exponential backoff and an overall bucket)
 *   until `forget(key)` resets it.
 *
 * Shutdown differs from client-go on purpose: after `shutDown()` no new work is handed out, even if keys
 * were waiting (the operator is level-based; the next leader reconciles everything anyway).
 * `shutDownWithDrain()` additionally waits until every key handed out has been marked done.
 */
export class WorkQueue {
  private readonly rateLimiter: RateLimiter;
  private readonly metrics: QueueMetrics;
  private readonly clock: Clock;
  /** Keys ready to be handed out, in order; no duplicates; disjoint from `processing`. */
  private readonly queue: string[] = [];
  /** Keys that need processing (queued, or re-added while processing); key → time added. */
  private readonly dirty = new Map<string, number>();
  /** Keys handed to a worker and not yet done; key → time handed out. */
  private readonly processing = new Map<string, number>();
  /** Keys waiting for a delayed add (the earliest per key), behind one timer. */
  private readonly delayed: DelayedKeys;
  /** Workers blocked in get(), woken in FIFO order. */
  private readonly waiters: ((key: string | undefined) => void)[] = [];
  /** Resolvers of shutDownWithDrain() callers, settled once `processing` is empty. */
  private drainWaiters: (() => void)[] = [];
  private shuttingDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.clock = options.clock ?? realClock;
    this.rateLimiter = options.rateLimiter ?? defaultControllerRateLimiter(this.clock);
    this.metrics = options.metrics ?? noopQueueMetrics;
    this.delayed = new DelayedKeys(this.clock, (key) => this.add(key));
  }

  /** Keys waiting to be handed out (not counting ones being processed or delayed). */
  len(): number {
    return this.queue.length;
  }

  /** Keys currently handed out and not yet done. */
  processingCount(): number {
    return this.processing.size;
  }

  /** Whether shutDown() has been called. */
  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Queues `key` now (see the class comment for dedup). Ignored after shutdown. */
  add(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.incAdds();
    if (this.dirty.has(key)) return;
    this.dirty.set(key, this.clock.now());
    if (this.processing.has(key)) return; // re-queued by done()
    this.push(key);
  }

  /** Queues `key` after `delayMs` (at once if <= 0). A key with an earlier pending add keeps that. */
  addAfter(key: string, delayMs: number): void {
    if (this.shuttingDown) return;
    if (delayMs <= 0) {
      this.add(key);
      return;
    }
    this.delayed.add(key, this.clock.now() + delayMs);
  }

  /** Queues `key` after the rate limiter's delay for it (one more failure counted). */
  addRateLimited(key: string): void {
    if (this.shuttingDown) return;
    this.metrics.incRetries();
    this.addAfter(key, this.rateLimiter.when(key));
  }

  /** Resets `key`'s failure count, so its next `addRateLimited` waits the base delay. */
  forget(key: string): void {
    this.rateLimiter.forget(key);
  }

  /** Failures of `key` since it was last forgotten. */
  numRequeues(key: string): number {
    return this.rateLimiter.retries(key);
  }

  /**
   * Hands out the next key, waiting for one if none is ready. Resolves `undefined` once the queue is
   * shutting down. The caller must call `done(key)` when finished with it.
   */
  get(): Promise<string | undefined> {
    if (this.shuttingDown) return Promise.resolve(undefined);
    const key = this.queue.shift();
    if (key !== undefined) return Promise.resolve(this.handOut(key));
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks `key` finished; if it was added again meanwhile, it is queued now. */
  done(key: string): void {
    const since = this.processing.get(key);
    if (since === undefined) return;
    this.processing.delete(key);
    this.metrics.observeWorkDurationMs(this.clock.now() - since);
    if (this.dirty.has(key) && !this.shuttingDown) this.push(key);
    if (this.processing.size === 0 && this.drainWaiters.length > 0) {
      const waiters = this.drainWaiters;
      this.drainWaiters = [];
      for (const w of waiters) w();
    }
  }

  /** Stops handing out work: blocked and future get() calls resolve `undefined`; delayed adds are dropped. */
  shutDown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.delayed.clear();
    this.queue.length = 0;
    for (const [key] of this.dirty) if (!this.processing.has(key)) this.dirty.delete(key);
    this.metrics.setDepth(0);
    const waiters = this.waiters.splice(0);
    for (const w of waiters) w(undefined);
  }

  /** shutDown(), then resolves once every key handed out has been marked done. */
  shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: string): void {
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter(this.handOut(key));
      return;
    }
    this.queue.push(key);
    this.metrics.setDepth(this.queue.length);
  }

  private handOut(key: string): string {
    const addedAt = this.dirty.get(key) ?? this.clock.now();
    this.dirty.delete(key);
    const now = this.clock.now();
    this.processing.set(key, now);
    this.metrics.observeQueueLatencyMs(now - addedAt);
    this.metrics.setDepth(this.queue.length);
    return key;
  }
}
