import type { KubeConfig, V1ConfigMap } from '@kubernetes/client-node';
import type { CallOptions } from './request-options.js';
import { KubeTransport } from './transport.js';
import type { ListOptions, ListResult, ListWatchSource, ObjectKey } from './types.js';

function namespaceOf(cm: V1ConfigMap): { namespace: string; name: string } {
  const namespace = cm.metadata?.namespace;
  const name = cm.metadata?.name;
  if (!namespace || !name) throw new TypeError('ConfigMap: set metadata.namespace and metadata.name');
  return { namespace, name };
}

function objectPath(namespace: string, name: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/configmaps/${encodeURIComponent(name)}`;
}

/**
 * ConfigMaps over the layer's JSON transport (transport.ts). Writes are create or
 * replace-with-`resourceVersion` (optimistic concurrency): a stale version throws `ConflictError`.
 * Every failure is a `KubeApiError`. Objects are the API server's JSON: times are RFC 3339 strings
 * (`metadata.creationTimestamp`), not the `Date`s client-node's types name.
 */
export class ConfigMapClient implements ListWatchSource<V1ConfigMap> {
  /** Sends the requests; shared by every client of the kubeconfig. */
  private readonly http: KubeTransport;
  readonly resource = 'configmaps';

  constructor(kubeConfig: KubeConfig) {
    this.http = KubeTransport.for(kubeConfig);
  }

  watchPath(namespace?: string): string {
    return namespace ? `/api/v1/namespaces/${namespace}/configmaps` : '/api/v1/configmaps';
  }

  /** Reads one ConfigMap; `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<V1ConfigMap> {
    const namespace = key.namespace ?? '';
    const what = `get configmap ${namespace}/${key.name}`;
    return this.http.get<V1ConfigMap>(objectPath(namespace, key.name), { signal: options.signal, what });
  }

  /** Lists ConfigMaps in one namespace, or in all when `namespace` is omitted. */
  async list(options: ListOptions = {}): Promise<ListResult<V1ConfigMap>> {
    const request = {
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
      signal: options.signal,
      what: 'list configmaps',
    };
    type Body = { items?: V1ConfigMap[]; metadata?: { resourceVersion?: string } };
    const list = options.namespace
      ? await this.http.list<Body>(this.watchPath(options.namespace), request)
      : await this.http.listAll<Body>(this.watchPath(), request);
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Creates the ConfigMap; `AlreadyExistsError` if the name is taken. */
  async create(cm: V1ConfigMap, options: CallOptions = {}): Promise<V1ConfigMap> {
    const { namespace, name } = namespaceOf(cm);
    const what = `create configmap ${namespace}/${name}`;
    return this.http.create<V1ConfigMap>(this.watchPath(namespace), cm, { signal: options.signal, what });
  }

  /**
   * Replaces the ConfigMap. `cm.metadata.resourceVersion` must be the version that was read: a
   * concurrent write then makes this throw `ConflictError` instead of silently overwriting it.
   */
  async replace(cm: V1ConfigMap, options: CallOptions = {}): Promise<V1ConfigMap> {
    const { namespace, name } = namespaceOf(cm);
    if (!cm.metadata?.resourceVersion) {
      throw new TypeError(`replace configmap ${namespace}/${name}: set metadata.resourceVersion`);
    }
    const what = `replace configmap ${namespace}/${name}`;
    return this.http.update<V1ConfigMap>(objectPath(namespace, name), cm, { signal: options.signal, what });
  }

  /** Deletes the ConfigMap; `NotFoundError` if absent. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const namespace = key.namespace ?? '';
    const what = `delete configmap ${namespace}/${key.name}`;
    await this.http.delete(objectPath(namespace, key.name), { signal: options.signal, what });
  }
}
