import { Metadata, status as GrpcStatus, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import type { Backoff } from '../base/index.js';
import type { Logger } from '../observability/index.js';
import type { OpenedStream, UnaryOptions } from './connection.js';
import { CreateRefusalProbe, type RefusalVerdict } from './create-refusal-probe.js';
import {
  ClientClosedError,
  CompactedError,
  UnavailableError,
  WatchCanceledError,
  toEtcdError,
  type EtcdError,
} from './errors.js';
import { HistoryVerifier, type HistoryVerdict } from './history-verifier.js';
import { etcdMethod, type EtcdMethod } from './proto.js';
import type { RawStatusResponse, RawWatchRequest, RawWatchResponse } from './raw-messages.js';
import { isProgressRequestInStep } from './server-version.js';
import { decideStreamLoss } from './stream-loss.js';
import type { WatchEvent } from './types.js';
import { ABSENT_ID, decodeWatchResponse, type WatchResponseMessage } from './watch-response-decoder.js';
import type { Watcher, WatcherHost } from './watcher.js';

/** The Watch method, its responses decoded by our own decoder (see watch-response-decoder.ts). */
const WATCH: EtcdMethod<RawWatchRequest, WatchResponseMessage> = {
  path: etcdMethod<RawWatchRequest, RawWatchResponse>('Watch', 'Watch').path,
  requestSerialize: etcdMethod<RawWatchRequest, RawWatchResponse>('Watch', 'Watch').requestSerialize,
  responseDeserialize: decodeWatchResponse,
};
const STATUS = etcdMethod<Record<string, never>, RawStatusResponse>('Maintenance', 'Status');

/** What the watch stream needs of the connection (implemented by Connection). */
export interface WatchTransport {
  /** Opens a Watch stream on a healthy endpoint (with hasleader and the auth token); throws EtcdError. */
  openStream<Req, Res>(method: EtcdMethod<Req, Res>, deadline: number): Promise<OpenedStream<Req, Res>>;
  /** The stream on `endpoint` failed: prefer another endpoint next time. */
  markFailed(endpoint: string): void;
  /** etcd rejected `token`: fetch a fresh one next time. */
  invalidateToken(token: string | undefined): void;
  /** The current auth token, undefined without auth. */
  currentToken(): Promise<string | undefined>;
  /** A unary request (a member's release, a history check, the probe of a refused create). */
  unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res>;
}

/** The typed error a call's final status stands for; an OK status means etcd ended the stream. */
function statusError(s: StatusObject): EtcdError {
  if (s.code === GrpcStatus.OK) return new UnavailableError('watch stream ended by etcd');
  return toEtcdError(
    Object.assign(new Error(s.details), {
      code: s.code,
      details: s.details,
      metadata: s.metadata ?? new Metadata(),
    }),
  );
}

/** etcd's watch_id of a RequestProgress reply: it concerns every watch on the stream. */
const BROADCAST_WATCH_ID = '-1';

/**
 * - `idle`: no stream (no watchers yet, or after a halt);
 * - `connecting`: a stream is being opened;
 * - `open`: the stream is up; creates are sent one at a time;
 * - `backoff`: the stream was lost; a reconnect is scheduled;
 * - `closed`: close() ran. Terminal.
 */
export type StreamState = 'idle' | 'connecting' | 'open' | 'backoff' | 'closed';

/**
 * Every transition the stream may make, by from-state; transition() refuses any other. `idle` is left
 * only by connect(); a lost call or failed open goes to `backoff` (watchers left) or `idle` (none, or
 * halted); `backoff` only reconnects; `closed` is terminal.
 */
export const STREAM_TRANSITIONS: Readonly<Record<StreamState, readonly StreamState[]>> = {
  idle: ['connecting', 'closed'],
  connecting: ['open', 'backoff', 'idle', 'closed'],
  open: ['backoff', 'idle', 'closed'],
  backoff: ['connecting', 'closed'],
  closed: [],
};

/**
 * The one bidirectional Watch stream of a client, multiplexing every watch (etcd's watch ids). This
 * object owns all shared watch state; gRPC callbacks and watchers only call its methods. On a lost
 * stream it re-creates every open watch from its resume point on the next healthy endpoint after a
 * capped, jittered backoff; on what cannot heal it ends every watch with the typed error.
 */
export class WatchStream implements WatcherHost {
  private state: StreamState = 'idle';
  /** The current gRPC call while `open`; callbacks from any other (older) call are ignored. */
  private call: ClientDuplexStream<RawWatchRequest, WatchResponseMessage> | undefined;
  /** Endpoint and auth token of the current call. */
  private callEndpoint = '';
  private callToken: string | undefined;
  /** Every watcher not yet done, in creation order of `seq`. */
  private readonly live = new Set<Watcher>();
  /** Watchers waiting for their create to be sent, in `seq` order. */
  private queue: Watcher[] = [];
  /** The one watcher whose create is in flight: a created reply names no request, so only one may be. */
  private creating: Watcher | undefined;
  /** Active watchers on the current call by etcd watch id. */
  private readonly byId = new Map<string, Watcher>();
  /** Ids we canceled on the current call (or found unknown): late responses for them are dropped. */
  private readonly canceledIds = new Set<string>();
  /** Events of fragmented responses not yet complete, by watch id. */
  private readonly fragments = new Map<string, WatchEvent[]>();
  /** Pending reconnect timer while `backoff`. */
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** Stream opens, release questions, history checks and probes in flight; joined by close(). */
  private readonly pending = new Set<Promise<void>>();
  /** Counter for watcher `seq`. */
  private nextSeq = 0;
  /** member_id of the first reply on the current call: the member serving it. */
  private callMemberId: string | undefined;
  /** Maintenance.Status of a member, asked once per call; trusted only if it is the call's member. */
  private callStatus: { memberId: string; version: string } | undefined;
  /** RequestProgress requests written on the current call. */
  private progressRequestsSent = 0;
  /** RequestProgress (watch_id -1) replies received on the current call. */
  private progressRepliesReceived = 0;
  /** Aborted by close(): ends the history checks' retry waits and silences late probe answers. */
  private readonly closeSignal = new AbortController();
  /** Went-back checks: cluster ID of every reply, and confirmation of replies below a watch's revision. */
  private readonly history: HistoryVerifier;
  /** Classifies creates etcd answered with created+canceled. */
  private readonly refusals: CreateRefusalProbe;

  constructor(
    private readonly connection: WatchTransport,
    private readonly backoff: Backoff,
    private readonly connectTimeoutMs: number,
    private readonly logger: Logger,
    /** Whether creates ask etcd to fragment big responses (see EtcdClientOptions.watchFragment). */
    private readonly isFragmentRequested = false,
  ) {
    this.history = new HistoryVerifier(connection, backoff, logger, this.closeSignal.signal, (w, verdict) =>
      this.applyHistoryVerdict(w, verdict),
    );
    this.refusals = new CreateRefusalProbe(connection, logger, this.closeSignal.signal, (w, verdict) =>
      this.applyRefusalVerdict(w, verdict),
    );
  }

  /** Endpoint of the stream while it is open (for diagnostics and tests). */
  get endpoint(): string | undefined {
    return this.state === 'open' ? this.callEndpoint : undefined;
  }

  /**
   * The etcd release of the member serving the open stream, once known (asked with one
   * Maintenance.Status per stream; unknown when that answer came from another member).
   */
  get serverVersion(): string | undefined {
    const status = this.callStatus;
    if (this.state !== 'open' || !status || status.memberId !== this.callMemberId) return undefined;
    return status.version;
  }

  /** Next watcher sequence number. */
  allocateSeq(): number {
    return this.nextSeq++;
  }

  /**
   * Registers a new watcher (in its first state, `queued`) and makes sure it gets created. Throws
   * ClientClosedError after close().
   */
  add(watcher: Watcher): void {
    if (this.state === 'closed') throw new ClientClosedError();
    this.live.add(watcher);
    this.insertInQueue(watcher);
    if (this.state === 'idle') this.connect();
    else this.sendNextCreate();
  }

  /** Asks etcd for a progress reply on every watch of the stream (no-op while the stream is down). */
  requestProgress(): void {
    if (this.state !== 'open' || !this.call) return;
    this.progressRequestsSent++;
    this.write({ progress_request: {} });
  }

  /** Moves `watcher` back to `queued` and puts it in the create queue; nothing if it refuses to move. */
  private enqueue(watcher: Watcher): void {
    if (watcher.requeue()) this.insertInQueue(watcher);
  }

  /** Puts a `queued` watcher in the create queue, keeping `seq` order. */
  private insertInQueue(watcher: Watcher): void {
    this.queue.push(watcher);
    if (this.queue.length > 1 && this.queue[this.queue.length - 2]!.seq > watcher.seq) {
      this.queue.sort((a, b) => a.seq - b.seq);
    }
  }

  /**
   * The one place the stream changes state, guarded by STREAM_TRANSITIONS: a transition not in the
   * table is a bug; it is logged at error and ignored (never thrown: callers are gRPC and timer
   * callbacks), and false is returned so the caller does not act on a state it is not in.
   */
  private transition(next: StreamState): boolean {
    if (!STREAM_TRANSITIONS[this.state].includes(next)) {
      this.logger.error('watch stream transition refused', { from: this.state, to: next });
      return false;
    }
    this.logger.debug('watch stream state', { from: this.state, to: next });
    this.state = next;
    return true;
  }

  /** Joins `work` (which never rejects) in close(). */
  private track(work: Promise<void>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  private write(request: RawWatchRequest): void {
    this.call?.write(request);
  }

  // ---- stream lifecycle ------------------------------------------------------------------------

  private connect(): void {
    if (!this.transition('connecting')) return;
    const opening = this.connection
      .openStream(WATCH, Date.now() + this.connectTimeoutMs)
      .then(({ call, endpoint, token, connected }) => {
        if (this.state !== 'connecting') {
          connected.catch(() => undefined);
          call.cancel();
          return;
        }
        this.call = call;
        this.callEndpoint = endpoint;
        this.callToken = token;
        call.on('data', (res: WatchResponseMessage) => this.onResponse(call, res));
        // 'status' ends every call, OK or not; the same failure also comes as 'error', handled there.
        call.on('error', () => undefined);
        call.on('status', (s: StatusObject) => this.onCallEnded(call, statusError(s)));
        // A call queued on a reconnecting endpoint is "open": its first create goes out the moment the
        // endpoint is up. If another endpoint comes up first, or none in time, it is dropped like a lost one.
        connected.catch((err: unknown) => this.onCallEnded(call, toEtcdError(err)));
        this.transition('open');
        this.logger.debug('watch stream open', { endpoint, watches: this.live.size });
        this.askServerVersion(call);
        this.sendNextCreate();
      })
      .catch((err: unknown) => {
        if (this.state === 'connecting') this.onStreamLost(toEtcdError(err));
      })
      .finally(() => this.pending.delete(opening));
    this.pending.add(opening);
  }

  private onCallEnded(call: ClientDuplexStream<RawWatchRequest, WatchResponseMessage>, err: EtcdError): void {
    if (call !== this.call) return; // an older call, already handled
    this.onStreamLost(err);
  }

  /**
   * Applies THE "HALT OR RETRY?" DECISION for the stream (decideStreamLoss in stream-loss.ts): what can
   * heal is retried with backoff on the next endpoint, every open watch re-created from its resume
   * point; an invalid token is refreshed first; anything else ends every watch with the typed error.
   */
  private onStreamLost(err: EtcdError): void {
    if (this.state === 'closed') return;
    const creating = this.creating;
    const verdict = decideStreamLoss({
      error: err,
      hadCall: this.call !== undefined,
      isCreateInFlight: creating !== undefined,
      hasCallToken: this.callToken !== undefined,
    });
    const failedEndpoint = this.callEndpoint;
    this.dropCall();
    if (verdict.action === 'halt') {
      this.logger.warn('watch stream failed', { error: err.message });
      for (const w of [...this.live]) this.fail(w, err);
      this.transition('idle');
      return;
    }
    if (verdict.failCreating && creating) {
      this.logger.warn('watch refused: its create request is larger than etcd accepts', {
        error: err.message,
      });
      this.fail(creating, err);
    }
    if (verdict.refreshToken) this.connection.invalidateToken(this.callToken);
    if (verdict.markEndpointFailed) this.connection.markFailed(failedEndpoint);
    for (const w of this.live) {
      if (w.state === 'active' || w.state === 'creating') {
        // A watcher that was never created is not "resuming": it gets `created`, not `reconnected`.
        w.noteStreamLost();
        this.enqueue(w);
      }
    }
    if (this.live.size === 0) {
      this.transition('idle');
      return;
    }
    this.transition('backoff');
    const delay = this.backoff.next();
    this.logger.debug('watch stream lost, reconnecting', { error: err.message, delayMs: delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state === 'backoff') this.connect();
    }, delay);
  }

  /** Forgets the current call and everything tied to its watch ids. */
  private dropCall(): void {
    const call = this.call;
    this.call = undefined;
    this.creating = undefined;
    this.byId.clear();
    this.canceledIds.clear();
    this.fragments.clear();
    this.callMemberId = undefined;
    this.callStatus = undefined;
    this.progressRequestsSent = 0;
    this.progressRepliesReceived = 0;
    if (call) {
      call.removeAllListeners('data');
      call.on('error', () => undefined); // cancel() below reports Cancelled; nobody listens any more
      call.cancel();
    }
  }

  // ---- creates, one at a time -----------------------------------------------------------------

  private sendNextCreate(): void {
    if (this.state !== 'open' || this.creating) return;
    let next = this.queue.shift();
    while (next && next.state !== 'queued') next = this.queue.shift();
    if (!next) return;
    this.creating = next;
    next.beginCreate();
    const spec = next.spec;
    this.write({
      create_request: {
        key: spec.key,
        range_end: spec.rangeEnd,
        start_revision: next.startRevision().toString(),
        progress_notify: spec.progressNotify,
        filters: spec.filters,
        prev_kv: spec.prevKv,
        // Fragments are rejoined in onResponse; off by default, see EtcdClientOptions.watchFragment.
        fragment: this.isFragmentRequested,
      },
    });
  }

  // ---- responses ------------------------------------------------------------------------------

  private onResponse(
    call: ClientDuplexStream<RawWatchRequest, WatchResponseMessage>,
    res: WatchResponseMessage,
  ): void {
    if (call !== this.call) return;
    const headerRevision = res.headerRevision;
    if (this.callMemberId === undefined && res.memberId !== ABSENT_ID) this.callMemberId = res.memberId;
    this.history.checkClusterId(res.clusterId, headerRevision, this.live);

    if (res.created) {
      const watcher = this.creating;
      this.creating = undefined;
      if (!watcher) {
        // Cannot happen with one create in flight; never throw from a stream callback.
        this.cancelId(res.watchId);
      } else if (res.canceled) {
        // Created and canceled at once: this watch alone fails.
        this.onCreateRefused(watcher, res);
      } else if (watcher.state !== 'creating') {
        this.cancelId(res.watchId); // canceled by the consumer while its create was in flight
      } else {
        watcher.activate(res.watchId, this.progressRequestsSent);
        this.byId.set(res.watchId, watcher);
        if (!watcher.onCreated(headerRevision)) this.verifyHistory(watcher, headerRevision);
        this.backoff.reset();
      }
      this.sendNextCreate();
      return;
    }

    if (res.watchId === BROADCAST_WATCH_ID) {
      this.onProgressReply(res.headerRevision);
      return;
    }

    const watcher = this.byId.get(res.watchId);
    if (!watcher) {
      if (res.canceled) this.canceledIds.delete(res.watchId);
      else this.cancelId(res.watchId); // unknown id: tell etcd to stop, never throw
      return;
    }

    if (res.canceled) {
      this.byId.delete(res.watchId);
      this.fragments.delete(res.watchId);
      const compactRevision = res.compactRevision;
      if (compactRevision > 0n) {
        // etcd keeps a watch it canceled for compaction registered until the client cancels it (as
        // etcd's Go client does); left there, on 3.5 it also holds back every later RequestProgress
        // reply of the stream, which waits for all watches to be synced.
        this.cancelId(res.watchId);
        this.fail(
          watcher,
          new CompactedError(
            `watch start revision ${watcher.startRevision()} compacted (oldest available ${compactRevision})`,
            compactRevision,
          ),
        );
      } else {
        this.fail(watcher, new WatchCanceledError(res.cancelReason || 'no reason given'));
      }
      return;
    }

    if (res.fragment) {
      this.logger.debug('watch response fragment held', { watchId: res.watchId, events: res.events.length });
      const held = this.fragments.get(res.watchId);
      if (held) held.push(...res.events);
      else this.fragments.set(res.watchId, [...res.events]);
      return;
    }
    const held = this.fragments.get(res.watchId);
    const events = held ? held.concat(res.events) : res.events;
    this.fragments.delete(res.watchId);

    if (events.length > 0) {
      watcher.onEvents(events);
      if (watcher.isOverLimit()) this.pause(watcher);
    } else if (!watcher.onProgress(headerRevision, true)) {
      // The watch's own progress_notify reply: etcd sends it only to a synced watcher, through the same
      // channel as its events (3.4 and 3.5), so it moves the resume point — unless it is below what the
      // watch has seen.
      this.verifyHistory(watcher, headerRevision);
    }
  }

  /**
   * A RequestProgress reply (watch_id -1) concerns every watch on the stream. It moves a watch's resume
   * point only where etcd sends it in step with the events: from 3.4.25 / 3.5.8 on (server-version.ts;
   * older releases send it at once on the control channel with the store's revision, so it can
   * overtake events still queued, etcd-io/etcd#15220), and only for a watch that was active before the
   * request this reply answers went out. The k-th reply answers a request at least as late as the
   * k-th, so it is enough that the watch was active before the k-th request.
   */
  private onProgressReply(revision: bigint): void {
    const ordinal = ++this.progressRepliesReceived;
    const isInStep = this.serverVersion !== undefined && isProgressRequestInStep(this.serverVersion);
    for (const w of [...this.byId.values()]) {
      const counts = isInStep && w.isActiveBeforeProgressRequest(ordinal);
      if (!w.onProgress(revision, counts)) this.verifyHistory(w, revision);
    }
  }

  /** A reply for `watcher` was below what it has seen (`reported`): see HistoryVerifier.verify. */
  private verifyHistory(watcher: Watcher, reported: bigint): void {
    this.track(this.history.verify(watcher, reported));
  }

  /**
   * Applies a HistoryVerifier verdict: a watch confirmed current delivers what it held (and is paused
   * if that puts it over its buffer limit); any other ends with the verdict's error.
   */
  private applyHistoryVerdict(watcher: Watcher, verdict: HistoryVerdict): void {
    if (verdict.kind === 'ended') {
      this.fail(watcher, verdict.error);
      return;
    }
    watcher.endVerification();
    if (watcher.isOverLimit()) this.pause(watcher);
  }

  /** Asks the member serving `call` for its etcd release (see onProgressReply). */
  private askServerVersion(call: ClientDuplexStream<RawWatchRequest, WatchResponseMessage>): void {
    const asking = this.connection
      .unary(STATUS, {}, { isIdempotent: true })
      .then(
        (res) => {
          if (call !== this.call) return;
          this.callStatus = { memberId: res.header?.member_id ?? ABSENT_ID, version: res.version };
        },
        (err: unknown) =>
          this.logger.debug('etcd release of the watch stream unknown', { error: String(err) }),
      )
      .finally(() => this.pending.delete(asking));
    this.pending.add(asking);
  }

  /** Tells etcd to cancel `watchId` and drops whatever still arrives for it. */
  private cancelId(watchId: string): void {
    if (this.canceledIds.has(watchId)) return;
    this.canceledIds.add(watchId);
    this.write({ cancel_request: { watch_id: watchId } });
  }

  /**
   * etcd answered a create with created+canceled. For compaction the watch ends with CompactedError at
   * once; otherwise the refusal is probed (CreateRefusalProbe) with the token the stream carried, the
   * watcher held aside as `probing` meanwhile.
   */
  private onCreateRefused(watcher: Watcher, res: WatchResponseMessage): void {
    const compactRevision = res.compactRevision;
    if (compactRevision > 0n) {
      this.fail(watcher, new CompactedError('watch start revision compacted', compactRevision));
      return;
    }
    watcher.beginProbe();
    this.track(this.refusals.probe(watcher, this.callToken, res.cancelReason));
  }

  /** Applies a CreateRefusalProbe verdict: reopen the stream once with a fresh token, or end the watch. */
  private applyRefusalVerdict(watcher: Watcher, verdict: RefusalVerdict): void {
    if (verdict.kind === 'refused') {
      this.fail(watcher, verdict.error);
      return;
    }
    this.enqueue(watcher);
    this.restartStream('auth token on the watch stream was stale');
  }

  /** Ends the current call on purpose and reconnects (every open watch resumes). */
  private restartStream(reason: string): void {
    if (this.state === 'open') this.onStreamLost(new UnavailableError(reason));
    else if (this.state === 'idle') this.connect();
  }

  // ---- per-watcher control --------------------------------------------------------------------

  /**
   * The consumer fell behind its buffer limit: cancel the watch on etcd (dropping what is still in
   * flight for it) and re-create it from its resume point once the consumer has drained half the
   * buffer. Memory stays bounded and the other watches on the stream never wait for this consumer.
   * Nothing to do for a watcher already paused (a history check can end on one).
   */
  private pause(watcher: Watcher): void {
    if (watcher.state === 'paused') return;
    if (watcher.watchId !== undefined) {
      this.byId.delete(watcher.watchId);
      this.fragments.delete(watcher.watchId);
      this.cancelId(watcher.watchId);
    }
    watcher.pause();
    this.logger.debug('watch paused, consumer behind', { startRevision: watcher.startRevision() });
  }

  /** WatcherHost: a paused watcher's consumer caught up. */
  resumePaused(watcher: Watcher): void {
    if (watcher.state !== 'paused' || this.state === 'closed') return;
    this.enqueue(watcher);
    if (this.state === 'idle') this.connect();
    else this.sendNextCreate();
  }

  /** WatcherHost: the consumer canceled. Works with the stream down too (then there is nothing to tell etcd). */
  cancelWatcher(watcher: Watcher): void {
    if (watcher.watchId !== undefined && this.byId.get(watcher.watchId) === watcher) {
      this.byId.delete(watcher.watchId);
      this.cancelId(watcher.watchId);
    }
    this.queue = this.queue.filter((w) => w !== watcher);
    this.live.delete(watcher);
    watcher.finish();
    // A create in flight for it is answered in onResponse, which then cancels the new id.
  }

  /** Ends `watcher` with `err`; tells etcd to cancel it if it is active on the current call. */
  private fail(watcher: Watcher, err: EtcdError): void {
    if (watcher.watchId !== undefined && this.byId.get(watcher.watchId) === watcher) {
      this.byId.delete(watcher.watchId);
      this.fragments.delete(watcher.watchId);
      this.cancelId(watcher.watchId);
    }
    this.queue = this.queue.filter((w) => w !== watcher);
    this.live.delete(watcher);
    watcher.finish(err);
  }

  /** Ends every watch normally, cancels the call and timers, and waits for checks and probes. Idempotent. */
  async close(): Promise<void> {
    if (this.state !== 'closed') {
      this.transition('closed');
      this.closeSignal.abort();
      if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
      this.reconnectTimer = undefined;
      this.dropCall();
      for (const w of this.live) w.finish();
      this.live.clear();
      this.queue = [];
    }
    await Promise.all([...this.pending]);
  }
}
