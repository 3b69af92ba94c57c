import { Backoff, type BackoffOptions } from '../base/index.js';
import type { Logger } from '../observability/index.js';
import { silentLogger } from './silent-logger.js';
import {
  Connection,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_KEEPALIVE_TIME_MS,
  DEFAULT_KEEPALIVE_TIMEOUT_MS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type EtcdAuthOptions,
} from './connection.js';
import type { ConnectivityChange, EtcdTlsOptions } from './endpoint-channels.js';
import { ClientClosedError } from './errors.js';
import { prefixRangeEnd, retained, toBigint, toBytes } from './keys.js';
import { KV } from './kv.js';
import { etcdMethod } from './proto.js';
import type { RawMemberListResponse, RawStatusResponse } from './raw-messages.js';
import type {
  EtcdMemberInfo,
  EtcdStatus,
  RawWatchMessage,
  RawWatchOptions,
  Watch,
  WatchHandle,
  WatchOptions,
  WatchSink,
} from './types.js';
import type { WatchBufferLimits } from './watch-buffer.js';
import { WatchStream } from './watch-stream.js';
import { Watcher } from './watcher.js';

/** Default per-watch buffer bound in bytes (keys + values not yet taken by the consumer). */
export const DEFAULT_WATCH_BUFFER_BYTES = 8 * 1024 * 1024;
/** Default per-watch buffer bound in messages. */
export const DEFAULT_WATCH_BUFFER_MESSAGES = 1000;
/** Default first delay of a watch reconnect. */
export const DEFAULT_WATCH_BACKOFF_INITIAL_DELAY_MS = 10;
/** Default cap of the watch reconnect delay: the Go client caps watch retries at about 100 ms. */
export const DEFAULT_WATCH_BACKOFF_MAX_DELAY_MS = 100;
/** etcd closes connections that ping more often than its --grpc-keepalive-min-time (default 5 s). */
const MIN_KEEPALIVE_TIME_MS = 5_000;

const MEMBER_LIST = etcdMethod<{ linearizable?: boolean }, RawMemberListResponse>('Cluster', 'MemberList');
const STATUS = etcdMethod<Record<string, never>, RawStatusResponse>('Maintenance', 'Status');

/** Options of {@link EtcdClient}. Only `endpoints` is required. */
export interface EtcdClientOptions {
  /** `host:port` of one or more members (an `http(s)://` prefix is accepted and ignored); failover order. */
  endpoints: readonly string[];
  /** TLS (server always verified) and optional client certificate. Default: plaintext. */
  tls?: EtcdTlsOptions;
  /** User name and password. Default: no auth. */
  auth?: EtcdAuthOptions;
  /** Default: silentLogger. */
  logger?: Logger;
  /** Time the watch stream waits for some endpoint to connect before it backs off and tries again.
   * Default 3000 ms. (Every endpoint is dialled at once; the first connected one is used.) */
  connectTimeoutMs?: number;
  /** Deadline of a unary request, failover included. Default 15000 ms. */
  requestTimeoutMs?: number;
  /** gRPC keepalive interval; at least 5000 ms (etcd's minimum). Default 10000 ms. */
  keepaliveTimeMs?: number;
  /** gRPC keepalive ack timeout. Default 5000 ms. */
  keepaliveTimeoutMs?: number;
  /** Per-watch buffer bound; past it the watch is paused on etcd until the consumer catches up. */
  watchBuffer?: { maxBytes?: number; maxMessages?: number };
  /**
   * Watch reconnect backoff. Default {@link DEFAULT_WATCH_BACKOFF_INITIAL_DELAY_MS} (10 ms) doubling to a
   * {@link DEFAULT_WATCH_BACKOFF_MAX_DELAY_MS} (100 ms) cap, ±20 % jitter.
   */
  watchBackoff?: BackoffOptions;
  /**
   * Ask etcd to split watch responses bigger than its --max-request-bytes into fragments (rejoined
   * here before delivery, so a batch is never split). Default false: this client has no receive limit,
   * so it takes any response whole, and etcd's fragmenting (v3rpc sendFragments, 3.4 and 3.5) is
   * quadratic in the events per fragment — here a 100,000-event catch-up of small values (1,000 txns of
   * 100 puts) took 198 s instead of 1.8 s, stalling every other watch on the stream meanwhile. Turn it
   * on behind a proxy that limits message size.
   */
  watchFragment?: boolean;
}

/** Options of a health probe request (status, memberList). */
export interface ProbeOptions {
  /** Deadline in ms. Default the client's requestTimeoutMs. */
  timeoutMs?: number;
  /**
   * Ask every endpoint at once without waiting for one to connect; when none answers, throw
   * EtcdConnectError saying why for each endpoint (refused, DNS, timeout, TLS…). Default false.
   */
  failFast?: boolean;
}

function normaliseEndpoint(endpoint: string): string {
  return endpoint.replace(/^[a-z]+:\/\//, '').replace(/\/$/, '');
}

/**
 * An etcd v3 client: key-value operations (`kv`) and watches multiplexed on one stream. Owns its gRPC
 * channels, the watch stream and every watch; close() ends them all.
 */
export class EtcdClient {
  /** Key-value operations. */
  readonly kv: KV;
  private readonly connection: Connection;
  private readonly watchStream: WatchStream;
  private readonly watchBuffer: { maxBytes: number; maxMessages: number };
  /** Logger of the watch stream and its watchers. */
  private readonly watchLogger: Logger;
  /** Set by the first close(); later calls return it. */
  private closing: Promise<void> | undefined;

  /** Throws TypeError/RangeError on invalid options (no endpoints, keepalive below etcd's minimum…). */
  constructor(options: EtcdClientOptions) {
    const endpoints = (options.endpoints ?? []).map(normaliseEndpoint);
    if (endpoints.length === 0) throw new TypeError('EtcdClient: set endpoints (e.g. ["127.0.0.1:2379"])');
    for (const e of endpoints) {
      if (!/^[^:\s]+:\d+$/.test(e) && !/^\[[^\]]+\]:\d+$/.test(e)) {
        throw new TypeError(`EtcdClient: endpoint '${e}' is not host:port`);
      }
    }
    const keepaliveTimeMs = options.keepaliveTimeMs ?? DEFAULT_KEEPALIVE_TIME_MS;
    if (keepaliveTimeMs < MIN_KEEPALIVE_TIME_MS) {
      throw new RangeError(
        `EtcdClient: keepaliveTimeMs must be >= ${MIN_KEEPALIVE_TIME_MS} (etcd closes faster pingers)`,
      );
    }
    if ((options.tls?.cert === undefined) !== (options.tls?.key === undefined)) {
      throw new TypeError('EtcdClient: tls.cert and tls.key go together');
    }
    const logger = options.logger ?? silentLogger;
    const connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.connection = new Connection({
      endpoints,
      tls: options.tls,
      auth: options.auth,
      connectTimeoutMs,
      requestTimeoutMs: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      keepaliveTimeMs,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? DEFAULT_KEEPALIVE_TIMEOUT_MS,
      logger,
    });
    this.kv = new KV(this.connection);
    this.watchBuffer = {
      maxBytes: options.watchBuffer?.maxBytes ?? DEFAULT_WATCH_BUFFER_BYTES,
      maxMessages: options.watchBuffer?.maxMessages ?? DEFAULT_WATCH_BUFFER_MESSAGES,
    };
    this.watchLogger = logger.child({ component: 'etcd-watch' });
    this.watchStream = new WatchStream(
      this.connection,
      new Backoff({
        ...options.watchBackoff,
        initialDelayMs: options.watchBackoff?.initialDelayMs ?? DEFAULT_WATCH_BACKOFF_INITIAL_DELAY_MS,
        maxDelayMs: options.watchBackoff?.maxDelayMs ?? DEFAULT_WATCH_BACKOFF_MAX_DELAY_MS,
      }),
      connectTimeoutMs,
      this.watchLogger,
      options.watchFragment ?? false,
    );
  }

  /** The endpoints in failover order. */
  get endpoints(): readonly string[] {
    return this.connection.endpoints;
  }

  /** The endpoint the shared watch stream is connected to, undefined while it is down. */
  get watchEndpoint(): string | undefined {
    return this.watchStream.endpoint;
  }

  /**
   * The etcd release (e.g. `3.5.16`) of the member serving the shared watch stream, once known;
   * undefined while the stream is down or before that member answered. It decides whether a
   * RequestProgress reply moves a watch's resume point (see requestProgress()).
   */
  get watchServerVersion(): string | undefined {
    return this.watchStream.serverVersion;
  }

  /**
   * Starts a watch on the client's shared stream and returns it at once; messages arrive through
   * async iteration (see WatchMessage). The iteration ends normally after cancel()/close(), or throws
   * CompactedError, PermissionDeniedError, InvalidArgumentError… when etcd refuses the watch for good,
   * and RevisionWentBackError when etcd's history went back behind it (restored, wiped, or another
   * cluster at the same address): the consumer decides what to do, the client never re-creates it.
   * Lost connections are healed invisibly except for a `reconnected` message. Throws
   * ClientClosedError if the client is closed, RangeError for a fromRevision below 1.
   */
  watch(options: WatchOptions): Watch;
  /** As above, with each response's events handed over as bytes: see RawWatchMessage. */
  watch(options: RawWatchOptions): Watch<RawWatchMessage>;
  watch(options: WatchOptions | RawWatchOptions): Watch | Watch<RawWatchMessage> {
    const watcher = this.newWatcher(options, this.watchBuffer);
    const watch = options.raw === true ? watcher.asRawWatch() : watcher;
    this.startWatcher(watcher, options.signal);
    return watch;
  }

  /**
   * As watch(), with each message handed to `sink` as it arrives instead of through an iteration:
   * `sink.end()` says how the watch ended (no error after cancel()/close()). Throws as watch() does.
   */
  watchInto(options: Omit<WatchOptions, 'raw'>, sink: WatchSink): WatchHandle {
    const watcher = this.newWatcher(options, sink);
    this.startWatcher(watcher, options.signal);
    return { cancel: () => watcher.cancel() };
  }

  private newWatcher(
    options: WatchOptions | RawWatchOptions,
    consumer: WatchBufferLimits | WatchSink,
  ): Watcher {
    if (this.closing) throw new ClientClosedError();
    if (options.fromRevision !== undefined && options.fromRevision < 1n) {
      throw new RangeError('watch: fromRevision must be >= 1 (leave it out to watch from now)');
    }
    // Held as long as the watch lives (see retained).
    const key = retained(toBytes(options.key));
    const filters = (options.filters ?? []).map((f) => (f === 'noput' ? 'NOPUT' : 'NODELETE'));
    return new Watcher(
      {
        key,
        rangeEnd: options.prefix ? retained(prefixRangeEnd(key)) : undefined,
        fromRevision: options.fromRevision,
        prevKv: options.prevKv ?? false,
        filters,
        progressNotify: options.progressNotify ?? false,
        isRaw: options.raw === true,
      },
      this.watchStream.allocateSeq(),
      consumer,
      this.watchStream,
      options.signal,
      this.watchLogger,
    );
  }

  /** Puts `watcher` on the shared stream, unless `signal` has already aborted (then it ends at once). */
  private startWatcher(watcher: Watcher, signal: AbortSignal | undefined): void {
    if (signal?.aborted) watcher.finish();
    else this.watchStream.add(watcher);
  }

  /**
   * Asks etcd to send a `progress` message to every watch on the stream (no-op while it is down). Before
   * etcd 3.4.25 / 3.5.8 the reply can overtake events not yet delivered (etcd-io/etcd#15220): there it
   * is passed on but does not move a watch's resume point; from those releases on it does, for every
   * watch created before the request (see watcher.ts). Per-watch `progressNotify` has no such gap.
   */
  requestProgress(): void {
    this.watchStream.requestProgress();
  }

  /**
   * Calls `listener` when an endpoint's connection comes up or goes down (see
   * Connection.onConnectivityChange); returns the unsubscribe function.
   */
  onConnectivityChange(listener: (change: ConnectivityChange) => void): () => void {
    return this.connection.onConnectivityChange(listener);
  }

  /** The cluster's members (answered by any member). */
  async memberList(options: ProbeOptions = {}): Promise<EtcdMemberInfo[]> {
    const res = await this.connection.unary(
      MEMBER_LIST,
      { linearizable: false },
      { ...options, isIdempotent: true },
    );
    return res.members.map((m) => ({
      id: m.ID,
      name: m.name,
      clientUrls: m.clientURLs,
      peerUrls: m.peerURLs,
      isLearner: m.isLearner,
    }));
  }

  /** Status of the member currently connected (cluster id, version, revision, leader). */
  async status(options: ProbeOptions = {}): Promise<EtcdStatus> {
    const res = await this.connection.unary(STATUS, {}, { ...options, isIdempotent: true });
    return {
      clusterId: res.header?.cluster_id ?? '0',
      memberId: res.header?.member_id ?? '0',
      version: res.version,
      revision: toBigint(res.header?.revision),
      leader: res.leader,
      raftTerm: toBigint(res.raftTerm),
    };
  }

  /**
   * Ends every watch (their iterations finish normally), cancels the stream, closes the channels.
   * Idempotent; resolves once nothing the client started remains (the process can exit).
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // Stop the stream first (synchronously), then the channels — which also cuts short any stream
      // open still waiting for a connection — and only then wait for what the stream had in flight.
      const stream = this.watchStream.close();
      this.connection.close();
      await stream;
    })();
    return this.closing;
  }
}
