// JSON requests to the API server over node's http/https, for the calls the operator makes per object.
// client-node's generated clients cost more CPU per request than the API server's answer is worth
// (node-fetch, ObjectSerializer's walk over every typed field, an ApiException for each expected 404):
// here a body is JSON.stringify'd once, an answer JSON.parse'd once, and a failure is a KubeApiError
// built from the status code. Authentication stays the kubeconfig's, applied per request.
import {
  request as httpRequest,
  type Agent,
  type ClientRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type OutgoingHttpHeaders,
} from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { readFileSync } from 'node:fs';
import type { Cluster, KubeConfig } from '@kubernetes/client-node';
import { keepAliveAgent } from './agent-pool.js';
import { FIELD_MANAGER, needsFieldManager, operatorUserAgent } from './client-identity.js';
import { KubeApiError, TransportError, errorForStatus } from './errors.js';
import type { CallOptions } from './request-options.js';

/** The HTTP methods of the Kubernetes API. */
export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A query parameter's value; `undefined` leaves the parameter out. */
export type QueryValue = string | number | boolean | undefined;

/** Options of one request. */
export interface KubeRequestOptions extends CallOptions {
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Sent as JSON. */
  readonly body?: unknown;
  /** The body's `Content-Type`; default `application/json` (patches name their strategy). */
  readonly contentType?: string;
  /** What the request does, for error messages (`get configmap ns/x`); default `<METHOD> <path>`. */
  readonly what?: string;
}

/** An answered request before its body is read: what {@link KubeTransport.open} resolves to. */
export interface OpenResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The body as it arrives; the caller reads or destroys it. */
  readonly body: IncomingMessage;
}

const JSON_TYPE = 'application/json';
const MERGE_PATCH_TYPE = 'application/merge-patch+json';

/** One transport per kubeconfig, so that its clients share it (and its agents). */
const transports = new WeakMap<KubeConfig, KubeTransport>();

/** `server`'s URL, parsed once per server string. */
interface ServerAddress {
  readonly server: string;
  readonly https: boolean;
  readonly hostname: string;
  readonly port: string;
  /** The server URL's path (a proxy's prefix), without a trailing slash. */
  readonly prefix: string;
}

function parseServer(server: string): ServerAddress {
  const url = new URL(server);
  return {
    server,
    https: url.protocol === 'https:',
    // An IPv6 literal is bracketed in a URL, not in http.request's `hostname`.
    hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port,
    prefix: url.pathname.replace(/\/+$/, ''),
  };
}

function queryString(method: HttpMethod, query: Readonly<Record<string, QueryValue>> | undefined): string {
  let text = '';
  let namesManager = false;
  for (const name in query) {
    const value = query[name];
    if (value === undefined) continue;
    if (name === 'fieldManager') namesManager = true;
    text += `${text ? '&' : '?'}${encodeURIComponent(name)}=${encodeURIComponent(String(value))}`;
  }
  if (needsFieldManager(method, namesManager)) text += `${text ? '&' : '?'}fieldManager=${FIELD_MANAGER}`;
  return text;
}

/** Reads the whole body; rejects if the stream breaks before its end. */
function readBody(res: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)));
    res.on('error', reject);
    res.on('close', () => {
      if (!res.complete) reject(new Error('the connection closed before the answer was complete'));
    });
  });
}

function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch {
    return body.toString('utf8');
  }
}

/**
 * Sends JSON requests to the current cluster of a kubeconfig. Every request applies the kubeconfig's
 * authentication (`applyToHTTPSOptions`: headers, tokens from exec or auth providers, client
 * certificates) and then runs over the kubeconfig's shared keep-alive agent for those TLS settings
 * (agent-pool.ts; a `proxy-url` keeps client-node's proxy agent). Requests carry the operator's
 * User-Agent, and writes its `fieldManager` (client-identity.ts). Failures are `KubeApiError`s: the
 * status code's subclass for an answer that is not 2xx, `TransportError` for no answer (refused,
 * reset, TLS failure, aborted through `signal`).
 */
export class KubeTransport {
  /** The last server URL parsed, re-parsed when the current context names another server. */
  private address: ServerAddress | undefined;
  /** The current cluster, when it names a CA file, and a view of the kubeconfig with that file read. */
  private caRead: { cluster: Cluster; view: KubeConfig } | undefined;

  private constructor(private readonly kubeConfig: KubeConfig) {}

  /** The transport of `kubeConfig`, made on first use and shared by every client of this layer. */
  static for(kubeConfig: KubeConfig): KubeTransport {
    let transport = transports.get(kubeConfig);
    if (!transport) {
      transport = new KubeTransport(kubeConfig);
      transports.set(kubeConfig, transport);
    }
    return transport;
  }

  /**
   * Sends one request and resolves with its answer's parsed JSON body (undefined for an empty body).
   * Throws a `KubeApiError` subclass for an answer that is not 2xx, `TransportError` for none.
   */
  async request<T>(method: HttpMethod, path: string, options: KubeRequestOptions = {}): Promise<T> {
    const { status, body, what } = await this.exchange(method, path, options);
    if (body.length === 0) return undefined as T;
    try {
      return JSON.parse(body.toString('utf8')) as T;
    } catch (err) {
      throw new KubeApiError(`${what}: the answer is not JSON: ${String(err)}`, status, undefined, {
        cause: err,
      });
    }
  }

  // Verb-named requests: each names the API verb it needs RBAC for (test/unit/chart reads them).

  /** GET of one object. */
  get<T>(path: string, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  /** GET of a collection in one namespace (or of a cluster-scoped kind). */
  list<T>(path: string, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  /** GET of a collection across all namespaces (RBAC: a ClusterRole). */
  listAll<T>(path: string, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('GET', path, options);
  }

  /** POST of a new object to its collection. */
  create<T>(path: string, body: unknown, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('POST', path, { ...options, body });
  }

  /** PUT of an object. */
  update<T>(path: string, body: unknown, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', path, { ...options, body });
  }

  /** PUT of the `/status` subresource of the object at `path`. */
  updateStatus<T>(path: string, body: unknown, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('PUT', `${path}/status`, { ...options, body });
  }

  /** PATCH with a JSON merge patch (RFC 7386). */
  patchMerge<T>(path: string, patch: unknown, options: KubeRequestOptions = {}): Promise<T> {
    return this.request<T>('PATCH', path, { ...options, body: patch, contentType: MERGE_PATCH_TYPE });
  }

  /** DELETE of one object; the answer's body is read but not parsed. */
  async delete(path: string, options: KubeRequestOptions = {}): Promise<void> {
    await this.exchange('DELETE', path, options);
  }

  /** Sends one request and reads its whole answer; throws for an answer that is not 2xx, or none. */
  private async exchange(
    method: HttpMethod,
    path: string,
    options: KubeRequestOptions,
  ): Promise<{ status: number; body: Buffer; what: string }> {
    const what = options.what ?? `${method} ${path}`;
    const res = await this.open(method, path, options);
    let body: Buffer;
    try {
      body = await readBody(res.body);
    } catch (err) {
      throw transportError(what, err);
    }
    if (res.status < 200 || res.status > 299) throw errorForStatus(res.status, parseJson(body), what);
    return { status: res.status, body, what };
  }

  /**
   * Sends one request and resolves once its answer's headers arrive, whatever the status; the caller
   * owns the body stream (a watch reads it line by line). Throws `TransportError` when no answer
   * comes; `signal` aborts the request at any time, its body included.
   */
  async open(method: HttpMethod, path: string, options: KubeRequestOptions = {}): Promise<OpenResponse> {
    const what = options.what ?? `${method} ${path}`;
    let req: ClientRequest;
    try {
      req = await this.send(method, path, options);
    } catch (err) {
      throw transportError(what, err);
    }
    return new Promise((resolve, reject) => {
      req.on('response', (res) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: res }));
      req.on('error', (err) => reject(transportError(what, err)));
    });
  }

  /**
   * `kubeConfig`, or, when its cluster names a `certificate-authority` file (as in a pod), a view of it
   * with that file read once, as client-go reads it. client-node reads it on every request: three
   * quarters of what applying an in-cluster kubeconfig costs (21 µs of CPU a request, 5 µs without).
   * Client certificates and tokens are still read per request (their own caches), where they rotate.
   */
  private withCaRead(cluster: Cluster): KubeConfig {
    const caFile = cluster.caFile;
    if (!caFile) return this.kubeConfig;
    if (this.caRead?.cluster !== cluster) {
      const read: Cluster = {
        ...cluster,
        caFile: undefined,
        caData: readFileSync(caFile).toString('base64'),
      };
      const view = Object.create(this.kubeConfig) as KubeConfig;
      view.getCurrentCluster = () => read;
      this.caRead = { cluster, view };
    }
    return this.caRead.view;
  }

  /** Builds and sends the request: the kubeconfig's authentication, identity headers, the body. */
  private async send(method: HttpMethod, path: string, options: KubeRequestOptions): Promise<ClientRequest> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    if (this.address?.server !== cluster.server) this.address = parseServer(cluster.server);
    const address = this.address;
    const auth: RequestOptions = {};
    // Per request: tokens from exec and auth providers expire and are refreshed there (cached by them).
    await this.withCaRead(cluster).applyToHTTPSOptions(auth);
    const headers: OutgoingHttpHeaders = {
      // client-node sets an object of headers (Authorization, Impersonate-User), never an array.
      ...(auth.headers as OutgoingHttpHeaders | undefined),
      'User-Agent': operatorUserAgent(),
      Accept: JSON_TYPE,
    };
    let payload: string | undefined;
    if (options.body !== undefined) {
      payload = JSON.stringify(options.body);
      headers['Content-Type'] = options.contentType ?? JSON_TYPE;
      headers['Content-Length'] = Buffer.byteLength(payload);
    }
    // The TLS settings (ca, cert, key, ...) live in the agent: the shared keep-alive one of this
    // kubeconfig, which also keys its socket pool by them.
    const agent = keepAliveAgent(this.kubeConfig, auth.agent) as Agent | undefined;
    const request = address.https ? httpsRequest : httpRequest;
    const req = request({
      method,
      hostname: address.hostname,
      port: address.port,
      path: `${address.prefix}${path}${queryString(method, options.query)}`,
      headers,
      ...(agent ? { agent } : {}),
      ...(auth.auth ? { auth: auth.auth } : {}),
    });
    if (options.signal) abortWith(req, options.signal);
    req.end(payload);
    return req;
  }
}

/**
 * Destroys `req` (its answer too) when `signal` aborts, until the exchange is over. Not http.request's
 * own `signal` option: that one destroys the socket even after a complete answer, when the keep-alive
 * agent may hold it already with no error listener (an uncaught error).
 */
function abortWith(req: ClientRequest, signal: AbortSignal): void {
  let answer: IncomingMessage | undefined;
  const onAbort = (): void => {
    // A complete answer's socket may be back in the agent's pool already: leave the socket alone.
    if (answer?.complete) answer.destroy();
    else req.destroy(new Error('The operation was aborted', { cause: signal.reason }));
  };
  req.once('response', (res: IncomingMessage) => (answer = res));
  if (signal.aborted) return onAbort();
  signal.addEventListener('abort', onAbort, { once: true });
  req.once('close', () => signal.removeEventListener('abort', onAbort));
}

function transportError(what: string, err: unknown): KubeApiError {
  if (err instanceof KubeApiError) return err;
  const detail = err instanceof Error ? err.message : String(err);
  return new TransportError(`${what}: ${detail}`, 0, undefined, { cause: err });
}
