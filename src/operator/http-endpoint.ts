// A small HTTP listener for /metrics or /healthz + /readyz, with addresses written like
// controller-runtime's flags: ":8080" (every interface), "127.0.0.1:8080", or "0" (disabled).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A route's answer. */
export interface HttpAnswer {
  status: number;
  contentType?: string;
  body: string;
}

/** Routes by exact path (query ignored); GET and HEAD only. */
export type Routes = Record<string, () => HttpAnswer | Promise<HttpAnswer>>;

/** An address flag taken apart; `undefined` means disabled. */
export function parseBindAddress(text: string): { host: string | undefined; port: number } | undefined {
  if (text === '' || text === '0') return undefined;
  const colon = text.lastIndexOf(':');
  const hostPart = colon < 0 ? '' : text.slice(0, colon);
  const portPart = colon < 0 ? text : text.slice(colon + 1);
  const port = Number(portPart);
  if (!/^\d+$/.test(portPart) || port > 65535) {
    throw new RangeError(`'${text}' is not an address: write :PORT, HOST:PORT, or 0 to disable`);
  }
  const host = hostPart.replace(/^\[(.*)\]$/, '$1');
  return { host: host === '' ? undefined : host, port };
}

/**
 * One listening HTTP server. `listen()` resolves once bound (throws if the port is taken); `close()`
 * stops accepting, ends idle keep-alive connections and resolves when the server has closed.
 */
export class HttpEndpoint {
  private readonly server: Server;
  private closing: Promise<void> | undefined;

  constructor(routes: Routes) {
    this.server = createServer((req, res) => void this.handle(routes, req, res));
  }

  /** Binds to `host:port` (port 0: a free one); resolves with the bound address. */
  listen(host: string | undefined, port: number): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Idempotent. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      if (!this.server.listening) return resolve();
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
    });
    return this.closing;
  }

  private async handle(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = routes[path];
    let answer: HttpAnswer;
    if (req.method !== 'GET' && req.method !== 'HEAD') answer = { status: 405, body: 'method not allowed\n' };
    else if (!route) answer = { status: 404, body: 'not found\n' };
    else {
      try {
        answer = await route();
      } catch (err) {
        answer = { status: 500, body: `${err instanceof Error ? err.message : String(err)}\n` };
      }
    }
    res.writeHead(answer.status, { 'Content-Type': answer.contentType ?? 'text/plain; charset=utf-8' });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }
}
