// What is sent to etcd and with which credentials: unary requests with the auth token (fetched,
// shared, refreshed when etcd rejects it), failing over between endpoints or — fail-fast — racing all
// of them, and bidirectional streams with etcd's RequireLeader. Which endpoint a request goes to, and
// the channels themselves, are EndpointChannels' job (endpoint-channels.ts).
import { Metadata, type Client, type ClientDuplexStream } from '@grpc/grpc-js';
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
import {
  EndpointChannels,
  RECONNECT_BACKOFF_MAX_MS,
  type ConnectivityChange,
  type EtcdTlsOptions,
} from './endpoint-channels.js';
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
 * Pause before a fail-fast request tries again an endpoint whose failure said nothing yet (see
 * isWorthAnotherAttempt): longer than the reconnect backoff, so that the channel has made an attempt of
 * its own.
 */
const ANOTHER_ATTEMPT_PAUSE_MS = 2 * RECONNECT_BACKOFF_MAX_MS;

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
 * Requests to etcd with the auth token, over the endpoints' channels: a connected endpoint is picked,
 * failing over to the next on Unavailable. Owns its EndpointChannels (one grpc-js Client per
 * endpoint), closed by close().
 */
export class Connection {
  /** The channels and the failover order. */
  private readonly channels: EndpointChannels;
  /** The token in use; undefined without auth, before the first fetch and after invalidation. */
  private token: string | undefined;
  /** A token fetch in flight, shared by every caller that needs a token meanwhile. */
  private tokenFetch: Promise<string> | undefined;

  constructor(private readonly options: ConnectionOptions) {
    this.channels = new EndpointChannels(options);
  }

  /** The endpoints, in failover order. */
  get endpoints(): readonly string[] {
    return this.channels.endpoints;
  }

  /** True once close() ran. */
  private get isClosed(): boolean {
    return this.channels.isClosed;
  }

  /** See EndpointChannels.onConnectivityChange. Returns the unsubscribe function. */
  onConnectivityChange(listener: (change: ConnectivityChange) => void): () => void {
    return this.channels.onConnectivityChange(listener);
  }

  /** Makes the next endpoint the one tried first (after `endpoint` failed). */
  markFailed(endpoint: string): void {
    this.channels.markFailed(endpoint);
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
      const { endpoint, client } = await this.channels.connectedEndpoint(deadline);
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
    const attempts = this.channels.survey().map(({ endpoint, client }) => attempt(endpoint, client));
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
      const endpoints = this.channels.endpoints;
      failures.sort((a, b) => endpoints.indexOf(a.endpoint) - endpoints.indexOf(b.endpoint));
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
    const { endpoint, client, isReady } = this.channels.streamTarget();
    const metadata = new Metadata({ waitForReady: !isReady });
    metadata.set('hasleader', 'true');
    if (token !== undefined) metadata.set('token', token);
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      metadata,
    );
    const connected = isReady
      ? Promise.resolve()
      : this.channels.connectedEndpoint(deadline).then((winner) => {
          if (winner.endpoint !== endpoint) {
            throw new UnavailableError(`${winner.endpoint} connected before ${endpoint}`);
          }
        });
    return { call, endpoint, token, connected };
  }

  /** Closes every channel. Idempotent. Calls in flight fail with Cancelled/Unavailable. */
  close(): void {
    this.channels.close();
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
