// A small HTTP(S) listener for /metrics or /healthz + /readyz, with addresses written like
// controller-runtime's flags: ":8080" (every interface), "127.0.0.1:8080", or "0" (disabled).
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

/** A route's answer. */
export interface HttpAnswer {
  status: number;
  contentType?: string;
  /** Extra response headers, e.g. `WWW-Authenticate`. */
  headers?: Readonly<Record<string, string>>;
  body: string;
}

/** One route: answers a request (its headers are there to read; the body is never read). */
export type Route = (req: IncomingMessage) => HttpAnswer | Promise<HttpAnswer>;

/** Routes by exact path (query ignored); GET and HEAD only. */
export type Routes = Record<string, Route>;

/** A certificate and its private key, PEM. */
export interface TlsMaterial {
  readonly cert: string;
  readonly key: string;
}

/**
 * Where an HTTPS endpoint gets its certificate: the current one, and word when it changes (a rotated
 * Secret). The endpoint owns the source it is given and closes it.
 */
export interface TlsSource {
  /** The certificate to serve now. */
  current(): TlsMaterial;
  /** Calls `listener` with each new certificate (never synchronously from this call). */
  onChange(listener: (material: TlsMaterial) => void): void;
  /** Stops watching for changes. Idempotent. */
  close(): Promise<void>;
}

/** The oldest TLS version an HTTPS endpoint accepts. */
export const MIN_TLS_VERSION = 'TLSv1.2';

/** Options of {@link HttpEndpoint}. */
export interface HttpEndpointOptions {
  /** Serve HTTPS (TLS 1.2 or later) with this certificate; default plain HTTP. */
  tls?: TlsSource;
  /** Closed after the server has closed (e.g. the access filter's pending reviews). */
  dependents?: ReadonlyArray<{ close(): void | Promise<void> }>;
}

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
 * One listening HTTP or HTTPS server. `listen()` resolves once bound (throws if the port is taken);
 * `close()` stops accepting, ends idle keep-alive connections and resolves when the server, its TLS
 * source and its dependents have closed.
 */
export class HttpEndpoint {
  /** HTTPS when `options.tls` is set, HTTP otherwise; never both. */
  private readonly server: Server | HttpsServer;
  /** What the endpoint owns and closes: its TLS source and dependents. */
  private readonly options: HttpEndpointOptions;
  /** Set by the first close(); every later call returns it. */
  private closing: Promise<void> | undefined;

  constructor(routes: Routes, options: HttpEndpointOptions = {}) {
    this.options = options;
    const handler = (req: IncomingMessage, res: ServerResponse): void => void this.handle(routes, req, res);
    const tls = options.tls;
    if (tls) {
      const server = createHttpsServer({ ...tls.current(), minVersion: MIN_TLS_VERSION }, handler);
      // A new certificate applies to the next handshake; connections already open keep theirs.
      tls.onChange((material) => server.setSecureContext({ ...material, minVersion: MIN_TLS_VERSION }));
      this.server = server;
    } else {
      this.server = createHttpServer(handler);
    }
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
    this.closing ??= (async () => {
      if (this.server.listening) {
        await new Promise<void>((resolve) => {
          this.server.close(() => resolve());
          this.server.closeIdleConnections();
        });
      }
      await this.options.tls?.close();
      for (const dependent of this.options.dependents ?? []) await dependent.close();
    })();
    return this.closing;
  }

  private async handle(routes: Routes, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const route = Object.hasOwn(routes, path) ? routes[path] : undefined;
    let answer: HttpAnswer;
    if (req.method !== 'GET' && req.method !== 'HEAD') answer = { status: 405, body: 'method not allowed\n' };
    else if (!route) answer = { status: 404, body: 'not found\n' };
    else {
      try {
        answer = await route(req);
      } catch (err) {
        answer = { status: 500, body: `${err instanceof Error ? err.message : String(err)}\n` };
      }
    }
    res.writeHead(answer.status, {
      ...answer.headers,
      'Content-Type': answer.contentType ?? 'text/plain; charset=utf-8',
    });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }
}
