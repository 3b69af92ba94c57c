import {
  Client,
  Metadata,
  connectivityState,
  credentials as grpcCredentials,
  type ChannelCredentials,
  type ChannelOptions,
  type ClientDuplexStream,
} from '@grpc/grpc-js';
import type { Logger } from '../observability/index.js';
import {
  EtcdConnectError,
  classifyConnectFailure,
  isWorthAnotherAttempt,
  type ConnectFailure,
} from './connect-failure.js';
import {
  AuthTokenInvalidError,
  ClientClosedError,
  DeadlineExceededError,
  UnavailableError,
  type EtcdError,
  toEtcdError,
} from './errors.js';
import { etcdMethod, type EtcdMethod } from './proto.js';
import type { RawAuthenticateRequest, RawAuthenticateResponse } from './raw-messages.js';

/** Default time the watch stream waits for an endpoint to connect before it counts as a failed attempt. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** Default deadline of a unary request, failover included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Default gRPC keepalive ping interval; etcd closes connections pinging more often than every 5 s. */
export const DEFAULT_KEEPALIVE_TIME_MS = 10_000;
/** Default time to wait for a keepalive ack before the connection is declared dead. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 5_000;
/**
 * grpc-js reconnect backoff bounds: short, like the Go client's ~100 ms watch retry cap. A restarted
 * member binds its port early and serves about a second later; a channel that dialled in between is
 * served the moment etcd is ready (see openStream for why that moment matters). Reconnect attempts are
 * TCP dials, refused at once while a member is down.
 */
const RECONNECT_BACKOFF_INITIAL_MS = 20;
const RECONNECT_BACKOFF_MAX_MS = 100;
/**
 * Pause before a fail-fast request tries again an endpoint whose failure said nothing yet (see
 * isWorthAnotherAttempt): longer than the reconnect backoff, so that the channel has made an attempt of
 * its own.
 */
const ANOTHER_ATTEMPT_PAUSE_MS = 2 * RECONNECT_BACKOFF_MAX_MS;

/** TLS settings. Server certificates are always verified. */
export interface EtcdTlsOptions {
  /** CA bundle (PEM) to verify the server; default: the system roots. */
  ca?: Buffer;
  /** Client certificate (PEM) for mTLS; needs `key`. */
  cert?: Buffer;
  /** Client private key (PEM) for mTLS; needs `cert`. */
  key?: Buffer;
  /** Name to verify the server certificate against instead of the endpoint's host. */
  serverName?: string;
}

/** User name and password; the client fetches a token and refreshes it when etcd rejects it. */
export interface EtcdAuthOptions {
  username: string;
  password: string;
}

/** Options of a {@link Connection}; see EtcdClientOptions for the documented defaults. */
export interface ConnectionOptions {
  endpoints: readonly string[];
  tls?: EtcdTlsOptions;
  auth?: EtcdAuthOptions;
  connectTimeoutMs: number;
  requestTimeoutMs: number;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
  logger: Logger;
}

/** A unary request's retry policy. */
export interface UnaryOptions {
  /** Safe to send again after it may have reached etcd (reads). Non-idempotent requests are retried only
   * while no endpoint could be connected, i.e. before anything was sent. */
  isIdempotent: boolean;
  /** Overall deadline in ms; default the connection's requestTimeoutMs. */
  timeoutMs?: number;
  /**
   * Don't wait for an endpoint to connect (for health probes; idempotent requests only): the request
   * goes to every endpoint at once and the first answer wins. An endpoint whose last connection attempt
   * failed fails at once instead of being waited for; when no endpoint answers, throws
   * {@link EtcdConnectError} saying why for each (refused, DNS, timeout, TLS…). An error etcd itself
   * answered with (refused credentials…) is thrown as such. Default false.
   */
  failFast?: boolean;
}

/** An endpoint's channel became connected (READY) or stopped being so. */
export interface ConnectivityChange {
  endpoint: string;
  isConnected: boolean;
}

/** An open Watch stream and what it was opened with. */
export interface OpenedStream<Req, Res> {
  call: ClientDuplexStream<Req, Res>;
  endpoint: string;
  /** The auth token the stream carries (etcd checks it for each watch created on the stream). */
  token: string | undefined;
  /**
   * Settles once it is known whether the call's endpoint connects: at once for a stream opened on a
   * connected endpoint; for one queued on an endpoint that is still reconnecting, when that endpoint
   * becomes READY. Rejects with UnavailableError when another endpoint is READY first or the deadline
   * passes: the queued call then goes nowhere and should be dropped.
   */
  connected: Promise<void>;
}

const authenticate = etcdMethod<RawAuthenticateRequest, RawAuthenticateResponse>('Auth', 'Authenticate');

/**
 * A channel's state after asking an idle one to connect; a closed channel counts as SHUTDOWN. The kick
 * can make it READY at once (a subchannel shared with another channel of the process is already
 * connected), and getConnectivityState(true) returns the state from before the kick: read it again.
 */
function connectivityOf(client: Client): connectivityState {
  try {
    const channel = client.getChannel();
    channel.getConnectivityState(true);
    return channel.getConnectivityState(false);
  } catch {
    return connectivityState.SHUTDOWN;
  }
}

/**
 * Resolves true when any of the channels leaves the state it was seen in, or at `deadline`; false at
 * once when none can change any more (all shut down).
 */
function firstStateChange(
  seen: readonly { client: Client; state: connectivityState }[],
  deadline: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    let waiting = 0;
    for (const { client, state } of seen) {
      if (state === connectivityState.SHUTDOWN) continue;
      try {
        client.getChannel().watchConnectivityState(state, deadline, () => resolve(true));
        waiting++;
      } catch {
        // shut down since it was seen
      }
    }
    if (waiting === 0) resolve(false);
  });
}

/**
 * The endpoints, their gRPC channels, credentials and the auth token. Picks a connected endpoint,
 * failing over to the next on Unavailable. Owns one grpc-js Client per endpoint, closed by close().
 */
export class Connection {
  /** One gRPC client (channel) per endpoint, created on first use. */
  private readonly clients = new Map<string, Client>();
  /** Index into endpoints of the endpoint tried first. */
  private current = 0;
  /** The token in use; undefined without auth, before the first fetch and after invalidation. */
  private token: string | undefined;
  /** A token fetch in flight, shared by every caller that needs a token meanwhile. */
  private tokenFetch: Promise<string> | undefined;
  /** Set by close(). */
  private isClosed = false;
  /** Told of every endpoint entering or leaving READY; cleared by close(). */
  private readonly connectivityListeners = new Set<(change: ConnectivityChange) => void>();
  private readonly credentials: ChannelCredentials;
  private readonly channelOptions: ChannelOptions;

  constructor(private readonly options: ConnectionOptions) {
    const tls = options.tls;
    this.credentials = tls
      ? grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
      : grpcCredentials.createInsecure();
    this.channelOptions = {
      // No 4 MiB trap: a catch-up response after a disconnect can be far bigger.
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      'grpc.keepalive_time_ms': options.keepaliveTimeMs,
      'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs,
      // etcd's server refuses pings without an active call (PermitWithoutStream=false).
      'grpc.keepalive_permit_without_calls': 0,
      'grpc.initial_reconnect_backoff_ms': RECONNECT_BACKOFF_INITIAL_MS,
      'grpc.max_reconnect_backoff_ms': RECONNECT_BACKOFF_MAX_MS,
      ...(tls?.serverName
        ? { 'grpc.ssl_target_name_override': tls.serverName, 'grpc.default_authority': tls.serverName }
        : {}),
    };
  }

  /** The endpoints, in failover order. */
  get endpoints(): readonly string[] {
    return this.options.endpoints;
  }

  private clientFor(endpoint: string): Client {
    let client = this.clients.get(endpoint);
    if (!client) {
      client = new Client(endpoint, this.credentials, this.channelOptions);
      this.clients.set(endpoint, client);
      this.followConnectivity(endpoint, client);
    }
    return client;
  }

  /**
   * Calls `listener` whenever an endpoint's channel becomes connected (READY) or stops being so — at
   * once when etcd closes the connection (a stopped member), after the keepalive timeout for a frozen
   * one (pinged only while a call such as the watch stream is open). Channels are made on first use,
   * so nothing is reported before the first request. Called asynchronously, never after close();
   * `listener` must not throw. Returns the unsubscribe function.
   */
  onConnectivityChange(listener: (change: ConnectivityChange) => void): () => void {
    this.connectivityListeners.add(listener);
    return () => this.connectivityListeners.delete(listener);
  }

  /** Follows one channel's state until it shuts down, reporting READY transitions to the listeners. */
  private followConnectivity(endpoint: string, client: Client): void {
    const channel = client.getChannel();
    const follow = (seen: connectivityState): void => {
      if (seen === connectivityState.SHUTDOWN) return;
      channel.watchConnectivityState(seen, Infinity, () => {
        const state = channel.getConnectivityState(false);
        if (state === connectivityState.SHUTDOWN || this.isClosed) return;
        const isConnected = state === connectivityState.READY;
        if (isConnected !== (seen === connectivityState.READY)) {
          for (const listener of this.connectivityListeners) listener({ endpoint, isConnected });
        }
        follow(state);
      });
    };
    follow(channel.getConnectivityState(false));
  }

  /** Makes the next endpoint the one tried first (after `endpoint` failed). */
  markFailed(endpoint: string): void {
    const i = this.options.endpoints.indexOf(endpoint);
    if (i === this.current) this.current = (i + 1) % this.options.endpoints.length;
  }

  /**
   * Resolves with a connected endpoint: the first READY one in failover order, else the first to become
   * READY. Every channel is asked to connect, and the wait follows grpc's state changes instead of
   * polling, so a restarted member is used the moment its transport is up. A frozen member (TCP accepted,
   * nothing answers) stays CONNECTING and is never chosen while another endpoint is READY. Throws
   * UnavailableError when `deadline` passes first.
   */
  async connectedEndpoint(deadline: number): Promise<{ endpoint: string; client: Client }> {
    for (;;) {
      if (this.isClosed) throw new ClientClosedError();
      const seen = this.survey();
      const ready = this.pickReady(seen);
      if (ready) return ready;
      if (Date.now() >= deadline || !(await firstStateChange(seen, deadline))) {
        if (this.isClosed) throw new ClientClosedError();
        throw new UnavailableError(`no etcd endpoint reachable: ${this.options.endpoints.join(', ')}`);
      }
    }
  }

  /**
   * The current auth token (fetched on first use), or undefined without auth. A fail-fast fetch
   * (`failFast`, see UnaryOptions) is its own, never one shared with callers that wait.
   */
  async currentToken(fetch: Pick<UnaryOptions, 'failFast' | 'timeoutMs'> = {}): Promise<string | undefined> {
    const auth = this.options.auth;
    if (!auth) return undefined;
    if (this.token !== undefined) return this.token;
    const fetchToken = (): Promise<string> =>
      this.call(authenticate, { name: auth.username, password: auth.password }, undefined, {
        ...fetch,
        isIdempotent: true,
      }).then((res) => {
        this.token = res.token;
        return res.token;
      });
    if (fetch.failFast) return fetchToken();
    this.tokenFetch ??= fetchToken().finally(() => {
      this.tokenFetch = undefined; // a failed fetch must not stick: the next caller fetches again
    });
    return this.tokenFetch;
  }

  /** Drops `token` (etcd said it is invalid) so that the next request fetches a fresh one. */
  invalidateToken(token: string | undefined): void {
    if (token !== undefined && this.token === token) this.token = undefined;
  }

  /**
   * Sends a unary request with the auth token, failing over between endpoints. An invalid token is
   * refreshed once. Throws a typed EtcdError.
   */
  async unary<Req, Res>(method: EtcdMethod<Req, Res>, request: Req, options: UnaryOptions): Promise<Res> {
    if (options.failFast && !options.isIdempotent) {
      throw new TypeError('a fail-fast request goes to every endpoint: it must be idempotent');
    }
    for (let isRetryAfterRefresh = false; ; isRetryAfterRefresh = true) {
      const token = await this.currentToken({ failFast: options.failFast, timeoutMs: options.timeoutMs });
      try {
        return await this.call(method, request, token, options);
      } catch (err) {
        if (err instanceof AuthTokenInvalidError && this.options.auth && !isRetryAfterRefresh) {
          this.options.logger.debug('auth token rejected, fetching a new one');
          this.invalidateToken(token);
          continue;
        }
        throw err;
      }
    }
  }

  private async call<Req, Res>(
    method: EtcdMethod<Req, Res>,
    request: Req,
    token: string | undefined,
    options: UnaryOptions,
  ): Promise<Res> {
    const timeoutMs = options.timeoutMs ?? this.options.requestTimeoutMs;
    const deadline = Date.now() + timeoutMs;
    if (options.failFast) return this.callEveryEndpoint(method, request, token, deadline, timeoutMs);
    for (;;) {
      const { endpoint, client } = await this.connectedEndpoint(deadline);
      try {
        return await unaryOn(client, method, request, token, deadline);
      } catch (err) {
        // A frozen member (TCP up, nothing answers) shows as a deadline: prefer another one next time.
        if (err instanceof DeadlineExceededError) this.markFailed(endpoint);
        if (!(err instanceof UnavailableError)) throw err;
        this.markFailed(endpoint);
        if (!options.isIdempotent || Date.now() >= deadline) throw err;
        this.options.logger.debug('request failed over', { endpoint, error: err.message });
      }
    }
  }

  /**
   * Sends `request` to every endpoint at once without waiting for any to connect (UnaryOptions.failFast);
   * resolves with the first answer. When every endpoint failed: the first error etcd answered with if
   * any, else an EtcdConnectError with each endpoint's failure.
   */
  private async callEveryEndpoint<Req, Res>(
    method: EtcdMethod<Req, Res>,
    request: Req,
    token: string | undefined,
    deadline: number,
    timeoutMs: number,
  ): Promise<Res> {
    if (this.isClosed) throw new ClientClosedError();
    const attempt = async (endpoint: string, client: Client): Promise<Res> => {
      for (;;) {
        try {
          return await unaryOn(client, method, request, token, deadline);
        } catch (err) {
          const error = toEtcdError(err);
          const failure = classifyConnectFailure(error.code, error.message);
          if (!failure || !isWorthAnotherAttempt(failure) || this.isClosed) {
            throw new EndpointAttemptError(endpoint, error, failure);
          }
          if (Date.now() + ANOTHER_ATTEMPT_PAUSE_MS >= deadline) {
            // No time left for another attempt: the endpoint gave no answer within the deadline (a
            // frozen member's connection is dropped by the keepalive timeout about when a probe ends).
            throw new EndpointAttemptError(endpoint, error, { kind: 'timeout', detail: '' });
          }
          await new Promise((resolve) => setTimeout(resolve, ANOTHER_ATTEMPT_PAUSE_MS).unref());
        }
      }
    };
    const attempts = this.survey().map(({ endpoint, client }) => attempt(endpoint, client));
    try {
      return await Promise.any(attempts);
    } catch (err) {
      if (this.isClosed) throw new ClientClosedError();
      const failed = (err as AggregateError).errors as EndpointAttemptError[];
      const failures: ConnectFailure[] = [];
      for (const { endpoint, error, failure } of failed) {
        if (!failure) throw error; // etcd answered: its error says more than any transport failure
        failures.push({ endpoint, ...failure });
        this.markFailed(endpoint);
      }
      failures.sort(
        (a, b) => this.options.endpoints.indexOf(a.endpoint) - this.options.endpoints.indexOf(b.endpoint),
      );
      throw new EtcdConnectError(failures, timeoutMs, { cause: failed[0]?.error });
    }
  }

  /**
   * Opens a bidirectional stream with `hasleader=true` (etcd's RequireLeader: a member cut off from its
   * quorum ends the stream instead of serving a stale one) and the auth token.
   *
   * On a connected endpoint if there is one. Otherwise the call is queued (waitForReady) on the endpoint
   * tried first, so that what the caller writes at once goes out the moment that endpoint's transport is
   * up — in the same tick as the requests other clients queued while etcd was down. A watch re-created
   * from a revision etcd has not reached yet is served from etcd's synced group at once; one that arrives
   * after the first queued put has committed waits for the 100 ms unsynced loop. `connected` says
   * whether the queued endpoint won.
   */
  async openStream<Req, Res>(
    method: EtcdMethod<Req, Res>,
    deadline: number,
  ): Promise<OpenedStream<Req, Res>> {
    const token = await this.currentToken();
    if (this.isClosed) throw new ClientClosedError();
    const ready = this.pickReady(this.survey())?.endpoint;
    const endpoint = ready ?? this.options.endpoints[this.current]!;
    const metadata = new Metadata({ waitForReady: ready === undefined });
    metadata.set('hasleader', 'true');
    if (token !== undefined) metadata.set('token', token);
    const call = this.clientFor(endpoint).makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      metadata,
    );
    const connected =
      ready !== undefined
        ? Promise.resolve()
        : this.connectedEndpoint(deadline).then((winner) => {
            if (winner.endpoint !== endpoint) {
              throw new UnavailableError(`${winner.endpoint} connected before ${endpoint}`);
            }
          });
    return { call, endpoint, token, connected };
  }

  /** Every endpoint's channel and state, in failover order; idle channels are asked to connect. */
  private survey(): { endpoint: string; client: Client; state: connectivityState }[] {
    const endpoints = this.options.endpoints;
    return endpoints.map((_, k) => {
      const endpoint = endpoints[(this.current + k) % endpoints.length]!;
      const client = this.clientFor(endpoint);
      return { endpoint, client, state: connectivityOf(client) };
    });
  }

  /** The first READY endpoint of a survey, made current; undefined when none is. */
  private pickReady(
    seen: readonly { endpoint: string; client: Client; state: connectivityState }[],
  ): { endpoint: string; client: Client } | undefined {
    const ready = seen.find((s) => s.state === connectivityState.READY);
    if (ready) this.current = this.options.endpoints.indexOf(ready.endpoint);
    return ready;
  }

  /** Closes every channel. Idempotent. Calls in flight fail with Cancelled/Unavailable. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.connectivityListeners.clear();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}

/** One endpoint's failed attempt of a fail-fast request (internal to callEveryEndpoint). */
class EndpointAttemptError extends Error {
  constructor(
    readonly endpoint: string,
    readonly error: EtcdError,
    /** How connecting failed; undefined when etcd answered with `error`. */
    readonly failure: Omit<ConnectFailure, 'endpoint'> | undefined,
  ) {
    super(error.message, { cause: error });
  }
}

/**
 * One unary request on `client` with the auth token, rejecting with a typed EtcdError. Not queued for a
 * connection (no waitForReady): on a channel whose last attempt failed it fails at once.
 */
function unaryOn<Req, Res>(
  client: Client,
  method: EtcdMethod<Req, Res>,
  request: Req,
  token: string | undefined,
  deadline: number,
): Promise<Res> {
  const metadata = new Metadata();
  if (token !== undefined) metadata.set('token', token);
  return new Promise<Res>((resolve, reject) => {
    client.makeUnaryRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      { deadline },
      (err, res) => (err || res === undefined ? reject(toEtcdError(err)) : resolve(res)),
    );
  });
}
