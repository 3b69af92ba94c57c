// The API server's RBAC, as far as the chart tests need it: a request read as kube-apiserver's
// RequestInfoFactory reads it, decided against the rendered ClusterRole and Roles as the RBAC
// authorizer decides it, and a proxy in front of the simulator that records every request and (when
// told) refuses what RBAC would refuse, with the 403 Status a real API server answers.
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Manifest } from './helm.js';

/** One API request as the RBAC authorizer sees it. */
export interface ResourceRequest {
  readonly verb: string;
  readonly apiGroup: string;
  /** `resource` or `resource/subresource`. */
  readonly resource: string;
  /** Undefined for cluster-scoped resources and requests across all namespaces. */
  readonly namespace: string | undefined;
  readonly line: string;
}

/** Paths every authenticated user may GET (Kubernetes' system:discovery and system:public-info-viewer). */
const DISCOVERY = /^\/(api|apis|version|openapi|healthz|livez|readyz)(\/|$)/;

/** Reads a request the way kube-apiserver's RequestInfoFactory does; undefined for discovery paths. */
export function requestInfo(method: string, url: string): ResourceRequest | undefined {
  const { pathname, searchParams } = new URL(url, 'http://x');
  const parts = pathname.split('/').filter(Boolean);
  let apiGroup: string;
  let rest: string[];
  if (parts[0] === 'api' && parts.length >= 3) {
    apiGroup = '';
    rest = parts.slice(2);
  } else if (parts[0] === 'apis' && parts.length >= 4) {
    apiGroup = parts[1] ?? '';
    rest = parts.slice(3);
  } else if (method === 'GET' && DISCOVERY.test(pathname)) {
    return undefined;
  } else {
    throw new Error(`not a resource request: ${method} ${url}`);
  }
  let namespace: string | undefined;
  // /namespaces/{ns}/{resource}... (but /namespaces/{name} alone is the Namespace itself)
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    namespace = rest[1];
    rest = rest.slice(2);
  }
  const [resource = '', name, subresource] = rest;
  const isWatch = searchParams.get('watch') === 'true' || searchParams.get('watch') === '1';
  const verb =
    method === 'GET'
      ? name === undefined
        ? isWatch
          ? 'watch'
          : 'list'
        : 'get'
      : ({
          POST: 'create',
          PUT: 'update',
          PATCH: 'patch',
          DELETE: name === undefined ? 'deletecollection' : 'delete',
        }[method] ?? method.toLowerCase());
  return {
    verb,
    apiGroup,
    resource: subresource ? `${resource}/${subresource}` : resource,
    namespace,
    line: `${method} ${url}`,
  };
}

/** An RBAC PolicyRule (resource rules only). */
export interface Rule {
  apiGroups: string[];
  resources: string[];
  verbs: string[];
}

/** What the operator's ServiceAccount is granted: ClusterRole rules anywhere, each Role's in its namespace. */
export interface Grants {
  readonly cluster: readonly Rule[];
  readonly roles: ReadonlyArray<{ readonly namespace: string; readonly rules: readonly Rule[] }>;
}

/** The grants of the chart's operator ClusterRole and every Role it renders (the metrics reader aside). */
export function grantsOf(objs: readonly Manifest[], clusterRoleName = 'eco-etcd-config-operator'): Grants {
  const clusterRole = objs.find((o) => o.kind === 'ClusterRole' && o.metadata.name === clusterRoleName);
  if (!clusterRole) throw new Error(`no ClusterRole ${clusterRoleName} rendered`);
  return {
    cluster: clusterRole['rules'] as Rule[],
    roles: objs
      .filter((o) => o.kind === 'Role')
      .map((o) => ({ namespace: o.metadata.namespace ?? '', rules: o['rules'] as Rule[] })),
  };
}

function ruleAllows(rule: Rule, req: ResourceRequest): boolean {
  const has = (list: string[], v: string): boolean => list.includes('*') || list.includes(v);
  return has(rule.apiGroups, req.apiGroup) && has(rule.resources, req.resource) && has(rule.verbs, req.verb);
}

/** RBAC: a ClusterRole binding allows anywhere; a RoleBinding only inside the Role's namespace. */
export function authorize(req: ResourceRequest, grants: Grants): boolean {
  if (grants.cluster.some((r) => ruleAllows(r, req))) return true;
  return grants.roles.some(
    (role) => req.namespace === role.namespace && role.rules.some((r) => ruleAllows(r, req)),
  );
}

/** An HTTP proxy in front of the simulator that records every request (watches stream through). */
export class RecordingProxy {
  private readonly sockets = new Set<Socket>();
  private constructor(
    private readonly server: Server,
    readonly url: string,
    /** Every request received, in order (refused ones too). */
    readonly requests: ReadonlyArray<{ method: string; url: string }>,
  ) {
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
  }

  /**
   * Starts the proxy to `target`. With `grants`, a resource request they do not allow is answered 403
   * Forbidden (a metav1.Status, as kube-apiserver's RBAC does) and never reaches the simulator.
   */
  static async start(target: string, grants?: Grants): Promise<RecordingProxy> {
    const upstream = new URL(target);
    const requests: Array<{ method: string; url: string }> = [];
    const server = createServer((req: IncomingMessage, res) => {
      const method = req.method ?? 'GET';
      const url = req.url ?? '/';
      requests.push({ method, url });
      const info = grants ? requestInfo(method, url) : undefined;
      if (grants && info && !authorize(info, grants)) {
        req.resume();
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: `forbidden: ${info.verb} ${info.resource} in ${info.namespace ?? 'the cluster scope'}`,
            reason: 'Forbidden',
            code: 403,
          }),
        );
        return;
      }
      const up = request(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: req.headers,
        },
        (upRes) => {
          res.writeHead(upRes.statusCode ?? 502, upRes.headers);
          upRes.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      res.on('close', () => up.destroy());
      req.pipe(up);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('no address');
    return new RecordingProxy(server, `http://127.0.0.1:${address.port}`, requests);
  }

  /** Every resource request received so far, as RBAC reads it. */
  resourceRequests(): ResourceRequest[] {
    return this.requests.map((r) => requestInfo(r.method, r.url)).filter((r) => r !== undefined);
  }

  close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const s of this.sockets) s.destroy();
    return closed;
  }
}
