// Who the operator is to the API server: the field manager its writes are credited to in managedFields
// (without one, the API server takes the User-Agent's first token — node-fetch's) and the User-Agent of
// every request, set once here for every client of this layer.
import { readFileSync } from 'node:fs';
import { Observable, type ObservableMiddleware, type RequestContext } from '@kubernetes/client-node';

/** The `fieldManager` of every create, update and patch the operator makes. */
export const FIELD_MANAGER = 'etcd-config-operator';

/** What the User-Agent names; the defaults are this process's. */
export interface UserAgentParts {
  version: string;
  /** `<os>/<arch>`, as Node names them (`linux/x64`). */
  platform: string;
  /** Node.js's version without the leading v (`20.20.0`). */
  node: string;
}

/** `etcd-config-operator/<version> (<os>/<arch>; node <version>)`; the first token is {@link FIELD_MANAGER}. */
export function formatUserAgent(parts: UserAgentParts): string {
  return `${FIELD_MANAGER}/${parts.version} (${parts.platform}; node ${parts.node})`;
}

/** The package's version, read once ('unknown' when package.json cannot be read). */
function packageVersion(): string {
  try {
    // src/kube/ and dist/kube/ both sit two folders below the package root.
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    return 'unknown';
  }
}

let cachedUserAgent: string | undefined;

/** This process's User-Agent (see {@link formatUserAgent}). */
export function operatorUserAgent(): string {
  cachedUserAgent ??= formatUserAgent({
    version: packageVersion(),
    platform: `${process.platform}/${process.arch}`,
    node: process.versions.node,
  });
  return cachedUserAgent;
}

/** The methods whose options take a fieldManager (CreateOptions, UpdateOptions, PatchOptions). */
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/**
 * Applies the operator's identity to one request: the User-Agent always, and `fieldManager` on a write
 * that does not name a manager already (a server-side apply names its own).
 */
export function identifyRequest(context: RequestContext): void {
  context.setHeaderParam('User-Agent', operatorUserAgent());
  const method = String(context.getHttpMethod());
  // Only a write's URL is worth parsing.
  const named = WRITE_METHODS.has(method) && new URL(context.getUrl()).searchParams.has('fieldManager');
  if (needsFieldManager(method, named)) context.setQueryParam('fieldManager', FIELD_MANAGER);
}

/** Whether a request gets `fieldManager=`{@link FIELD_MANAGER}: a write that names no manager itself. */
export function needsFieldManager(method: string, namesManager: boolean): boolean {
  return !namesManager && WRITE_METHODS.has(method);
}

/** client-node middleware running {@link identifyRequest} before each request of a client. */
export const IDENTITY_MIDDLEWARE: ObservableMiddleware = {
  pre: (context) => {
    identifyRequest(context);
    return new Observable(Promise.resolve(context));
  },
  post: (context) => new Observable(Promise.resolve(context)),
};
