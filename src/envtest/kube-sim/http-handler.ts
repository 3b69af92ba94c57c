import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseYaml } from 'yaml';
import { realClock, sleep } from '../../base/index.js';
import type { AccessReviews } from './access-reviews.js';
import {
  AGGREGATED_DISCOVERY_CONTENT_TYPE,
  aggregatedDiscovery,
  legacyCoreVersions,
  legacyGroup,
  legacyGroupList,
  resourceList,
  versionInfo,
  wantsAggregated,
} from './discovery.js';
import type { FaultBook, Verb } from './faults.js';
import { objectAt, stringAt, type JsonObject } from './json.js';
import { jsonText } from './json-text.js';
import type { ObjectStore } from './object-store.js';
import { decodeProtobuf, PROTOBUF_CONTENT_TYPE } from './protobuf-body.js';
import type { ResourceRegistry } from './registry.js';
import type { ApiResult, ResourceApi, ResourceRequest } from './resource-api.js';
import { apiVersionOf } from './resource-type.js';
import {
  ApiError,
  internalError,
  methodNotAllowed,
  pathNotFound,
  reasonForCode,
  unsupportedMediaType,
} from './status-error.js';
import { acceptsTable, TABLE_CONTENT_TYPE, tableInclude, toTable } from './table.js';
import type { WatchHub } from './watch-hub.js';

/** Serves `/openapi/v3` and its per-group-version documents. */
export interface OpenApiSource {
  /** The document for a path below `/openapi/v3` ('' for the root), or undefined for 404. */
  document(path: string): JsonObject | undefined;
}

/** Everything the HTTP layer dispatches to. */
export interface HandlerDeps {
  registry: ResourceRegistry;
  store: ObjectStore;
  api: ResourceApi;
  watches: WatchHub;
  faults: FaultBook;
  openapi: OpenApiSource;
  /** Answers TokenReviews and SubjectAccessReviews (create-only, never stored). */
  reviews: AccessReviews;
  /** The address clients reach us at, for legacy `/api`'s serverAddressByClientCIDRs. */
  address: () => string;
  /** Aborted when the simulator closes: cuts injected delays short. */
  signal: AbortSignal;
  /** Collects the User-Agent of every resource request (KubeSim.userAgents). */
  userAgents?: Set<string>;
}

const MAX_BODY_BYTES = 3 * 1024 * 1024;

function send(
  res: ServerResponse,
  code: number,
  body: unknown,
  contentType = 'application/json',
  warnings: string[] = [],
): void {
  const text = jsonText(body);
  const headers: Record<string, string | string[]> = {
    'Content-Type': contentType,
    'Content-Length': String(Buffer.byteLength(text)),
    'Cache-Control': 'no-cache, private',
  };
  if (warnings.length > 0) headers['Warning'] = warnings.map((w) => `299 - ${JSON.stringify(w)}`);
  res.writeHead(code, headers);
  res.end(text);
}

function sendError(res: ServerResponse, err: ApiError): void {
  send(res, err.code, err.toStatus());
}

/**
 * The request body. Read with events, not `for await` (whose async iterator cost more than the rest
 * of a small request's reading); past the limit the request is destroyed, as leaving that loop did.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (buf: Buffer): void => {
      size += buf.length;
      if (size > MAX_BODY_BYTES) {
        req.off('data', onData);
        req.destroy();
        reject(new ApiError(413, 'RequestEntityTooLarge', 'Request entity too large: limit is 3145728'));
        return;
      }
      chunks.push(buf);
    };
    req.on('data', onData);
    let ended = false;
    req.once('end', () => {
      ended = true;
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    req.once('error', reject);
    // A client gone before the end: settle, as the iterator did. (The error is built only then:
    // every request closes, and an Error's stack costs more than reading a small body.)
    req.once('close', () => {
      if (!ended) reject(new Error('the request body ended early'));
    });
  });
}

function decode(body: Buffer, contentType: string): unknown {
  const media = contentType.split(';')[0]?.trim() ?? '';
  if (media === PROTOBUF_CONTENT_TYPE) return decodeProtobuf(body);
  const raw = body.toString('utf8');
  if (raw.trim() === '') return undefined;
  if (media === 'application/yaml' || media === 'application/apply-patch+yaml')
    return parseYaml(raw) as unknown;
  if (media !== '' && media !== 'application/json' && media !== '*/*') {
    throw unsupportedMediaType([
      'application/json',
      'application/yaml',
      'application/vnd.kubernetes.protobuf',
    ]);
  }
  try {
    return JSON.parse(raw) as unknown;
  } catch (e) {
    throw new ApiError(
      400,
      'BadRequest',
      `couldn't get version/kind; json parse error: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
}

function withoutTypeMeta(obj: JsonObject): JsonObject {
  const rest = { ...obj };
  delete rest['apiVersion'];
  delete rest['kind'];
  return rest;
}

/** A routed resource request and its verb. */
interface Routed {
  request: ResourceRequest;
  verb: Verb;
}

/**
 * Routes one HTTP request: `/version`, discovery (aggregated when asked for, legacy otherwise), OpenAPI
 * v3 (v2 is 404 as Status), health endpoints, and resource paths under `/api/v1` and `/apis/<g>/<v>`.
 * Faults (delay, failNext) apply to resource requests after routing, before the store is touched.
 */
export class HttpHandler {
  constructor(private readonly deps: HandlerDeps) {}

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      await this.dispatch(req, res);
    } catch (e) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendError(
        res,
        e instanceof ApiError ? e : internalError(e instanceof Error ? e.message : String(e), e),
      );
    }
  }

  private async dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim.invalid');
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const accept = req.headers.accept;
    const method = req.method ?? 'GET';
    const { registry } = this.deps;
    if (path === '/version') return send(res, 200, versionInfo());
    if (path === '/healthz' || path === '/livez' || path === '/readyz') {
      res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
      res.end('ok');
      return;
    }
    if (path === '/api' || path === '/apis') {
      const aggregated = wantsAggregated(accept);
      if (aggregated) {
        const ct = AGGREGATED_DISCOVERY_CONTENT_TYPE.replace('v=v2;', `v=${aggregated};`);
        return send(res, 200, aggregatedDiscovery(registry, path === '/api', aggregated), ct);
      }
      return send(
        res,
        200,
        path === '/api' ? legacyCoreVersions(this.deps.address()) : legacyGroupList(registry),
      );
    }
    if (path === '/openapi/v2' || path.startsWith('/openapi/v2/')) throw pathNotFound();
    if (path === '/openapi/v3' || path.startsWith('/openapi/v3/')) {
      const doc = this.deps.openapi.document(path.slice('/openapi/v3'.length).replace(/^\//, ''));
      if (!doc) throw pathNotFound();
      return send(res, 200, doc);
    }
    const segments = path
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    let group: string;
    let version: string;
    let rest: string[];
    if (segments[0] === 'api' && segments[1] !== undefined) {
      group = '';
      version = segments[1];
      rest = segments.slice(2);
    } else if (segments[0] === 'apis' && segments[1] !== undefined) {
      group = segments[1];
      if (segments[2] === undefined) {
        const g = legacyGroup(registry, group);
        if (!g) throw pathNotFound();
        return send(res, 200, g);
      }
      version = segments[2];
      rest = segments.slice(3);
    } else throw pathNotFound();
    if (rest.length === 0) {
      if (method !== 'GET') throw methodNotAllowed();
      const list = resourceList(registry, group, version);
      if (!list) throw pathNotFound();
      return send(res, 200, list);
    }
    const routed = this.route(group, version, rest, method, url.searchParams);
    routed.request.userAgent = req.headers['user-agent'] ?? '';
    this.deps.userAgents?.add(routed.request.userAgent);
    await this.applyFaults(routed);
    await this.serveResource(routed, req, res, acceptsTable(accept));
  }

  private route(
    group: string,
    version: string,
    rest: string[],
    method: string,
    query: URLSearchParams,
  ): Routed {
    const { registry } = this.deps;
    let namespace = '';
    let plural: string | undefined;
    let name: string | undefined;
    let subresource: string | undefined;
    const nsType = rest[2] !== undefined ? registry.lookup(group, version, rest[2]) : undefined;
    if (rest[0] === 'namespaces' && rest[1] !== undefined && nsType?.namespaced) {
      namespace = rest[1];
      [plural, name, subresource] = rest.slice(2);
      if (rest.length > 5) throw pathNotFound();
    } else {
      [plural, name, subresource] = rest;
      if (rest.length > 3) throw pathNotFound();
    }
    const type = plural !== undefined ? registry.lookup(group, version, plural) : undefined;
    if (!type) throw pathNotFound();
    if (type.namespaced && namespace === '' && name !== undefined) throw pathNotFound();
    if (subresource !== undefined && !(subresource === 'status' && type.hasStatus)) throw pathNotFound();
    const request: ResourceRequest = {
      type,
      namespace,
      ...(name !== undefined ? { name } : {}),
      ...(subresource !== undefined ? { subresource } : {}),
      query,
    };
    const isWatch = query.get('watch') === 'true' || query.get('watch') === '1';
    let verb: Verb;
    switch (method) {
      case 'GET':
        verb = name !== undefined ? 'get' : isWatch ? 'watch' : 'list';
        break;
      case 'POST':
        if (name !== undefined) throw methodNotAllowed();
        verb = 'create';
        break;
      case 'PUT':
        if (name === undefined) throw methodNotAllowed();
        verb = 'update';
        break;
      case 'PATCH':
        if (name === undefined) throw methodNotAllowed();
        verb = 'patch';
        break;
      case 'DELETE':
        verb = name !== undefined ? 'delete' : 'deletecollection';
        break;
      default:
        throw methodNotAllowed();
    }
    if (subresource !== undefined && !['get', 'update', 'patch'].includes(verb)) throw methodNotAllowed();
    if (this.deps.reviews.handles(type) && verb !== 'create') throw methodNotAllowed();
    return { request, verb };
  }

  private async applyFaults({ request, verb }: Routed): Promise<void> {
    const { faults } = this.deps;
    const ms = faults.delayFor(verb, request.type.plural);
    // The simulator closing ends an injected delay at once.
    if (ms > 0) await sleep(realClock, ms, this.deps.signal);
    const failure = faults.takeFailure(verb, request.type.plural);
    if (failure) {
      const message =
        failure.message ?? `injected fault: ${verb} ${request.type.plural} fails with ${failure.status}`;
      throw new ApiError(failure.status, reasonForCode(failure.status), message, {
        ...(request.name !== undefined ? { name: request.name } : {}),
        ...(request.type.group ? { group: request.type.group } : {}),
        kind: request.type.plural,
      });
    }
  }

  private async serveResource(
    { request, verb }: Routed,
    req: IncomingMessage,
    res: ServerResponse,
    asTable: boolean,
  ): Promise<void> {
    const { api, watches } = this.deps;
    const contentType = req.headers['content-type'] ?? '';
    const reply = (r: ApiResult): void => send(res, r.code, r.body, 'application/json', r.warnings ?? []);
    switch (verb) {
      case 'get': {
        const obj = api.get(request);
        if (asTable) {
          const rv = stringAt(objectAt(obj, 'metadata'), 'resourceVersion') ?? '';
          return send(
            res,
            200,
            toTable(request.type, [obj], rv, tableInclude(request.query)),
            TABLE_CONTENT_TYPE,
          );
        }
        return send(res, 200, obj);
      }
      case 'list': {
        const list = await api.list(request);
        const metadata: JsonObject = { resourceVersion: list.rv.toString() };
        if (list.continueToken) metadata['continue'] = list.continueToken;
        if (list.remaining !== undefined) metadata['remainingItemCount'] = list.remaining;
        if (asTable) {
          const table = toTable(request.type, list.items, list.rv.toString(), tableInclude(request.query));
          table['metadata'] = metadata;
          return send(res, 200, table, TABLE_CONTENT_TYPE);
        }
        return send(res, 200, {
          kind: request.type.listKind,
          apiVersion: apiVersionOf(request.type),
          metadata,
          // Typed lists carry no kind/apiVersion on their items (a known apiserver quirk); custom
          // resources, served unstructured, do.
          items: request.type.crdName !== undefined ? list.items : list.items.map(withoutTypeMeta),
        });
      }
      case 'watch': {
        const timeout = request.query.get('timeoutSeconds');
        watches.serve(
          {
            type: request.type,
            namespace: request.namespace,
            resourceVersion: request.query.get('resourceVersion') ?? '',
            matches: api.selectors(request),
            asTable,
            ...(asTable ? { tableInclude: tableInclude(request.query) } : {}),
            allowBookmarks: request.query.get('allowWatchBookmarks') === 'true',
            ...(timeout !== null && /^\d+$/.test(timeout) ? { timeoutSeconds: Number(timeout) } : {}),
          },
          res,
        );
        // Drain the (empty) request body so the socket is reusable; the response stays open.
        req.resume();
        return;
      }
      case 'create':
        if (this.deps.reviews.handles(request.type))
          return send(
            res,
            201,
            this.deps.reviews.answer(request.type, decode(await readBody(req), contentType)),
          );
        return reply(api.create(request, decode(await readBody(req), contentType)));
      case 'update':
        return reply(api.update(request, decode(await readBody(req), contentType)));
      case 'patch':
        return reply(api.patch(request, (await readBody(req)).toString('utf8'), contentType));
      case 'delete':
        return reply(api.delete(request, decode(await readBody(req), contentType)));
      case 'deletecollection':
        return reply(await api.deleteCollection(request, decode(await readBody(req), contentType)));
    }
  }
}
