// Who the operator is to the API server: the field manager its writes are credited to in managedFields
// (without one, the API server takes the User-Agent's first token — node-fetch's) and the User-Agent of
// every request, set once here for every client of this layer.
import { readFileSync } from 'node:fs';
import {
  Observable,
  type KubeConfig,
  type ObservableMiddleware,
  type RequestContext,
} from '@kubernetes/client-node';

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
  if (!WRITE_METHODS.has(String(context.getHttpMethod()))) return;
  if (new URL(context.getUrl()).searchParams.has('fieldManager')) return;
  context.setQueryParam('fieldManager', FIELD_MANAGER);
}

/** client-node middleware running {@link identifyRequest} before each request of a client. */
export const IDENTITY_MIDDLEWARE: ObservableMiddleware = {
  pre: (context) => {
    identifyRequest(context);
    return new Observable(Promise.resolve(context));
  },
  post: (context) => new Observable(Promise.resolve(context)),
};

/**
 * A view of `kubeConfig` for client-node's `Watch`, which sends its own requests with
 * `applyToFetchOptions`: the same settings, plus the operator's User-Agent. The original is unchanged.
 */
export function withUserAgent(kubeConfig: KubeConfig): KubeConfig {
  const view = Object.create(kubeConfig) as KubeConfig;
  view.applyToFetchOptions = async (opts) => {
    const init = await kubeConfig.applyToFetchOptions(opts);
    // client-node builds node-fetch's Headers (not the global class): anything with set().
    const headers = init.headers as { set?: (name: string, value: string) => void } | undefined;
    headers?.set?.('User-Agent', operatorUserAgent());
    return init;
  };
  return view;
}
