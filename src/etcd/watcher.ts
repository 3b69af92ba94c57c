// One watch's resume bookkeeping and buffer (see Watcher). The two rules it applies, in short (the lead
// will move this into DESIGN.md §3):
//
// PROGRESS MOVES THE RESUME POINT ONLY WHERE ETCD SENDS IT IN STEP WITH THE EVENTS. A watch's own
// progress_notify reply (its watch id, no events, neither created nor canceled) is sent by etcd 3.4 and
// 3.5 only to a synced watcher and through the same channel as that watcher's events
// (watchableStore.progress): it counts, and the watch resumes from its header revision + 1. A
// RequestProgress reply (watch_id -1, for every watch on the stream) counts only from etcd 3.4.25 /
// 3.5.8 on, where etcd answers once every watch on the stream is synced, through the events' channel
// (progressAll, etcd-io/etcd#15237), and only for the watches created before the request went out;
// older releases answer at once on the control channel with the store's revision, which can overtake
// events still queued (etcd-io/etcd#15220). The release is that of the member serving the stream,
// asked once per stream; unknown means "does not count". A created reply (on reconnect) or a catch-up
// batch's header never counts: both carry the store's revision, not what this watch has seen. Events
// at or below the resume point are dropped as duplicates.
//
// ETCD CAN GO BACK IN TIME. A reply whose header revision is below what the watch has seen (last
// delivered event, counted progress, created revision of a watch from "now") means a restored or wiped
// etcd — or a member that has not applied everything yet. The stream confirms with a linearizable read
// (history-verifier.ts) before it ends the watch with RevisionWentBackError; meanwhile the watch's
// events are held back.
//
// Its state changes go through WATCHER_TRANSITIONS (below); the consumer's buffer is a WatchBuffer.
import type { Logger } from '../observability/index.js';
import { silentLogger } from './silent-logger.js';
import type { EtcdError } from './errors.js';
import { RawWatchEvents } from './raw-events.js';
import type { RawWatchMessage, Watch, WatchEvent, WatchMessage, WatchSink } from './types.js';
import { WatchBuffer, type WatchBufferLimits } from './watch-buffer.js';

/** What a watcher asks etcd for on every (re)create; fixed for its lifetime. */
export interface WatchSpec {
  key: Buffer;
  rangeEnd: Buffer | undefined;
  /** Requested first revision; undefined = "now". */
  fromRevision: bigint | undefined;
  prevKv: boolean;
  filters: ('NOPUT' | 'NODELETE')[];
  progressNotify: boolean;
  /** Hand events to the consumer as bytes (`raw-events`, RawWatchOptions) instead of WatchEvents. Default false. */
  isRaw?: boolean;
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

/**
 * Every transition a watcher may make, by from-state; transition() refuses any other. The cycle is
 * queued → creating → active, back to queued when the stream is lost (with its create in flight too);
 * a consumer that falls behind pauses it, and it is queued again once drained; a refused create is
 * probed, then queued once more (stale token) or ended. Two paths leave that cycle, both kept as the
 * stream has them: a history check that ends (WatchStream.applyHistoryVerdict) pauses a watcher over
 * its buffer limit wherever it is (queued, creating or probing too), and a refusal that answers a
 * create sent before such a pause probes a paused or re-queued watcher. `done` is entered from
 * anywhere (finish()) and is terminal.
 */
export const WATCHER_TRANSITIONS: Readonly<Record<WatcherState, readonly WatcherState[]>> = {
  queued: ['creating', 'paused', 'probing', 'done'],
  creating: ['active', 'queued', 'paused', 'probing', 'done'],
  active: ['queued', 'paused', 'done'],
  paused: ['queued', 'probing', 'done'],
  probing: ['queued', 'paused', 'done'],
  done: [],
};

/** The stream's side of a watcher: what it calls back into. */
export interface WatcherHost {
  /** The consumer drained a paused watcher's buffer: create it again. */
  resumePaused(watcher: Watcher): void;
  /** The consumer canceled. */
  cancelWatcher(watcher: Watcher): void;
}

/**
 * One watch: its resume bookkeeping and the consumer's bounded buffer. Implements the public Watch.
 * Its state is changed by the WatchStream (which owns all shared state), through the named
 * transitions (requeue, beginCreate, activate, pause, beginProbe, finish), and by the consumer's
 * iteration; nothing here touches the gRPC stream directly.
 */
export class Watcher implements Watch {
  /** Order of creation; the stream re-creates watchers in this order after a lost stream. */
  readonly seq: number;
  /** Current position with respect to the stream (see WatcherState); changed only by transition(). */
  private currentState: WatcherState = 'queued';
  /** etcd's watch id on the current stream; set exactly while `active` (activate() sets it, transition() clears it). */
  private activeWatchId: string | undefined;
  /**
   * True from the loss of a stream this watcher was active on until its next created reply, which then
   * yields `reconnected` (set by noteStreamLost, cleared by onCreated). A watcher never created stays false.
   */
  private isResuming = false;
  /**
   * True once a create denied on a stale auth token was retried with a fresh one (set by
   * tryAuthRetry); cleared by the next created reply, so each stream gets at most one such retry.
   */
  private hasRetriedAuth = false;
  /**
   * RequestProgress requests sent on the current call before this watcher became active there (set by
   * activate): a broadcast reply counts for it only if it answers a later request (see
   * WatchStream.onProgressReply and isActiveBeforeProgressRequest).
   */
  private progressRequestsBeforeActive = 0;

  /** modRevision of the last event handed to the consumer's buffer; undefined before the first. */
  private lastDeliveredRevision: bigint | undefined;
  /** Header revision of the first created reply; only used for a watch started "now". */
  private createdRevision: bigint | undefined;
  /** Highest progress revision that counted (sent in step with the events; see the file comment). */
  private progressRevision: bigint | undefined;
  /**
   * Set while the stream confirms a reply below what this watch has seen: events are held here (not
   * delivered: they may be another history's), progress is ignored, a `reconnected` waits.
   */
  private verification: { held: WatchEvent[]; heldRaw: RawWatchEvents[]; reconnectedAt?: bigint } | undefined;
  /**
   * What the consumer has not taken yet (an iterated watch), or where messages go at once (a watch
   * with a sink); ended by finish(), nothing is pushed after that.
   */
  private readonly consumer: { kind: 'buffer'; buffer: WatchBuffer } | { kind: 'sink'; sink: WatchSink };
  /** Removes the abort listener. */
  private readonly detachSignal: () => void;

  constructor(
    readonly spec: WatchSpec,
    seq: number,
    /** Buffer bounds of an iterated watch, or the sink a watch hands its messages to. */
    consumer: WatchBufferLimits | WatchSink,
    private readonly host: WatcherHost,
    signal: AbortSignal | undefined,
    /** Where a refused transition is reported (at error). Default: silentLogger. */
    private readonly logger: Logger = silentLogger,
  ) {
    this.seq = seq;
    if ('message' in consumer) {
      this.consumer = { kind: 'sink', sink: consumer };
    } else {
      const buffer = new WatchBuffer(consumer, () => {
        // The consumer drained a paused watch to half its limits: the stream creates it again.
        if (this.currentState === 'paused' && buffer.isDrainedToHalf()) this.host.resumePaused(this);
      });
      this.consumer = { kind: 'buffer', buffer };
    }
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

  /** etcd's watch id on the current stream; defined exactly while `active`. */
  get watchId(): string | undefined {
    return this.activeWatchId;
  }

  /**
   * The one place the watcher changes state, guarded by WATCHER_TRANSITIONS; leaving a state clears the
   * watch id. Once `done` every transition is a quiet no-op (the consumer may end a watch at any time,
   * so the stream can still act on one it has not seen end). Any other transition not in the table is
   * a bug: it is logged at error and ignored (never thrown: callers are gRPC and timer callbacks).
   * Returns whether the watcher moved.
   */
  private transition(next: WatcherState): boolean {
    const from = this.currentState;
    if (from === 'done') return false;
    if (!WATCHER_TRANSITIONS[from].includes(next)) {
      this.logger.error('watcher transition refused', { from, to: next, watchId: this.activeWatchId });
      return false;
    }
    this.currentState = next;
    this.activeWatchId = undefined;
    return true;
  }

  /** Enters `queued`: waiting for its create to be sent (again). Returns whether it moved. */
  requeue(): boolean {
    return this.transition('queued');
  }

  /** Enters `creating`: its create is the one in flight. Returns whether it moved. */
  beginCreate(): boolean {
    return this.transition('creating');
  }

  /**
   * etcd created this watcher as `watchId` on the current call, after `progressRequestsSent`
   * RequestProgress requests had gone out on it. Enters `active` (from `creating` only); the id stays
   * set until it leaves it. Returns whether it moved.
   */
  activate(watchId: string, progressRequestsSent: number): boolean {
    if (!this.transition('active')) return false;
    this.activeWatchId = watchId;
    this.progressRequestsBeforeActive = progressRequestsSent;
    return true;
  }

  /** Enters `paused`: canceled on etcd until the consumer drains. Returns whether it moved. */
  pause(): boolean {
    return this.transition('paused');
  }

  /** Enters `probing`: etcd refused its create, the refusal is being classified. Returns whether it moved. */
  beginProbe(): boolean {
    return this.transition('probing');
  }

  /**
   * The stream this watcher was on was lost: if it was `active`, its next created reply is a resume
   * (`reconnected`, not a second `created`). A watcher whose create was in flight keeps what it had: it
   * is resuming only if it was active on an earlier stream.
   */
  noteStreamLost(): void {
    if (this.currentState === 'active') this.isResuming = true;
  }

  /**
   * A create was denied while the stream carried a stale auth token. Returns true, and remembers it,
   * the first time since the last created reply: the caller may reopen the stream with a fresh token
   * once; false afterwards (the denial is then real).
   */
  tryAuthRetry(): boolean {
    if (this.hasRetriedAuth) return false;
    this.hasRetriedAuth = true;
    return true;
  }

  /**
   * True when this watcher was active on the current call before the `ordinal`-th RequestProgress
   * request went out (1-based): the `ordinal`-th broadcast reply answers a request at least that late.
   */
  isActiveBeforeProgressRequest(ordinal: number): boolean {
    return ordinal > this.progressRequestsBeforeActive;
  }

  /**
   * The start_revision of the next create — THE RESUME RULE:
   * - the watch is complete up to its resume point, the highest of: the last delivered event's
   *   modRevision (a txn's events share one revision and always arrive together, so nothing of a
   *   half-delivered revision can be skipped); a progress revision that counted (the watch's own
   *   progress_notify reply; a RequestProgress reply only on etcd >= 3.4.25 / 3.5.8 and only for a
   *   watch created before the request; see the file comment); for a watch started "now", the first
   *   created reply's header revision;
   * - it resumes from that point + 1, never before the revision the caller asked for;
   * - with neither (never created yet, started "now"): 0, meaning "now".
   * Never from a later created reply or a catch-up batch's header: those carry the store's current
   * revision, not what this consumer has seen.
   */
  startRevision(): bigint {
    const seen = this.seenRevision();
    const requested = this.spec.fromRevision;
    if (seen === undefined) return requested ?? 0n;
    if (requested !== undefined && requested > seen + 1n) return requested;
    return seen + 1n;
  }

  /**
   * The highest revision this watch has seen or been told it is complete at: the resume point of
   * startRevision(); undefined before any. A reply below it means etcd went back, or a lagging member.
   */
  seenRevision(): bigint | undefined {
    let seen = this.lastDeliveredRevision;
    if (this.progressRevision !== undefined && (seen === undefined || this.progressRevision > seen)) {
      seen = this.progressRevision;
    }
    const created = this.spec.fromRevision === undefined ? this.createdRevision : undefined;
    if (created !== undefined && (seen === undefined || created > seen)) seen = created;
    return seen;
  }

  /** True when a re-create would assume a history: the watch has a revision to resume at. */
  hasResumePoint(): boolean {
    return this.seenRevision() !== undefined || this.spec.fromRevision !== undefined;
  }

  /** True when `revision` (a reply's header revision) is below what this watch has seen. */
  isBehind(revision: bigint): boolean {
    const seen = this.seenRevision();
    return seen !== undefined && revision < seen;
  }

  /** True while a reply below the seen revision is being confirmed (events held back). */
  get isVerifying(): boolean {
    return this.verification !== undefined;
  }

  /** Starts holding events and ignoring progress until endVerification(). No-op while verifying. */
  beginVerification(): void {
    this.verification ??= { held: [], heldRaw: [] };
  }

  /**
   * etcd was confirmed at or past what this watch has seen (the low reply came from a member that had
   * not applied everything yet): delivers what was held, in order, without duplicates.
   */
  endVerification(): void {
    const v = this.verification;
    if (!v) return;
    this.verification = undefined;
    if (v.reconnectedAt !== undefined) this.pushReconnected(v.reconnectedAt);
    if (v.held.length > 0) this.onEvents(v.held);
    if (v.heldRaw.length > 0) this.onRawEvents(RawWatchEvents.concat(v.heldRaw));
  }

  private pushReconnected(etcdRevision: bigint): void {
    // Resuming after the resume point: the last delivered event, counted progress or created revision.
    this.push({ type: 'reconnected', revision: this.startRevision() - 1n, etcdRevision });
  }

  /**
   * A created reply for this watcher arrived with `headerRevision`. Returns false when that revision is
   * below what the watch has seen: the caller must verify etcd's history (events are held and the
   * `reconnected` message waits meanwhile).
   */
  onCreated(headerRevision: bigint): boolean {
    let isConsistent = true;
    if (this.createdRevision === undefined) {
      this.createdRevision = headerRevision;
      this.push({ type: 'created', revision: headerRevision });
    } else if (this.isBehind(headerRevision)) {
      isConsistent = false;
      this.beginVerification();
      if (this.isResuming && this.verification) this.verification.reconnectedAt = headerRevision;
    } else if (this.isResuming) {
      this.pushReconnected(headerRevision);
    }
    this.isResuming = false;
    this.hasRetriedAuth = false; // a later stale token on another stream deserves its own retry
    return isConsistent;
  }

  /**
   * Hands one etcd response's events (fragments already joined) to the consumer as one message. Events
   * at or below the resume point are dropped: delivered, or covered by a counted progress, before a
   * resume. Held instead while a low reply is being verified.
   */
  onEvents(received: readonly WatchEvent[]): void {
    if (this.verification) {
      this.verification.held.push(...received);
      return;
    }
    const floor = this.dedupFloor();
    const events = floor === undefined ? [...received] : received.filter((e) => e.modRevision > floor);
    const tail = events[events.length - 1];
    if (!tail) return;
    this.lastDeliveredRevision = tail.modRevision;
    this.push({ type: 'events', events, revision: tail.modRevision });
  }

  /**
   * Hands one etcd response's events (fragments joined), as the stream received them, to the consumer:
   * as they are for a raw watch, decoded otherwise.
   */
  onResponseEvents(received: RawWatchEvents): void {
    if (this.spec.isRaw) this.onRawEvents(received);
    else this.onEvents(received.decode());
  }

  /** onEvents for a raw watch: the same resume point and duplicate rule, events left as bytes. */
  private onRawEvents(received: RawWatchEvents): void {
    if (this.verification) {
      this.verification.heldRaw.push(received);
      return;
    }
    const floor = this.dedupFloor();
    const events = floor === undefined ? received : received.after(floor);
    if (events.length === 0) return;
    const revision = events.modRevision(events.length - 1);
    this.lastDeliveredRevision = revision;
    this.push({ type: 'raw-events', events, revision });
  }

  /** Events at or below this revision were delivered, or covered by a counted progress. */
  private dedupFloor(): bigint | undefined {
    const delivered = this.lastDeliveredRevision;
    const progress = this.progressRevision;
    if (progress === undefined) return delivered;
    return delivered === undefined || progress > delivered ? progress : delivered;
  }

  /**
   * etcd reports the watch current up to `revision`; `counts` says whether etcd sent it in step with
   * the events (see the file comment): then it moves the resume point. Returns false, delivering
   * nothing, when `revision` is below what the watch has seen: the caller must verify etcd's history.
   * Ignored while verifying.
   */
  onProgress(revision: bigint, counts: boolean): boolean {
    if (this.verification) return true;
    if (this.isBehind(revision)) return false;
    if (counts && (this.progressRevision === undefined || revision > this.progressRevision)) {
      this.progressRevision = revision;
    }
    this.push({ type: 'progress', revision, inStep: counts });
    return true;
  }

  /** True when the consumer is too far behind and the stream should pause this watch. */
  isOverLimit(): boolean {
    // A sink takes each message as it comes: it is never behind.
    return this.consumer.kind === 'buffer' && this.consumer.buffer.isOverLimit();
  }

  /**
   * Ends the watch (enters `done`): normally (no error; what the consumer has not taken is dropped, it
   * asked to stop) or with `error` after the buffered messages. Idempotent.
   */
  finish(error?: EtcdError): void {
    if (!this.transition('done')) return;
    this.detachSignal();
    if (this.consumer.kind === 'buffer') this.consumer.buffer.end(error);
    else this.consumer.sink.end(error);
  }

  /** See Watch.cancel. */
  cancel(): Promise<void> {
    if (this.state !== 'done') this.host.cancelWatcher(this);
    return Promise.resolve();
  }

  private push(message: WatchMessage | RawWatchMessage): void {
    if (this.state === 'done') return;
    if (this.consumer.kind === 'buffer') this.consumer.buffer.push(message);
    // A sink watch is never raw (EtcdClient.watchInto): its messages are WatchMessages.
    else this.consumer.sink.message(message as WatchMessage);
  }

  [Symbol.asyncIterator](): AsyncIterator<WatchMessage> {
    return this.iterate<WatchMessage>();
  }

  /** This watch as the consumer of a raw one (spec.isRaw) sees it: its events come as `raw-events`. */
  asRawWatch(): Watch<RawWatchMessage> {
    return { cancel: () => this.cancel(), [Symbol.asyncIterator]: () => this.iterate<RawWatchMessage>() };
  }

  /**
   * The consumer's iterator. `M` is the one kind of message the buffer holds: spec.isRaw decides
   * (onResponseEvents), and callers pick M by it.
   */
  private iterate<M extends WatchMessage | RawWatchMessage>(): AsyncIterator<M> {
    const consumer = this.consumer;
    if (consumer.kind !== 'buffer') throw new TypeError('a watch with a sink is not iterated');
    return {
      next: () => consumer.buffer.next() as Promise<IteratorResult<M>>,
      return: async () => {
        await this.cancel();
        return { value: undefined, done: true };
      },
    };
  }
}
