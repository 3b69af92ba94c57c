import { randomUUID } from 'node:crypto';
import { realClock, type Clock } from '../base/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import {
  noopControllerMetrics,
  type ControllerMetrics,
  type ReconcileOutcome,
} from './controller-metrics.js';
import type { QueueMetrics } from './queue-metrics.js';
import type { RateLimiter } from './rate-limiter.js';
import {
  RetryError,
  TerminalError,
  requestFromKey,
  requestKey,
  type Reconciler,
  type Request,
  type Result,
} from './reconciler.js';
import { WorkQueue } from './work-queue.js';

/** Options of {@link Controller}. */
export interface ControllerOptions {
  /** Name used in logs and metrics, e.g. `prefixsync`. Required. */
  name: string;
  /** The reconciler this controller drives. Required. */
  reconciler: Reconciler;
  /** Reconciles run in parallel (never two for one request). Default 1; must be an integer >= 1. */
  workers?: number;
  /** Retry backoff. Default: 5 ms doubling to 300 s per item, 10/s overall (burst 100). */
  rateLimiter?: RateLimiter;
  /** Default no metrics. */
  queueMetrics?: QueueMetrics;
  /** Default no metrics. */
  metrics?: ControllerMetrics;
  /** Default silent. */
  logger?: Logger;
  /** Default the real clock. */
  clock?: Clock;
  /** Source of reconcile IDs. Default `crypto.randomUUID`. */
  newReconcileId?: () => string;
}

/** The controller's lifecycle; changed only through `transition()`. */
export type ControllerState = 'idle' | 'running' | 'stopping' | 'stopped';

/**
 * Every transition a controller may make, by from-state; transition() refuses any other. stop() may
 * come before start() (idle → stopping); `stopped` is terminal.
 */
export const CONTROLLER_TRANSITIONS: Readonly<Record<ControllerState, readonly ControllerState[]>> = {
  idle: ['running', 'stopping'],
  running: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/**
 * The engine that drives a {@link Reconciler}: a {@link WorkQueue} and N workers. Event sources call
 * {@link enqueue}; each worker takes a key, runs one reconcile with a child logger carrying a fresh
 * `reconcileID`, and applies the reconcile contract (success → forget, `requeueAfterMs` → delayed add,
 * TerminalError → log and drop, other error → rate-limited retry). A throwing reconcile never affects
 * other keys or workers. `stop()` stops handing out work, aborts the signal given to in-flight
 * reconciles and resolves once they have all returned.
 */
export class Controller {
  readonly name: string;
  private readonly reconciler: Reconciler;
  private readonly workerCount: number;
  private readonly metrics: ControllerMetrics;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly newReconcileId: () => string;
  /** The keys to reconcile; owned by this controller. */
  readonly queue: WorkQueue;
  /** Aborted by stop(); its signal is given to every reconcile. */
  private readonly stopController = new AbortController();
  private state: ControllerState = 'idle';
  /** The worker loops; stop() awaits them. */
  private workers: Promise<void>[] = [];
  /** Workers inside a reconcile right now. */
  private active = 0;
  /** stop()'s result, shared by every caller. */
  private stopping: Promise<void> | undefined;

  constructor(options: ControllerOptions) {
    if (!options.name) throw new TypeError('Controller: set options.name');
    if (!options.reconciler) throw new TypeError(`Controller ${options.name}: set options.reconciler`);
    const workers = options.workers ?? 1;
    if (!Number.isInteger(workers) || workers < 1) {
      throw new RangeError(`Controller ${options.name}: workers must be an integer >= 1, got ${workers}`);
    }
    this.name = options.name;
    this.reconciler = options.reconciler;
    this.workerCount = workers;
    this.metrics = options.metrics ?? noopControllerMetrics;
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? silentLogger).child({ controller: options.name });
    this.newReconcileId = options.newReconcileId ?? randomUUID;
    this.queue = new WorkQueue({
      clock: this.clock,
      ...(options.rateLimiter ? { rateLimiter: options.rateLimiter } : {}),
      ...(options.queueMetrics ? { metrics: options.queueMetrics } : {}),
    });
  }

  /** Current lifecycle state. */
  get currentState(): ControllerState {
    return this.state;
  }

  /** Asks for `request` to be reconciled (deduplicated with any pending trigger). Safe at any time. */
  enqueue(request: Request): void {
    this.queue.add(requestKey(request));
  }

  /** Asks for `request` to be reconciled after `delayMs`. */
  enqueueAfter(request: Request, delayMs: number): void {
    this.queue.addAfter(requestKey(request), delayMs);
  }

  /** Starts the workers. Throws if already started or stopped. */
  start(): void {
    if (this.state !== 'idle')
      throw new Error(`controller ${this.name} cannot start from state ${this.state}`);
    this.transition('running');
    this.logger.info('starting workers', { workers: this.workerCount });
    for (let i = 0; i < this.workerCount; i++) this.workers.push(this.work());
  }

  /**
   * Stops: no new reconciles start, in-flight ones see their signal aborted, and the promise resolves
   * once they have returned and every worker has exited. Idempotent; safe before start().
   */
  stop(): Promise<void> {
    this.stopping ??= this.doStop();
    return this.stopping;
  }

  private async doStop(): Promise<void> {
    const wasRunning = this.state === 'running';
    this.transition('stopping');
    this.stopController.abort();
    await this.queue.shutDownWithDrain();
    await Promise.all(this.workers);
    this.transition('stopped');
    if (wasRunning) this.logger.info('workers stopped');
  }

  /**
   * The one place the controller changes state, guarded by CONTROLLER_TRANSITIONS: a transition not in
   * the table is a bug and throws (start() and stop() check their from-state first, so it cannot reach
   * a caller through them).
   */
  private transition(next: ControllerState): void {
    if (!CONTROLLER_TRANSITIONS[this.state].includes(next)) {
      this.logger.error('controller transition refused', { from: this.state, to: next });
      throw new Error(`controller ${this.name}: transition from ${this.state} to ${next} refused`);
    }
    this.state = next;
  }

  private async work(): Promise<void> {
    for (;;) {
      const key = await this.queue.get();
      if (key === undefined) return;
      try {
        await this.reconcileKey(key);
      } finally {
        this.queue.done(key);
      }
    }
  }

  private async reconcileKey(key: string): Promise<void> {
    const request = requestFromKey(key);
    const reconcileId = this.newReconcileId();
    const logger = this.logger.child({
      ...(request.namespace ? { namespace: request.namespace } : {}),
      name: request.name,
      reconcileID: reconcileId,
    });
    const signal = this.stopController.signal;
    const started = this.clock.now();
    this.metrics.setActiveWorkers(this.name, ++this.active);
    let outcome: ReconcileOutcome;
    try {
      logger.debug('reconciling');
      const result: Result = await this.reconciler.reconcile(request, { signal, logger, reconcileId });
      this.queue.forget(key);
      const after = result?.requeueAfterMs ?? 0;
      if (after > 0) {
        this.queue.addAfter(key, after);
        outcome = 'requeue_after';
      } else {
        outcome = 'success';
      }
      logger.debug('reconciled', { requeueAfterMs: after });
    } catch (err) {
      outcome = this.onError(key, err, logger, signal);
    } finally {
      this.metrics.setActiveWorkers(this.name, --this.active);
    }
    this.metrics.observeReconcile(this.name, outcome, this.clock.now() - started);
  }

  /** Applies the contract to a failed reconcile; "retry or not" is decided here only. */
  private onError(key: string, err: unknown, logger: Logger, signal: AbortSignal): ReconcileOutcome {
    const error = err instanceof Error ? err.message : String(err);
    if (signal.aborted) {
      logger.debug('reconcile aborted by stop', { error });
      return 'aborted';
    }
    // A failure the reconciler already reported (condition, Event, a log line when it began) is
    // logged at debug: retries of one failure must not flood the log.
    const reported = (err instanceof TerminalError || err instanceof RetryError) && err.reported;
    const log = reported ? logger.debug.bind(logger) : logger.error.bind(logger);
    if (err instanceof TerminalError) {
      this.queue.forget(key);
      log('reconcile failed, not retrying', { error });
      return 'terminal_error';
    }
    this.queue.addRateLimited(key);
    log('reconcile failed, will retry', { error, retries: this.queue.numRequeues(key) });
    return 'error';
  }
}
