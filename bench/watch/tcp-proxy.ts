import { createServer, connect, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP proxy in front of one etcd endpoint that can cut every connection through it and
 * refuse new ones (a network partition for the clients behind it), then let them through again.
 */
export class TcpProxy {
  /** Every socket pair currently open, both sides. */
  private readonly sockets = new Set<Socket>();
  /** While true, accepted connections are closed at once. */
  private isCut = false;

  private constructor(
    private readonly server: Server,
    /** `127.0.0.1:<port>` that clients dial instead of the target. */
    readonly endpoint: string,
  ) {}

  static async start(target: string): Promise<TcpProxy> {
    const [host, port] = [
      target.slice(0, target.lastIndexOf(':')),
      Number(target.slice(target.lastIndexOf(':') + 1)),
    ];
    // The server's handler needs the proxy and the proxy needs the server: bind late through a holder.
    const holder: { proxy?: TcpProxy } = {};
    const server = createServer((client) => holder.proxy?.accept(client, host, port));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('proxy has no TCP address');
    holder.proxy = new TcpProxy(server, `127.0.0.1:${address.port}`);
    return holder.proxy;
  }

  private accept(client: Socket, host: string, port: number): void {
    if (this.isCut) {
      client.destroy();
      return;
    }
    const upstream = connect(port, host);
    for (const [a, b] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(a);
      a.on('error', () => b.destroy());
      a.on('close', () => {
        this.sockets.delete(a);
        b.destroy();
      });
      a.pipe(b);
    }
  }

  /** Drops every open connection and refuses new ones until {@link restore}. */
  cut(): void {
    this.isCut = true;
    for (const s of this.sockets) s.destroy();
  }

  /** Lets connections through again. */
  restore(): void {
    this.isCut = false;
  }

  /** Closes the listener and every connection; resolves once the listener is closed. */
  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
