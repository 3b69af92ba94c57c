// The gRPC channels to etcd's endpoints and the choice between them: one grpc-js Client per endpoint
// (made on first use with the TLS credentials, keepalive and a short reconnect backoff, followed for
// READY transitions, closed together), and the failover order — which endpoint is tried first, how a
// connected one is found without polling, and which is preferred after a failure. What is sent on a
// channel, and with which token, is Connection's job.
import {
  Client,
  connectivityState,
  credentials as grpcCredentials,
  type ChannelCredentials,
  type ChannelOptions,
} from '@grpc/grpc-js';
import { ClientClosedError, UnavailableError } from './errors.js';

/**
 * grpc-js reconnect backoff bounds: short, like the Go client's ~100 ms watch retry cap. A restarted
 * member binds its port early and serves about a second later; a channel that dialled in between is
 * served the moment etcd is ready (see Connection.openStream for why that moment matters). Reconnect
 * attempts are TCP dials, refused at once while a member is down.
 */
const RECONNECT_BACKOFF_INITIAL_MS = 20;
export const RECONNECT_BACKOFF_MAX_MS = 100;
/** HTTP/2 receive window, per stream and per connection: what etcd may send ahead of our reading. */
const FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

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

/** Options of {@link EndpointChannels}; see EtcdClientOptions for the documented defaults. */
export interface EndpointChannelsOptions {
  endpoints: readonly string[];
  tls?: EtcdTlsOptions;
  keepaliveTimeMs: number;
  keepaliveTimeoutMs: number;
}

/** An endpoint's channel became connected (READY) or stopped being so. */
export interface ConnectivityChange {
  endpoint: string;
  isConnected: boolean;
}

/** One endpoint's channel and its state when it was looked at. */
export interface SurveyedEndpoint {
  endpoint: string;
  client: Client;
  state: connectivityState;
}

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
 * The endpoints' channels in failover order. Owns one grpc-js Client per endpoint, closed by close();
 * after close() nothing connects and ClientClosedError is thrown where a channel is needed.
 */
export class EndpointChannels {
  /** One gRPC client (channel) per endpoint, created on first use; emptied by close(). */
  private readonly clients = new Map<string, Client>();
  /** Index into endpoints of the endpoint tried first. */
  private current = 0;
  /** Set by close(), never unset. */
  private hasClosed = false;
  /** Told of every endpoint entering or leaving READY; cleared by close(). */
  private readonly connectivityListeners = new Set<(change: ConnectivityChange) => void>();
  private readonly credentials: ChannelCredentials;
  private readonly channelOptions: ChannelOptions;

  constructor(private readonly options: EndpointChannelsOptions) {
    const tls = options.tls;
    this.credentials = tls
      ? grpcCredentials.createSsl(tls.ca ?? null, tls.key ?? null, tls.cert ?? null)
      : grpcCredentials.createInsecure();
    this.channelOptions = {
      // No 4 MiB trap: a catch-up response after a disconnect can be far bigger.
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      // HTTP/2 receive window of 16 MiB (Go's grpc grows to that; grpc-js keeps 64 KiB): with 64 KiB
      // etcd stalls on every window update while a catch-up is decoded, and a replay crawls.
      'grpc-node.flow_control_window': FLOW_CONTROL_WINDOW_BYTES,
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

  /** True once close() ran. */
  get isClosed(): boolean {
    return this.hasClosed;
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
        if (state === connectivityState.SHUTDOWN || this.hasClosed) return;
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
   * UnavailableError when `deadline` passes first, ClientClosedError after close().
   */
  async connectedEndpoint(deadline: number): Promise<{ endpoint: string; client: Client }> {
    for (;;) {
      if (this.hasClosed) throw new ClientClosedError();
      const seen = this.survey();
      const ready = this.pickReady(seen);
      if (ready) return ready;
      if (Date.now() >= deadline || !(await firstStateChange(seen, deadline))) {
        if (this.hasClosed) throw new ClientClosedError();
        throw new UnavailableError(`no etcd endpoint reachable: ${this.options.endpoints.join(', ')}`);
      }
    }
  }

  /**
   * Where to open a stream without waiting: the first READY endpoint in failover order (made current)
   * if there is one, else the endpoint tried first, not connected yet (`isReady` false).
   */
  streamTarget(): { endpoint: string; client: Client; isReady: boolean } {
    const ready = this.pickReady(this.survey());
    if (ready) return { ...ready, isReady: true };
    const endpoint = this.options.endpoints[this.current]!;
    return { endpoint, client: this.clientFor(endpoint), isReady: false };
  }

  /** Every endpoint's channel and state, in failover order; idle channels are asked to connect. */
  survey(): SurveyedEndpoint[] {
    const endpoints = this.options.endpoints;
    return endpoints.map((_, k) => {
      const endpoint = endpoints[(this.current + k) % endpoints.length]!;
      const client = this.clientFor(endpoint);
      return { endpoint, client, state: connectivityOf(client) };
    });
  }

  /** The first READY endpoint of a survey, made current; undefined when none is. */
  private pickReady(seen: readonly SurveyedEndpoint[]): { endpoint: string; client: Client } | undefined {
    const ready = seen.find((s) => s.state === connectivityState.READY);
    if (ready) this.current = this.options.endpoints.indexOf(ready.endpoint);
    return ready;
  }

  /** Closes every channel. Idempotent. Calls in flight fail with Cancelled/Unavailable. */
  close(): void {
    if (this.hasClosed) return;
    this.hasClosed = true;
    this.connectivityListeners.clear();
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }
}
