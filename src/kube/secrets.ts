import type { KubeConfig, V1Secret } from '@kubernetes/client-node';
import type { CallOptions } from './request-options.js';
import { KubeTransport } from './transport.js';
import type { ListOptions, ListResult, ObjectKey } from './types.js';

function keyOf(secret: V1Secret): { namespace: string; name: string } {
  const namespace = secret.metadata?.namespace;
  const name = secret.metadata?.name;
  if (!namespace || !name) throw new TypeError('Secret: set metadata.namespace and metadata.name');
  return { namespace, name };
}

function collectionPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets`;
}

function objectPath(namespace: string, name: string): string {
  return `${collectionPath(namespace)}/${encodeURIComponent(name)}`;
}

/**
 * Secrets of one namespace at a time over the layer's JSON transport (transport.ts): the targets of
 * PrefixSyncs with `target.kind: Secret` (only with `--secret-targets`). Writes are create or replace-
 * with-`resourceVersion` (a stale version throws `ConflictError`). Every failure is a `KubeApiError`,
 * whose message names the Secret and never carries its data. Times are RFC 3339 strings.
 */
export class SecretClient {
  /** Sends the requests; shared by every client of the kubeconfig. */
  private readonly http: KubeTransport;

  constructor(kubeConfig: KubeConfig) {
    this.http = KubeTransport.for(kubeConfig);
  }

  /** Reads one Secret; `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<V1Secret> {
    const namespace = key.namespace ?? '';
    const what = `get secret ${namespace}/${key.name}`;
    return this.http.get<V1Secret>(objectPath(namespace, key.name), { signal: options.signal, what });
  }

  /** Lists the Secrets of `options.namespace` (required: never across namespaces) by label selector. */
  async list(options: ListOptions & { namespace: string }): Promise<ListResult<V1Secret>> {
    const list = await this.http.list<{ items?: V1Secret[]; metadata?: { resourceVersion?: string } }>(
      collectionPath(options.namespace),
      {
        query: { labelSelector: options.labelSelector },
        signal: options.signal,
        what: `list secrets in ${options.namespace}`,
      },
    );
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Creates the Secret; `AlreadyExistsError` if the name is taken. */
  async create(secret: V1Secret, options: CallOptions = {}): Promise<V1Secret> {
    const { namespace, name } = keyOf(secret);
    const what = `create secret ${namespace}/${name}`;
    return this.http.create<V1Secret>(collectionPath(namespace), secret, { signal: options.signal, what });
  }

  /** Replaces the Secret at the `metadata.resourceVersion` that was read (`ConflictError` if stale). */
  async replace(secret: V1Secret, options: CallOptions = {}): Promise<V1Secret> {
    const { namespace, name } = keyOf(secret);
    if (!secret.metadata?.resourceVersion) {
      throw new TypeError(`replace secret ${namespace}/${name}: set metadata.resourceVersion`);
    }
    const what = `replace secret ${namespace}/${name}`;
    return this.http.update<V1Secret>(objectPath(namespace, name), secret, { signal: options.signal, what });
  }

  /** Deletes the Secret; `NotFoundError` if absent. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const namespace = key.namespace ?? '';
    const what = `delete secret ${namespace}/${key.name}`;
    await this.http.delete(objectPath(namespace, key.name), { signal: options.signal, what });
  }
}
