import type { API_VERSION } from './group-version.js';
import type { Condition, LabelSelector, ListMeta, ObjectMeta } from './meta.js';

/** A Secret in the operator's namespace, by name. */
export interface SecretReference {
  name: string;
}

/** A key of a Secret in the operator's namespace. */
export interface SecretKeyReference {
  name: string;
  /** Default `ca.crt`. */
  key?: string;
}

/** TLS settings; Secrets live in the operator's namespace. */
export interface EtcdTls {
  /** CA bundle; without it the system's trusted CAs are used. */
  caSecretRef?: SecretKeyReference;
  /** A `kubernetes.io/tls` Secret (`tls.crt`, `tls.key`) for mutual TLS. */
  certSecretRef?: SecretReference;
  /** Name to verify the server certificate against, when it differs from the endpoint host. */
  serverName?: string;
}

/** Username/password authentication: the Secret holds the keys `username` and `password`. */
export interface EtcdAuth {
  secretRef: SecretReference;
}

/**
 * Who may read what: exactly one of `namespaces` / `namespaceSelector`, and the prefixes they may mirror
 * (a prefix also allows every prefix below it).
 */
export interface AccessRule {
  namespaces?: string[];
  /** `{}` selects every namespace. */
  namespaceSelector?: LabelSelector;
  prefixes: string[];
  /**
   * What happens to what a PrefixSync copied under this rule when it stops being allowed (the rule
   * removed or changed, the namespace relabelled): `Keep` (default) leaves its ConfigMap as it was;
   * `Delete` deletes the ConfigMap and the contents the operator kept for rollbacks.
   */
  onRevoke?: RevocationPolicy;
}

/** See {@link AccessRule.onRevoke}. */
export type RevocationPolicy = 'Keep' | 'Delete';

/** Every {@link RevocationPolicy}, in the CRD's enum order. */
export const REVOCATION_POLICIES = ['Keep', 'Delete'] as const satisfies readonly RevocationPolicy[];

/** What the operator may hold for one source. */
export interface SourceLimits {
  /**
   * Most bytes the operator's mirrors of this source's prefixes may hold together (keys, values up to
   * 1 MiB per prefix, and a per-key overhead): a byte quantity, `256Mi` or `268435456`. A prefix whose
   * first read does not fit what is left is not mirrored (its PrefixSyncs report
   * `SourceBudgetExceeded`) until there is room; the prefixes already mirrored go on. Default `256Mi`.
   */
  maxMirrorBytes?: number | string;
}

/** ClusterEtcdSource `spec`. */
export interface ClusterEtcdSourceSpec {
  /** `host:port` (TLS iff `tls` is set), `https://host:port` or `http://host:port`; at least one. */
  endpoints: string[];
  tls?: EtcdTls;
  auth?: EtcdAuth;
  /** No rules: nothing is allowed. */
  access?: AccessRule[];
  limits?: SourceLimits;
}

/** ClusterEtcdSource `status`, written only by the operator. */
export interface ClusterEtcdSourceStatus {
  observedGeneration?: number;
  /** Keyed by `type`: see `ClusterEtcdSourceConditionType`. */
  conditions?: Condition[];
  /** etcd's cluster ID in lower-case hexadecimal, as etcdctl prints it. */
  clusterId?: string;
  memberCount?: number;
  /** Last etcd revision seen, as a decimal string (a bigint in memory). */
  revision?: string;
  /**
   * `spec.endpoints` joined by commas, for kubectl get's ENDPOINTS column (the API server's printer
   * shows a list as a JSON array). Written with every status, reachable or not.
   */
  endpoints?: string;
}

/** A ClusterEtcdSource object (cluster-scoped: `metadata.namespace` is absent). */
export interface ClusterEtcdSource {
  apiVersion: typeof API_VERSION;
  kind: 'ClusterEtcdSource';
  metadata: ObjectMeta;
  spec: ClusterEtcdSourceSpec;
  status?: ClusterEtcdSourceStatus;
}

/** A list of ClusterEtcdSources, as a list call returns it. */
export interface ClusterEtcdSourceList {
  apiVersion: typeof API_VERSION;
  kind: 'ClusterEtcdSourceList';
  metadata: ListMeta;
  items: ClusterEtcdSource[];
}
