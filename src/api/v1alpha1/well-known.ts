// Label, annotation and finalizer names the operator writes or reads on other objects: part of the API.

/**
 * The pod template annotation of releases before one annotation per PrefixSync: read (a workload that
 * carries the current hash under it needs no restart) and removed by the next rollout.
 */
export const CONFIG_HASH_ANNOTATION = 'etcdconfig.dev/config-hash';

/** The prefix of {@link configHashAnnotation}: `config-hash.etcdconfig.dev/`. */
export const CONFIG_HASH_ANNOTATION_PREFIX = 'config-hash.etcdconfig.dev/';

/**
 * The pod template annotation a PrefixSync's rollouts set to its content hash (changing it restarts
 * the pods): one per PrefixSync, `config-hash.etcdconfig.dev/<name>`, so that two PrefixSyncs on one
 * workload never overwrite each other's. A PrefixSync name (at most 63 characters, a DNS subdomain) is a
 * valid annotation name part, and workloads are in the PrefixSync's own namespace.
 */
export function configHashAnnotation(prefixSyncName: string): string {
  return `${CONFIG_HASH_ANNOTATION_PREFIX}${prefixSyncName}`;
}

/** PrefixSync annotation; any change of its value forces a fresh etcd snapshot and sync. */
export const FORCE_SYNC_ANNOTATION = 'etcdconfig.dev/force-sync';

/**
 * PrefixSync annotation approving a held change: its value is the revision in `status.held.revision`,
 * whose content is then published once (a later revision is judged again).
 */
export const APPROVE_REVISION_ANNOTATION = 'etcdconfig.dev/approve-revision';

/**
 * ConfigMap annotation: the UID of the PrefixSync that wrote it. A ConfigMap without a controller is
 * adopted only by the PrefixSync whose name its label carries *and* whose UID this is — never by a new
 * PrefixSync that merely has the same name (which anyone allowed to create PrefixSyncs could make).
 */
export const PREFIX_SYNC_UID_ANNOTATION = 'etcdconfig.dev/prefixsync-uid';

/** ConfigMap label naming the PrefixSync (same namespace) that writes it. */
export const PREFIX_SYNC_LABEL = 'etcdconfig.dev/prefixsync';

/** `app.kubernetes.io/managed-by` label key, set on every ConfigMap the operator writes. */
export const MANAGED_BY_LABEL = 'app.kubernetes.io/managed-by';

/** The value of {@link MANAGED_BY_LABEL} on the operator's ConfigMaps. */
export const MANAGED_BY_VALUE = 'etcd-config-operator';

/** Finalizer a PrefixSync carries while its ConfigMap's fate under `deletionPolicy` is not yet settled. */
export const PREFIX_SYNC_FINALIZER = 'etcdconfig.dev/configmap';

/** Upper bound of a ConfigMap's total size (keys plus values), as the API server enforces it. */
export const CONFIGMAP_MAX_BYTES = 1024 * 1024;
