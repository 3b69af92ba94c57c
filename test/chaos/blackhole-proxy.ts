import { connect, createServer, type Server, type Socket } from 'node:net';

/** The state of a {@link BlackholeProxy}. */
export type BlackholeProxyState = 'forwarding' | 'blackholed' | 'closed';

/** One client connection and its upstream twin. */
interface Link {
  client: Socket;
  /** Undefined while a connection accepted during a blackhole waits for the link to heal. */
  upstream: Socket | undefined;
}

/**
 * A TCP proxy on a free loopback port to one target that can turn into a black hole: `blackhole()`
 * keeps every TCP connection open but stops moving bytes either way (it stops reading both sockets,
 * so nothing is lost — the kernel buffers fill and TCP flow control stalls the senders, as on a link
 * whose packets vanish); connections accepted meanwhile are held without an upstream. Neither side
 * sees a FIN or a RST: only a keepalive or a deadline can tell such a link from a quiet one.
 * `heal()` forwards again, in order, what was held. Unlike the integration tests' TcpProxy it closes
 * connections only when told to (`cut()`). Counts the bytes it forwards from the target to
 * the clients. `close()` destroys everything it holds.
 */
export class BlackholeProxy {
  /** `127.0.0.1:<port>` to give the client; set by start(). */
  endpoint = '';
  /** Bytes forwarded from the target to its clients since start. */
  bytesDown = 0;
  /** Every open link; a link leaves it when either of its sockets closes. */
  private readonly links = new Set<Link>();
  /** Current state; changed only by {@link transition}. */
  private currentState: BlackholeProxyState = 'forwarding';
  private readonly server: Server;

  private constructor(readonly target: string) {
    this.server = createServer((client) => this.onConnection(client));
  }

  /** Listens on a free loopback port; resolves once it accepts connections. */
  static async start(target: string): Promise<BlackholeProxy> {
    const proxy = new BlackholeProxy(target);
    await new Promise<void>((resolve, reject) => {
      proxy.server.once('error', reject);
      proxy.server.listen(0, '127.0.0.1', resolve);
    });
    const address = proxy.server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no port');
    proxy.endpoint = `127.0.0.1:${address.port}`;
    return proxy;
  }

  /** `forwarding`, `blackholed` or `closed`. */
  get state(): BlackholeProxyState {
    return this.currentState;
  }

  /** Open client connections (held ones included). */
  get connectionCount(): number {
    return this.links.size;
  }

  private transition(next: BlackholeProxyState): void {
    this.currentState = next;
  }

  private onConnection(client: Socket): void {
    if (this.currentState === 'closed') {
      client.destroy();
      return;
    }
    const link: Link = { client, upstream: undefined };
    this.links.add(link);
    client.on('error', () => undefined);
    client.on('close', () => this.drop(link));
    client.pause();
    if (this.currentState === 'forwarding') this.connectUpstream(link);
  }

  private connectUpstream(link: Link): void {
    const [host, port] = this.target.split(':') as [string, string];
    const upstream = connect(Number(port), host);
    link.upstream = upstream;
    upstream.pause();
    upstream.on('error', () => undefined);
    upstream.on('close', () => this.drop(link));
    this.forward(link.client, upstream);
    this.forward(upstream, link.client, (n) => (this.bytesDown += n));
    upstream.once('connect', () => {
      if (this.currentState === 'forwarding') this.flow(link);
    });
  }

  private flow(link: Link): void {
    link.client.resume();
    link.upstream?.resume();
  }

  /** Ends both sides of a link once either has closed. */
  private drop(link: Link): void {
    if (!this.links.delete(link)) return;
    link.client.destroy();
    link.upstream?.destroy();
  }

  /** Stops forwarding in both directions, keeping every connection open. No-op unless forwarding. */
  blackhole(): void {
    if (this.currentState !== 'forwarding') return;
    this.transition('blackholed');
    for (const link of this.links) {
      link.client.pause();
      link.upstream?.pause();
    }
  }

  /** Closes every open connection (both sides see it); with a blackhole on, new ones are then held. */
  cut(): void {
    for (const link of [...this.links]) this.drop(link);
  }

  /** Forwards again: held bytes first, held connections get their upstream. No-op unless blackholed. */
  heal(): void {
    if (this.currentState !== 'blackholed') return;
    this.transition('forwarding');
    for (const link of this.links) {
      if (link.upstream === undefined) this.connectUpstream(link);
      else if (link.upstream.connecting)
        continue; // its 'connect' handler starts the flow
      else this.flow(link);
    }
  }

  /**
   * Copies `from` to `to` with backpressure (a full `to` pauses `from` until it drains, unless a
   * blackhole began meanwhile) and ends `to` when `from` ends.
   */
  private forward(from: Socket, to: Socket, count?: (bytes: number) => void): void {
    from.on('data', (chunk: Buffer) => {
      count?.(chunk.length);
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => {
          if (!from.destroyed && this.currentState === 'forwarding') from.resume();
        });
      }
    });
    from.on('end', () => to.end());
  }

  /** Destroys every connection and stops listening. Idempotent. */
  async close(): Promise<void> {
    if (this.currentState === 'closed') return;
    this.transition('closed');
    for (const link of [...this.links]) this.drop(link);
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
