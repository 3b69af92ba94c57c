// The informer: a self-restarting list+watch cache of one kind. This file is its lifecycle (start,
// waitForSync, close), the list/watch loop that decides between relisting, backing off and rewatching,
// and the periodic resync. One watch request lives in watch-request.ts, the handlers in
// informer-handlers.ts, the state table in informer-state.ts.
import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import { Backoff, realClock, sleep, type BackoffOptions, type Clock } from '../base/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import { ObjectCache, type ObjectStore } from './cache.js';
import { toKubeError } from './errors.js';
import { HandlerSet, type InformerHandlers } from './informer-handlers.js';
import { INFORMER_TRANSITIONS, type InformerState } from './informer-state.js';
import type { ListWatchSource } from './types.js';
import { WatchClient } from './watch-client.js';
import { startWatch, type WatchEnd, type WatchEventType } from './watch-request.js';

export type { InformerHandlers } from './informer-handlers.js';
export { INFORMER_TRANSITIONS } from './informer-state.js';
export type { InformerState } from './informer-state.js';

/**
 * `obj` without `metadata.managedFields`: the server writes them on every object (often larger than the
 * rest of it), the operator never reads them, and a PUT without them leaves the server's untouched. At
 * thousands of cached objects they were most of the caches' memory and garbage.
 */
function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  const meta = obj?.metadata;
  if (meta?.managedFields === undefined) return obj;
  const { managedFields: _dropped, ...rest } = meta;
  return { ...obj, metadata: rest };
}

/** Options of {@link Informer}. */
export interface InformerOptions<T extends KubernetesObject> {
  /** Where to list from and which path to watch (one of this layer's typed clients). Required. */
  source: ListWatchSource<T>;
  /** The kubeconfig the watch connects with. Required. */
  kubeConfig: KubeConfig;
  /** Only this namespace; default all namespaces (or a cluster-scoped kind). */
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  /** Restart backoff after a failed list or watch. Defaults: 200 ms doubling to 30 s, ±20 % jitter. */
  backoff?: BackoffOptions;
  /**
   * A watch that ends on its own within this time without delivering anything counts as a failure and
   * is retried after a backoff delay, so a server that closes watches at once cannot make us spin.
   * Default 1 000 ms.
   */
  minWatchDurationMs?: number;
  /**
   * Every this many ms, hand every cached object to `onResync` so that level-based controllers re-check
   * the world even when nothing changed (drift of things they do not watch). Default 0: never.
   */
  resyncPeriodMs?: number;
  logger?: Logger;
  clock?: Clock;
}

/**
 * A list+watch cache of one kind, like client-go's reflector + indexer, built on watch requests of its
 * own (watch-client.ts) rather than client-node's `ListWatch` (which stops for good on any error but 410, never backs off, and can start
 * a watch after `stop()`). This informer:
 * - lists, fills the cache, then watches from the list's `resourceVersion`;
 * - on a watch error or a failed list, retries after jittered exponential backoff (never gives up);
 * - on 410 Gone (an HTTP 410 or an ERROR event), relists at once and reports the difference
 *   (objects missing from the new list are deleted, changed ones updated);
 * - after a clean end of the stream, re-watches from the last seen `resourceVersion`.
 * Handlers run synchronously on the informer's loop, in the order the server sent the changes.
 */
export class Informer<T extends KubernetesObject> {
  private readonly source: ListWatchSource<T>;
  private readonly watcher: WatchClient;
  private readonly namespace: string | undefined;
  private readonly labelSelector: string | undefined;
  private readonly fieldSelector: string | undefined;
  private readonly minWatchDurationMs: number;
  private readonly resyncPeriodMs: number;
  /** Cancels the pending resync timer; set while started and resyncing is on. */
  private cancelResync: (() => void) | undefined;
  private readonly backoff: Backoff;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** The objects; written only by the loop. */
  private readonly cache = new ObjectCache<T>();
  /** Registered handlers; called only from the loop and the resync timer. */
  private readonly handlers: HandlerSet<T>;
  private state: InformerState = 'idle';
  /** Where the next watch starts; '' means "relist first". */
  private resourceVersion = '';
  /** True once the first list has filled the cache; never goes back to false. */
  private synced = false;
  /** Resolves waitForSync() callers; replaced never, settled once. */
  private readonly syncedPromise: Promise<void>;
  private resolveSynced!: () => void;
  /** Aborted by close(); cuts backoff sleeps and in-flight lists. */
  private readonly stopController = new AbortController();
  /** The last watch request while it connects (there is no handle before headers arrive). */
  private pendingWatch: Promise<unknown> | undefined;
  /** The loop started by start(); close() awaits it. */
  private loop: Promise<void> | undefined;
  /** Restarts after failures since start(); for tests and metrics. */
  private restartCount = 0;
  /** Watches in a row that ended with 410 Gone; the second one in a row waits out a backoff delay. */
  private consecutiveGone = 0;
  /** Full lists done since start(). */
  private listCount = 0;

  constructor(options: InformerOptions<T>) {
    if (!options.source) throw new TypeError('Informer: set options.source');
    if (!options.kubeConfig) throw new TypeError('Informer: set options.kubeConfig');
    this.source = options.source;
    // Over the layer's transport: its keep-alive agents and the operator's User-Agent.
    this.watcher = new WatchClient(options.kubeConfig);
    this.namespace = options.namespace;
    this.labelSelector = options.labelSelector;
    this.fieldSelector = options.fieldSelector;
    this.minWatchDurationMs = options.minWatchDurationMs ?? 1_000;
    this.resyncPeriodMs = options.resyncPeriodMs ?? 0;
    if (!(this.resyncPeriodMs >= 0)) throw new RangeError('Informer: resyncPeriodMs must be >= 0');
    this.backoff = new Backoff(options.backoff);
    this.clock = options.clock ?? realClock;
    this.logger = (options.logger ?? silentLogger).child({
      informer: options.source.resource,
      ...(options.namespace ? { namespace: options.namespace } : {}),
    });
    this.handlers = new HandlerSet(this.logger);
    this.syncedPromise = new Promise((resolve) => (this.resolveSynced = resolve));
  }

  /** The cache. Reads are always safe; it is complete once {@link hasSynced} is true. */
  get store(): ObjectStore<T> {
    return this.cache;
  }

  /** Current lifecycle state. */
  get currentState(): InformerState {
    return this.state;
  }

  /** How many times a failed list or watch was retried. */
  get restarts(): number {
    return this.restartCount;
  }

  /** How many full lists were made (1 + relists after 410 Gone or a failed list). */
  get lists(): number {
    return this.listCount;
  }

  /** The `resourceVersion` the informer has seen up to ('' before the first list). */
  get lastResourceVersion(): string {
    return this.resourceVersion;
  }

  /** Whether the first list has completed (client-go's HasSynced; it stays true). */
  hasSynced(): boolean {
    return this.synced;
  }

  /**
   * Resolves once the first list has filled the cache. Rejects with the signal's reason if `signal`
   * aborts first, or with an Error if the informer is closed first.
   */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    const stop = this.stopController.signal;
    return new Promise<void>((resolve, reject) => {
      const cleanup = (): void => {
        signal?.removeEventListener('abort', onAbort);
        stop.removeEventListener('abort', onClose);
      };
      const onAbort = (): void => {
        cleanup();
        reject(signal?.reason instanceof Error ? signal.reason : new Error('waitForSync aborted'));
      };
      const onClose = (): void => {
        cleanup();
        reject(new Error(`informer ${this.source.resource} closed before it synced`));
      };
      if (signal?.aborted) return onAbort();
      if (stop.aborted) return onClose();
      signal?.addEventListener('abort', onAbort, { once: true });
      stop.addEventListener('abort', onClose, { once: true });
      void this.syncedPromise.then(() => {
        cleanup();
        resolve();
      });
    });
  }

  /**
   * Registers handlers; returns a function that unregisters them. Handlers added after objects are
   * cached are not replayed: call before {@link start} (or read the store).
   */
  addHandlers(handlers: InformerHandlers<T>): () => void {
    return this.handlers.add(handlers);
  }

  /** Starts listing and watching in the background. Calling it twice, or after close(), throws. */
  start(): void {
    if (this.state !== 'idle') throw new Error(`informer ${this.source.resource} already started`);
    this.loop = this.run();
    if (this.resyncPeriodMs > 0) this.scheduleResync();
  }

  private scheduleResync(): void {
    this.cancelResync = this.clock.setTimer(() => {
      if (this.closed) return;
      if (this.synced) for (const obj of this.cache.list()) this.handlers.resynced(obj);
      this.scheduleResync();
    }, this.resyncPeriodMs);
  }

  /** Stops the loop and the watch; resolves once both have ended. Idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'closed') {
      this.transition('closed');
      this.stopController.abort(); // also ends the running watch request
      this.cancelResync?.();
    }
    await this.loop;
    await this.pendingWatch;
  }

  /**
   * The one place the informer changes state, guarded by INFORMER_TRANSITIONS: a transition not in the
   * table is a bug; it is logged at error and ignored (never thrown: the caller is the list/watch loop,
   * which checks `closed` itself).
   */
  private transition(next: InformerState): void {
    if (!INFORMER_TRANSITIONS[this.state].includes(next)) {
      this.logger.error('informer transition refused', { from: this.state, to: next });
      return;
    }
    this.state = next;
  }

  private get closed(): boolean {
    return this.state === 'closed';
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (this.resourceVersion === '') {
        this.transition('listing');
        const listed = await this.relist();
        if (!listed) {
          await this.pause();
          continue;
        }
      }
      if (this.closed) break;
      this.transition('watching');
      const startedAt = this.clock.now();
      const end = await this.watchOnce();
      if (this.closed) break;
      // A watch that delivered something or stayed open a while was healthy: the next failure starts
      // the backoff over. One that ended at once with nothing counts as a failure even if it ended cleanly.
      const healthy = end.delivered || this.clock.now() - startedAt >= this.minWatchDurationMs;
      if (healthy) this.consecutiveGone = 0;
      if (end.kind === 'gone') {
        this.logger.info('watch expired, relisting', { resourceVersion: this.resourceVersion });
        this.resourceVersion = '';
        // Relist at once; but if a fresh list's version is gone again at once, back off first.
        if (++this.consecutiveGone > 1) await this.pause();
        continue;
      }
      if (healthy) this.backoff.reset();
      if (end.kind === 'failed') {
        this.logger.warn('watch failed', { error: end.error.message, status: end.error.status });
        await this.pause();
      } else if (!healthy) {
        await this.pause();
      } else {
        this.logger.debug('watch ended, rewatching', { resourceVersion: this.resourceVersion });
      }
    }
  }

  /** Waits out one backoff delay (cut short by close()). */
  private async pause(): Promise<void> {
    if (this.closed) return;
    this.transition('backoff');
    this.restartCount++;
    const delayMs = this.backoff.next();
    this.logger.debug('backing off', { delayMs, attempt: this.backoff.attempts });
    await sleep(this.clock, delayMs, this.stopController.signal);
  }

  /** Lists and makes the cache equal to the result. Returns false (logged) if the list failed. */
  private async relist(): Promise<boolean> {
    let result;
    try {
      result = await this.source.list({
        namespace: this.namespace,
        labelSelector: this.labelSelector,
        fieldSelector: this.fieldSelector,
        signal: this.stopController.signal,
      });
    } catch (err) {
      if (!this.closed) this.logger.warn('list failed', { error: toKubeError(err).message });
      return false;
    }
    if (this.closed) return false;
    this.listCount++;
    const delta = this.cache.replace(result.items.map(withoutManagedFields));
    this.resourceVersion = result.resourceVersion;
    this.handlers.replaced(delta);
    if (!this.synced) {
      this.synced = true;
      this.resolveSynced();
      this.logger.info('informer synced', {
        objects: this.cache.size,
        resourceVersion: this.resourceVersion,
      });
    }
    return true;
  }

  /** Runs one watch request from `resourceVersion` until it ends (or close()); never rejects. */
  private watchOnce(): Promise<WatchEnd> {
    const params: Record<string, string | boolean> = {
      resourceVersion: this.resourceVersion,
      allowWatchBookmarks: true,
    };
    if (this.labelSelector !== undefined) params['labelSelector'] = this.labelSelector;
    if (this.fieldSelector !== undefined) params['fieldSelector'] = this.fieldSelector;
    const watch = startWatch<T>({
      watcher: this.watcher,
      path: this.source.watchPath(this.namespace),
      params,
      resource: this.source.resource,
      signal: this.stopController.signal,
      onEvent: (type, object) => this.apply(type, object),
    });
    this.pendingWatch = watch.connecting;
    return watch.ended;
  }

  /** Applies one watch event to the cache, tells the handlers, and advances `resourceVersion`. */
  private apply(type: WatchEventType, received: T): void {
    const object = withoutManagedFields(received);
    const rv = object?.metadata?.resourceVersion;
    if (type === 'ADDED' || type === 'MODIFIED') {
      const result = this.cache.upsert(object);
      if (result.kind === 'added') this.handlers.added(object);
      else if (result.kind === 'updated') this.handlers.updated(result.old, object);
    } else if (type === 'DELETED') {
      if (this.cache.remove(object)) this.handlers.deleted(object);
    }
    if (rv) this.resourceVersion = rv;
  }
}
