/** The API group of every custom resource this operator serves. */
export const GROUP = 'etcdconfig.dev';

/** The one served and stored version of {@link GROUP}. */
export const VERSION = 'v1alpha1';

/** `apiVersion` as it appears in objects: `etcdconfig.dev/v1alpha1`. */
export const API_VERSION = `${GROUP}/${VERSION}` as const;

/** Names of the PrefixSync resource, exactly as declared in `crds/etcdconfig.dev_prefixsyncs.yaml`. */
export const PREFIX_SYNC = {
  kind: 'PrefixSync',
  listKind: 'PrefixSyncList',
  plural: 'prefixsyncs',
  singular: 'prefixsync',
  shortNames: ['psync'],
  namespaced: true,
} as const;

/** Names of the ClusterEtcdSource resource, exactly as declared in `crds/etcdconfig.dev_clusteretcdsources.yaml`. */
export const CLUSTER_ETCD_SOURCE = {
  kind: 'ClusterEtcdSource',
  listKind: 'ClusterEtcdSourceList',
  plural: 'clusteretcdsources',
  singular: 'clusteretcdsource',
  shortNames: ['ces'],
  namespaced: false,
} as const;

/** The kubectl category both kinds belong to: `kubectl get etcdconfig` lists them together. */
export const CATEGORY = 'etcdconfig';
