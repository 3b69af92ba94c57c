// Typed access to our custom resources. CustomObjectsApi hands back the JSON as the server sent it
// (timestamps are strings), which is exactly the api layer's wire types: the one cast lives here.
import type { KubeConfig, KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import {
  CLUSTER_ETCD_SOURCE,
  GROUP,
  PREFIX_SYNC,
  VERSION,
  type ClusterEtcdSource,
  type PrefixSync,
} from '../../api/index.js';
import { CustomResourceClient, type CallOptions, type ObjectKey } from '../../kube/index.js';

/** The operations the controllers perform on one custom resource kind, typed with the api layer. */
export interface ResourceApi<T> {
  /** `NotFoundError` if absent. */
  get(key: ObjectKey, options?: CallOptions): Promise<T>;
  /** `ConflictError` on a stale `metadata.resourceVersion`. */
  replaceStatus(obj: T, options?: CallOptions): Promise<T>;
  /** JSON merge patch of the object (not its status). */
  patchMerge(key: ObjectKey, patch: object, options?: CallOptions): Promise<T>;
}

/**
 * The ConfigMap operations a sync needs (the kube layer's ConfigMapClient; the operator passes it
 * through readThroughConfigMaps, so a `get` may be answered by the informer cache when it holds the
 * version last seen).
 */
export interface ConfigMapApi {
  get(key: ObjectKey, options?: CallOptions): Promise<V1ConfigMap>;
  create(cm: V1ConfigMap, options?: CallOptions): Promise<V1ConfigMap>;
  replace(cm: V1ConfigMap, options?: CallOptions): Promise<V1ConfigMap>;
  delete(key: ObjectKey, options?: CallOptions): Promise<void>;
}

/** The client and list-watch source of a custom resource kind; `raw` feeds informers. */
export interface TypedResource<T> {
  readonly api: ResourceApi<T>;
  readonly raw: CustomResourceClient<KubernetesObject>;
}

function typed<T>(raw: CustomResourceClient<KubernetesObject>): TypedResource<T> {
  const api: ResourceApi<T> = {
    get: async (key, options) => (await raw.get(key, options)) as unknown as T,
    replaceStatus: async (obj, options) =>
      (await raw.replaceStatus(obj as unknown as KubernetesObject, options)) as unknown as T,
    patchMerge: async (key, patch, options) => (await raw.patchMerge(key, patch, options)) as unknown as T,
  };
  return { api, raw };
}

/** PrefixSyncs (namespaced). */
export function prefixSyncResource(kubeConfig: KubeConfig): TypedResource<PrefixSync> {
  return typed(
    new CustomResourceClient(kubeConfig, {
      group: GROUP,
      version: VERSION,
      plural: PREFIX_SYNC.plural,
      namespaced: true,
    }),
  );
}

/** ClusterEtcdSources (cluster-scoped). */
export function clusterEtcdSourceResource(kubeConfig: KubeConfig): TypedResource<ClusterEtcdSource> {
  return typed(
    new CustomResourceClient(kubeConfig, {
      group: GROUP,
      version: VERSION,
      plural: CLUSTER_ETCD_SOURCE.plural,
      namespaced: false,
    }),
  );
}

/** An informer-cache object seen as the api layer's type (the cache holds the JSON as received). */
export function asPrefixSync(obj: KubernetesObject | undefined): PrefixSync | undefined {
  return obj as unknown as PrefixSync | undefined;
}

/** See {@link asPrefixSync}. */
export function asClusterEtcdSource(obj: KubernetesObject | undefined): ClusterEtcdSource | undefined {
  return obj as unknown as ClusterEtcdSource | undefined;
}
