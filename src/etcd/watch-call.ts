// The one gRPC Watch call a WatchStream has open, and everything that lives and dies with it: the
// endpoint and auth token it was opened with, etcd's watch ids on it, the cancels sent on it, fragments
// not yet complete, the member serving it and that member's etcd release, and the RequestProgress
// requests and replies counted on it. etcd numbers watch ids per call, so none of this may outlive
// the call: a lost call is dropped whole (WatchStream.dropCall) and the next one starts empty. Here a
// response is routed to the watcher its id names (route()) and requests are put on the wire; what a
// response means for the watcher is decided by the stream.
import { Metadata, status as GrpcStatus, type ClientDuplexStream, type StatusObject } from '@grpc/grpc-js';
import type { Logger } from '../observability/index.js';
import type { OpenedStream, UnaryOptions } from './connection.js';
import { UnavailableError, toEtcdError, type EtcdError } from './errors.js';
import type { EtcdMethod } from './proto.js';
import type { RawWatchRequest } from './raw-messages.js';
import { isProgressRequestInStep } from './server-version.js';
import { RawWatchEvents } from './raw-events.js';
import { ABSENT_ID, type WatchResponseMessage } from './watch-response-decoder.js';
import { STATUS, WATCH } from './watch-rpc.js';
import type { Watcher } from './watcher.js';

/** The Watch method, encoded and decoded by hand (watch-rpc.ts). */
export { WATCH };

/** What askServerVersion needs of the connection: one unary request. */
export interface StatusTransport {
  unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res>;
}

/** What the stream is told about its call; both are called asynchronously, from gRPC callbacks. */
export interface WatchCallHandlers {
  /** A decoded response arrived on `call`. */
  onResponse(call: WatchCall, res: WatchResponseMessage): void;
  /** `call` ended (etcd or the transport ended it, or its endpoint lost the race to connect). */
  onEnded(call: WatchCall, err: EtcdError): void;
}

/** etcd's watch_id of a RequestProgress reply: it concerns every watch on the call. */
const BROADCAST_WATCH_ID = '-1';

/** A response as it concerns the stream, once route() has done this call's id bookkeeping. */
export type RoutedResponse =
  /** A created reply (perhaps also canceled): it answers the create in flight. */
  | { kind: 'created' }
  /** A RequestProgress reply, for every watcher active on the call, with whether it counts for it. */
  | { kind: 'progressAll'; watchers: { watcher: Watcher; counts: boolean }[] }
  /** etcd canceled `watcher`'s watch: forgotten here (and canceled back, for a compaction). */
  | { kind: 'canceled'; watcher: Watcher }
  /** Events for `watcher`, fragments joined; none means its own progress_notify reply. */
  | { kind: 'events'; watcher: Watcher; events: RawWatchEvents }
  /** Nothing for the stream: an unknown watch id (canceled on etcd), or a fragment held. */
  | { kind: 'none' };

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

/**
 * One open Watch call and its bookkeeping. Owned by the WatchStream, which drops it with end() when it
 * is lost; afterwards its callbacks may still fire, and the stream ignores them (it compares calls).
 */
export class WatchCall {
  /** The endpoint the call went to. */
  readonly endpoint: string;
  /** The auth token the call carries (etcd checks it for each watch created on it); undefined without auth. */
  readonly token: string | undefined;
  private readonly grpcCall: ClientDuplexStream<RawWatchRequest, WatchResponseMessage>;
  /** Active watchers on this call by etcd watch id (a watcher is here exactly while `active` on it). */
  private readonly byId = new Map<string, Watcher>();
  /** Ids we canceled on this call (or found unknown): late responses for them are dropped. */
  private readonly canceledIds = new Set<string>();
  /** Events of fragmented responses not yet complete, by watch id. */
  private readonly fragments = new Map<string, RawWatchEvents[]>();
  /** member_id of the first reply on the call: the member serving it. */
  private memberId: string | undefined;
  /** Maintenance.Status of a member, asked once per call; trusted only if it is the call's member. */
  private status: { memberId: string; version: string } | undefined;
  /** RequestProgress requests written on this call. */
  private progressRequestsSent = 0;
  /** RequestProgress (watch_id -1) replies received on this call. */
  private progressRepliesReceived = 0;

  /** Takes over an opened Watch stream and reports its responses and its end to `handlers`. */
  constructor(
    opened: OpenedStream<RawWatchRequest, WatchResponseMessage>,
    handlers: WatchCallHandlers,
    private readonly logger: Logger,
  ) {
    const { call, endpoint, token, connected } = opened;
    this.grpcCall = call;
    this.endpoint = endpoint;
    this.token = token;
    call.on('data', (res: WatchResponseMessage) => handlers.onResponse(this, res));
    // 'status' ends every call, OK or not; the same failure also comes as 'error', handled there.
    call.on('error', () => undefined);
    call.on('status', (s: StatusObject) => handlers.onEnded(this, statusError(s)));
    // A call queued on a reconnecting endpoint is "open": its first create goes out the moment the
    // endpoint is up. If another endpoint comes up first, or none in time, it is dropped like a lost one.
    connected.catch((err: unknown) => handlers.onEnded(this, toEtcdError(err)));
  }

  /**
   * The etcd release of the member serving this call, once known (see askServerVersion); undefined
   * while unknown or when the answer came from another member.
   */
  get serverVersion(): string | undefined {
    const status = this.status;
    if (!status || status.memberId !== this.memberId) return undefined;
    return status.version;
  }

  /** Remembers the member of the first reply that names one: the member serving this call. */
  noteMember(memberId: string): void {
    if (this.memberId === undefined && memberId !== ABSENT_ID) this.memberId = memberId;
  }

  /**
   * Asks, once, for the etcd release of the member serving this call (one Maintenance.Status, which
   * any member may answer: serverVersion trusts it only if it names this call's member). Resolves when
   * answered or failed; never rejects.
   */
  askServerVersion(transport: StatusTransport): Promise<void> {
    return transport.unary(STATUS, {}, { isIdempotent: true }).then(
      (res) => {
        this.status = { memberId: res.header?.member_id ?? ABSENT_ID, version: res.version };
      },
      (err: unknown) => this.logger.debug('etcd release of the watch stream unknown', { error: String(err) }),
    );
  }

  /** Sends `watcher`'s create request, from its resume point (Watcher.startRevision). */
  sendCreate(watcher: Watcher, isFragmentRequested: boolean): void {
    const spec = watcher.spec;
    this.grpcCall.write({
      create_request: {
        key: spec.key,
        range_end: spec.rangeEnd,
        start_revision: watcher.startRevision().toString(),
        progress_notify: spec.progressNotify,
        filters: spec.filters,
        prev_kv: spec.prevKv,
        // Fragments are rejoined by route(); off by default, see EtcdClientOptions.watchFragment.
        fragment: isFragmentRequested,
      },
    });
  }

  /** Asks etcd for a progress reply on every watch of the call, and counts the request. */
  requestProgress(): void {
    this.progressRequestsSent++;
    this.grpcCall.write({ progress_request: {} });
  }

  /**
   * etcd created `watcher` as `watchId` on this call: it becomes active under that id, after the
   * RequestProgress requests sent so far. Not registered if the watcher refuses to become active.
   */
  activate(watcher: Watcher, watchId: string): void {
    if (watcher.activate(watchId, this.progressRequestsSent)) this.byId.set(watchId, watcher);
  }

  /**
   * Does this call's bookkeeping for a response other than a created reply and says what is left for
   * the stream to do: an unknown watch id is canceled on etcd (never thrown about), or its cancel
   * confirmed; a watch etcd canceled is forgotten — and canceled back for a compaction: etcd keeps a
   * watch it canceled for compaction registered until the client cancels it (as etcd's Go client
   * does); left there, on 3.5 it also holds back every later RequestProgress reply of the stream,
   * which waits for all watches to be synced. Fragments are held until the last one arrives.
   */
  route(res: WatchResponseMessage): RoutedResponse {
    if (res.created) return { kind: 'created' };
    if (res.watchId === BROADCAST_WATCH_ID) return this.routeProgressReply();
    const watcher = this.byId.get(res.watchId);
    if (!watcher) {
      if (res.canceled) this.canceledIds.delete(res.watchId);
      else this.cancelId(res.watchId);
      return { kind: 'none' };
    }
    if (res.canceled) {
      this.unregister(res.watchId);
      if (res.compactRevision > 0n) this.cancelId(res.watchId);
      return { kind: 'canceled', watcher };
    }
    if (res.fragment) {
      this.logger.debug('watch response fragment held', { watchId: res.watchId, events: res.events.length });
      const held = this.fragments.get(res.watchId);
      if (held) held.push(res.events);
      else this.fragments.set(res.watchId, [res.events]);
      return { kind: 'none' };
    }
    const held = this.fragments.get(res.watchId);
    this.fragments.delete(res.watchId);
    const events = held ? RawWatchEvents.concat([...held, res.events]) : res.events;
    return { kind: 'events', watcher, events };
  }

  /**
   * A RequestProgress reply (watch_id -1) concerns every watch on the call. It moves a watch's resume
   * point only where etcd sends it in step with the events: from 3.4.25 / 3.5.8 on (server-version.ts;
   * older releases send it at once on the control channel with the store's revision, so it can
   * overtake events still queued, etcd-io/etcd#15220), and only for a watch that was active before the
   * request this reply answers went out. The k-th reply answers a request at least as late as the
   * k-th, so it is enough that the watch was active before the k-th request.
   */
  private routeProgressReply(): RoutedResponse {
    const ordinal = ++this.progressRepliesReceived;
    const version = this.serverVersion;
    const isInStep = version !== undefined && isProgressRequestInStep(version);
    const watchers = [...this.byId.values()].map((watcher) => ({
      watcher,
      counts: isInStep && watcher.isActiveBeforeProgressRequest(ordinal),
    }));
    return { kind: 'progressAll', watchers };
  }

  /** Forgets `watchId` and its held fragments (nothing is sent to etcd). */
  private unregister(watchId: string): void {
    this.byId.delete(watchId);
    this.fragments.delete(watchId);
  }

  /**
   * If `watcher` is active on this call: forgets it and its held fragments, and tells etcd to cancel
   * its watch id. No-op otherwise (then etcd does not know it on this call).
   */
  forget(watcher: Watcher): void {
    const watchId = watcher.watchId;
    if (watchId === undefined || this.byId.get(watchId) !== watcher) return;
    this.unregister(watchId);
    this.cancelId(watchId);
  }

  /** Tells etcd to cancel `watchId` and drops whatever still arrives for it. Sent once per id. */
  cancelId(watchId: string): void {
    if (this.canceledIds.has(watchId)) return;
    this.canceledIds.add(watchId);
    this.grpcCall.write({ cancel_request: { watch_id: watchId } });
  }

  /** Ends the gRPC call on purpose; nothing it still receives reaches the stream as a response. */
  end(): void {
    const call = this.grpcCall;
    call.removeAllListeners('data');
    call.on('error', () => undefined); // cancel() below reports Cancelled; nobody listens any more
    call.cancel();
  }
}
