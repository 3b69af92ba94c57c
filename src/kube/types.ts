import type { KubernetesObject } from '@kubernetes/client-node';
import type { CallOptions } from './request-options.js';

/** Names one object: `namespace` is omitted for cluster-scoped kinds. */
export interface ObjectKey {
  readonly namespace?: string;
  readonly name: string;
}

/** The cache key of an object: `namespace/name`, or `name` when cluster-scoped (client-go's convention). */
export function objectKey(obj: KubernetesObject): string {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a key made by {@link objectKey} back into namespace and name. */
export function parseObjectKey(key: string): ObjectKey {
  const slash = key.indexOf('/');
  return slash < 0 ? { name: key } : { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
}

/** Options of a list call. */
export interface ListOptions extends CallOptions {
  /** Restrict to one namespace; omitted = all namespaces (or a cluster-scoped kind). */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly fieldSelector?: string;
}

/** A list answer: the items and the collection's `resourceVersion` to watch from. */
export interface ListResult<T> {
  readonly items: T[];
  /** Opaque; pass it back to the server unchanged. */
  readonly resourceVersion: string;
}

/**
 * What an informer needs to list and watch one kind. Implemented by the typed clients of this layer; an
 * informer owns no HTTP details of its own beyond the watch path.
 */
export interface ListWatchSource<T extends KubernetesObject> {
  /** Human-readable name for logs, e.g. `configmaps` or `prefixsyncs.etcdconfig.dev`. */
  readonly resource: string;
  /** The collection path the watch is opened on, e.g. `/api/v1/namespaces/ns/configmaps`. */
  watchPath(namespace?: string): string;
  /** Lists the collection. Throws a `KubeApiError`. */
  list(options: ListOptions): Promise<ListResult<T>>;
}
