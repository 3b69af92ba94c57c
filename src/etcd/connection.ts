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
  AuthTokenInvalidError,
  ClientClosedError,
  DeadlineExceededError,
  UnavailableError,
  toEtcdError,
} from './errors.js';
import { etcdMethod, type EtcdMethod } from './proto.js';
import type { RawAuthenticateRequest, RawAuthenticateResponse } from './raw-messages.js';

/** Default time one endpoint gets to become connected before the next one is tried. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 3_000;
/** Default deadline of a unary request, failover included. */
export const DEFAULT_REQUEST_TIMEOUT_MS = 15_000;
/** Default gRPC keepalive ping interval; etcd closes connections pinging more often than every 5 s. */
export const DEFAULT_KEEPALIVE_TIME_MS = 10_000;
/** Default time to wait for a keepalive ack before the connection is declared dead. */
export const DEFAULT_KEEPALIVE_TIMEOUT_MS = 5_000;
/**
 * grpc-js reconnect backoff bounds: short, like the Go client's ~100 ms watch retry cap. A restarted
 * member is back in about a second, and a watch re-created before new writes land is served from etcd's
 * synced group at once, while one re-created after them waits for the 100 ms unsynced loop (bench phase
 * 4: resume p99 124 ms with 100→1,000 ms, 16–24 ms with 20→100 ms). Reconnect attempts are loopback-cheap
 * TCP dials, refused at once while a member is down.
 */
const RECONNECT_BACKOFF_INITIAL_MS = 20;
const RECONNECT_BACKOFF_MAX_MS = 100;
/** Pause between failover rounds when every endpoint is down. */
const FAILOVER_ROUND_PAUSE_MS = 10;

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
}

/** An open Watch stream and what it was opened with. */
export interface OpenedStream<Req, Res> {
  call: ClientDuplexStream<Req, Res>;
  endpoint: string;
  /** The auth token the stream carries (etcd checks it for each watch created on the stream). */
  token: string | undefined;
}

const authenticate = etcdMethod<RawAuthenticateRequest, RawAuthenticateResponse>('Auth', 'Authenticate');

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
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
    }
    return client;
  }

  /** Makes the next endpoint the one tried first (after `endpoint` failed). */
  markFailed(endpoint: string): void {
    const i = this.options.endpoints.indexOf(endpoint);
    if (i === this.current) this.current = (i + 1) % this.options.endpoints.length;
  }

  /**
   * Resolves with a connected endpoint, trying each in turn from the current one; a channel in
   * transient failure is skipped at once. Throws UnavailableError when `deadline` passes first.
   */
  async connectedEndpoint(deadline: number): Promise<{ endpoint: string; client: Client }> {
    for (;;) {
      if (this.isClosed) throw new ClientClosedError();
      const n = this.options.endpoints.length;
      for (let k = 0; k < n; k++) {
        const endpoint = this.options.endpoints[(this.current + k) % n]!;
        const client = this.clientFor(endpoint);
        const perEndpoint = Math.min(deadline, Date.now() + this.options.connectTimeoutMs);
        if (await this.waitReady(client, perEndpoint)) {
          this.current = (this.current + k) % n;
          return { endpoint, client };
        }
        if (this.isClosed) throw new ClientClosedError();
      }
      if (Date.now() >= deadline) {
        throw new UnavailableError(`no etcd endpoint reachable: ${this.options.endpoints.join(', ')}`);
      }
      await sleep(FAILOVER_ROUND_PAUSE_MS);
    }
  }

  /** True once the channel is READY; false on TRANSIENT_FAILURE/SHUTDOWN or at the deadline. */
  private waitReady(client: Client, deadline: number): Promise<boolean> {
    const channel = client.getChannel();
    return new Promise((resolve) => {
      const check = (): void => {
        let state: connectivityState;
        try {
          state = channel.getConnectivityState(true);
        } catch {
          resolve(false); // closed channel
          return;
        }
        if (state === connectivityState.READY) return resolve(true);
        if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) {
          return resolve(false);
        }
        if (Date.now() >= deadline) return resolve(false);
        channel.watchConnectivityState(state, deadline, (err) => (err ? resolve(false) : check()));
      };
      check();
    });
  }

  /** The current auth token (fetched on first use), or undefined without auth. */
  async currentToken(): Promise<string | undefined> {
    const auth = this.options.auth;
    if (!auth) return undefined;
    if (this.token !== undefined) return this.token;
    this.tokenFetch ??= this.call(authenticate, { name: auth.username, password: auth.password }, undefined, {
      isIdempotent: true,
    })
      .then((res) => {
        this.token = res.token;
        return res.token;
      })
      .finally(() => {
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
    for (let isRetryAfterRefresh = false; ; isRetryAfterRefresh = true) {
      const token = await this.currentToken();
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
    const deadline = Date.now() + (options.timeoutMs ?? this.options.requestTimeoutMs);
    for (;;) {
      const { endpoint, client } = await this.connectedEndpoint(deadline);
      const metadata = new Metadata();
      if (token !== undefined) metadata.set('token', token);
      try {
        return await new Promise<Res>((resolve, reject) => {
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
   * Opens a bidirectional stream on a connected endpoint with `hasleader=true` (etcd's RequireLeader: a
   * member cut off from its quorum ends the stream instead of serving a stale one) and the auth token.
   */
  async openStream<Req, Res>(
    method: EtcdMethod<Req, Res>,
    deadline: number,
  ): Promise<OpenedStream<Req, Res>> {
    const token = await this.currentToken();
    const { endpoint, client } = await this.connectedEndpoint(deadline);
    const metadata = new Metadata();
    metadata.set('hasleader', 'true');
    if (token !== undefined) metadata.set('token', token);
    const call = client.makeBidiStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      metadata,
    );
    return { call, endpoint, token };
  }

  /** Closes every channel. Idempotent. Calls in flight fail with Cancelled/Unavailable. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
