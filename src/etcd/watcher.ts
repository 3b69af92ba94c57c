import type { EtcdError } from './errors.js';
import type { Watch, WatchEvent, WatchMessage } from './types.js';

/** What a watcher asks etcd for on every (re)create; fixed for its lifetime. */
export interface WatchSpec {
  key: Buffer;
  rangeEnd: Buffer | undefined;
  /** Requested first revision; undefined = "now". */
  fromRevision: bigint | undefined;
  prevKv: boolean;
  filters: ('NOPUT' | 'NODELETE')[];
  progressNotify: boolean;
}

/** Per-watch buffer bounds: beyond either, the stream pauses the watch until the consumer catches up. */
export interface WatchBufferLimits {
  maxBytes: number;
  maxMessages: number;
}

/**
 * Where a watcher is with respect to the shared stream:
 * - `queued`: waiting for its create to be sent (first time, after a lost stream, or after a pause);
 * - `creating`: its create is the one in flight;
 * - `active`: etcd knows it under `watchId` on the current stream;
 * - `paused`: canceled on etcd because the consumer fell behind; re-created once it drains;
 * - `probing`: etcd refused its create; held aside while the refusal is classified;
 * - `done`: ended (canceled, failed or client closed). Terminal.
 */
export type WatcherState = 'queued' | 'creating' | 'active' | 'paused' | 'probing' | 'done';

/** The stream's side of a watcher: what it calls back into. */
export interface WatcherHost {
  /** The consumer drained a paused watcher's buffer: create it again. */
  resumePaused(watcher: Watcher): void;
  /** The consumer canceled. */
  cancelWatcher(watcher: Watcher): void;
}

function messageBytes(message: WatchMessage): number {
  if (message.type !== 'events') return 64;
  let n = 64;
  for (const e of message.events)
    n += 128 + e.key.length + e.value.length + (e.prevKv ? e.prevKv.value.length : 0);
  return n;
}

/**
 * One watch: its resume bookkeeping and the consumer's bounded buffer. Implements the public Watch.
 * Its state is changed by the WatchStream (which owns all shared state) and by the consumer's
 * iteration; nothing here touches the gRPC stream directly.
 */
export class Watcher implements Watch {
  /** Order of creation; the stream re-creates watchers in this order after a lost stream. */
  readonly seq: number;
  /** Current position with respect to the stream (see WatcherState); changed only by moveTo/finish. */
  private currentState: WatcherState = 'queued';
  /** etcd's watch id on the current stream while `active`. */
  watchId: string | undefined;
  /** True while re-creating after a lost stream: the next created reply yields `reconnected`. */
  isResuming = false;
  /** Set once a create denied on a stale auth token was retried with a fresh one. */
  hasRetriedAuth = false;

  /** modRevision of the last event handed to the consumer's buffer; undefined before the first. */
  private lastDeliveredRevision: bigint | undefined;
  /** Header revision of the first created reply; only used for a watch started "now". */
  private createdRevision: bigint | undefined;
  /** Messages not yet taken by the consumer. */
  private readonly buffer: WatchMessage[] = [];
  /** Approximate bytes held by `buffer`. */
  private bufferedBytes = 0;
  /** How the iteration ends once `buffer` is empty: normally, or by throwing. */
  private ending: { error?: EtcdError } | undefined;
  /** A consumer waiting in next(). */
  private waiter: ((result: IteratorResult<WatchMessage>) => void) | undefined;
  private waiterReject: ((err: Error) => void) | undefined;
  /** Removes the abort listener. */
  private readonly detachSignal: () => void;

  constructor(
    readonly spec: WatchSpec,
    seq: number,
    private readonly limits: WatchBufferLimits,
    private readonly host: WatcherHost,
    signal: AbortSignal | undefined,
  ) {
    this.seq = seq;
    if (signal) {
      const onAbort = (): void => void this.cancel();
      signal.addEventListener('abort', onAbort, { once: true });
      this.detachSignal = () => signal.removeEventListener('abort', onAbort);
    } else {
      this.detachSignal = () => undefined;
    }
  }

  /** Where the watcher is with respect to the stream. */
  get state(): WatcherState {
    return this.currentState;
  }

  /** The one guarded transition used by the stream: `done` is terminal (only finish() enters it). */
  moveTo(next: Exclude<WatcherState, 'done'>): void {
    if (this.currentState === 'done') return;
    this.currentState = next;
    if (next !== 'active') this.watchId = undefined;
  }

  /**
   * The start_revision of the next create — THE RESUME RULE:
   * - once events were handed to the consumer: the last one's modRevision + 1 (a txn's events share
   *   one revision and always arrive together, so nothing of a half-delivered revision can be skipped);
   * - else, if the caller asked for a revision: that revision;
   * - else (a watch started "now"): the first created reply's header revision + 1 — the watch saw
   *   every change after that revision;
   * - else (never created yet): 0, meaning "now".
   * Never from a later created reply or a catch-up/progress header: those carry the store's current
   * revision, not what this consumer has seen.
   */
  startRevision(): bigint {
    if (this.lastDeliveredRevision !== undefined) return this.lastDeliveredRevision + 1n;
    if (this.spec.fromRevision !== undefined) return this.spec.fromRevision;
    if (this.createdRevision !== undefined) return this.createdRevision + 1n;
    return 0n;
  }

  /** The revision a `reconnected` message reports: the last delivered, else the created revision. */
  private resumedAfter(): bigint {
    return this.lastDeliveredRevision ?? this.createdRevision ?? (this.spec.fromRevision ?? 1n) - 1n;
  }

  /** A created reply for this watcher arrived with `headerRevision`. */
  onCreated(headerRevision: bigint): void {
    if (this.createdRevision === undefined) {
      this.createdRevision = headerRevision;
      this.push({ type: 'created', revision: headerRevision });
    } else if (this.isResuming) {
      this.push({ type: 'reconnected', revision: this.resumedAfter(), etcdRevision: headerRevision });
    }
    this.isResuming = false;
    this.hasRetriedAuth = false; // a later stale token on another stream deserves its own retry
  }

  /**
   * Hands one etcd response's events (fragments already joined) to the consumer as one message. Events
   * at or below the last delivered revision are dropped: they were delivered before a resume.
   */
  onEvents(received: readonly WatchEvent[]): void {
    const last = this.lastDeliveredRevision;
    const events = last === undefined ? [...received] : received.filter((e) => e.modRevision > last);
    const tail = events[events.length - 1];
    if (!tail) return;
    this.lastDeliveredRevision = tail.modRevision;
    this.push({ type: 'events', events, revision: tail.modRevision });
  }

  /** etcd reports the watch current up to `revision`. */
  onProgress(revision: bigint): void {
    this.push({ type: 'progress', revision });
  }

  /** True when the consumer is too far behind and the stream should pause this watch. */
  isOverLimit(): boolean {
    return this.bufferedBytes > this.limits.maxBytes || this.buffer.length > this.limits.maxMessages;
  }

  /** Ends the watch: normally (no error) or with `error` after the buffered messages. */
  finish(error?: EtcdError): void {
    if (this.currentState === 'done') return;
    this.currentState = 'done';
    this.watchId = undefined;
    this.detachSignal();
    if (error === undefined) {
      // A normal end drops what the consumer has not taken: it asked to stop.
      this.buffer.length = 0;
      this.bufferedBytes = 0;
    }
    this.ending = error === undefined ? {} : { error };
    this.wake();
  }

  /** See Watch.cancel. */
  cancel(): Promise<void> {
    if (this.state !== 'done') this.host.cancelWatcher(this);
    return Promise.resolve();
  }

  private push(message: WatchMessage): void {
    if (this.state === 'done') return;
    this.buffer.push(message);
    this.bufferedBytes += messageBytes(message);
    this.wake();
  }

  private wake(): void {
    const waiter = this.waiter;
    const reject = this.waiterReject;
    if (!waiter || !reject) return;
    const next = this.take();
    if (!next) return;
    this.waiter = undefined;
    this.waiterReject = undefined;
    if (next instanceof Error) reject(next);
    else waiter(next);
  }

  /** The next result for the consumer, or undefined when it has to wait. */
  private take(): IteratorResult<WatchMessage> | Error | undefined {
    const message = this.buffer.shift();
    if (message) {
      this.bufferedBytes -= messageBytes(message);
      if (
        this.state === 'paused' &&
        this.buffer.length <= this.limits.maxMessages / 2 &&
        this.bufferedBytes <= this.limits.maxBytes / 2
      ) {
        this.host.resumePaused(this);
      }
      return { value: message, done: false };
    }
    if (this.ending) {
      const error = this.ending.error;
      this.ending = {}; // an error is thrown once; afterwards the iterator is simply done
      return error ?? { value: undefined, done: true };
    }
    return undefined;
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchMessage> {
    return {
      next: () => {
        const next = this.take();
        if (next instanceof Error) return Promise.reject(next);
        if (next) return Promise.resolve(next);
        if (this.waiter) return Promise.reject(new Error('a watch supports one next() at a time'));
        return new Promise<IteratorResult<WatchMessage>>((resolve, reject) => {
          this.waiter = resolve;
          this.waiterReject = reject;
        });
      },
      return: async () => {
        await this.cancel();
        return { value: undefined, done: true };
      },
    };
  }
}
