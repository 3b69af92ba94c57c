import type { API_VERSION } from './group-version.js';
import type { Condition, LabelSelector, ListMeta, ObjectMeta } from './meta.js';

/** How a PrefixSync lays out its ConfigMap: one key per etcd key, or one rendered document. */
export type TargetFormat = 'files' | 'yaml' | 'json' | 'properties' | 'env';

/** Every {@link TargetFormat}, in the CRD's enum order. */
export const TARGET_FORMATS = [
  'files',
  'yaml',
  'json',
  'properties',
  'env',
] as const satisfies readonly TargetFormat[];

/** What replaces each `/` of the path below the prefix in a ConfigMap key. */
export type KeySeparator = '.' | '-' | '_';

/** Every {@link KeySeparator}, in the CRD's enum order. */
export const KEY_SEPARATORS = ['.', '-', '_'] as const satisfies readonly KeySeparator[];

/** none: never restart; targets: restart the listed workloads; auto: restart the workloads that use the ConfigMap. */
export type RolloutMode = 'none' | 'targets' | 'auto';

/** Every {@link RolloutMode}, in the CRD's enum order. */
export const ROLLOUT_MODES = ['none', 'targets', 'auto'] as const satisfies readonly RolloutMode[];

/** The workload kinds a rollout can restart. */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';

/** Every {@link WorkloadKind}, in the CRD's enum order. */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
] as const satisfies readonly WorkloadKind[];

/** What happens to the ConfigMap when its PrefixSync is deleted. */
export type DeletionPolicy = 'Delete' | 'Retain';

/** Every {@link DeletionPolicy}, in the CRD's enum order. */
export const DELETION_POLICIES = ['Delete', 'Retain'] as const satisfies readonly DeletionPolicy[];

/** Names a ClusterEtcdSource. */
export interface SourceReference {
  name: string;
}

/** The ConfigMap a PrefixSync writes, in its own namespace. */
export interface PrefixSyncTarget {
  /** ConfigMap name (DNS-1123 subdomain). */
  name: string;
  /** Default `files`. */
  format?: TargetFormat;
  /** ConfigMap key of the rendered document: required unless `format` is `files`, forbidden with `files`. */
  key?: string;
}

/** How the path below the prefix becomes a ConfigMap key. */
export interface PrefixSyncKeys {
  /** Default `.`. */
  separator?: KeySeparator;
}

/** A workload in the PrefixSync's namespace. */
export interface WorkloadReference {
  kind: WorkloadKind;
  name: string;
}

/** Which workloads are restarted when the content hash changes. */
export interface PrefixSyncRollout {
  /** Default `none`. */
  mode?: RolloutMode;
  /** Non-empty exactly when `mode` is `targets`; no duplicates. */
  targets?: WorkloadReference[];
  /** Only with `mode: auto`: narrows the workloads found to those whose labels match. */
  selector?: LabelSelector;
}

/** PrefixSync `spec` as a user writes it: defaulted fields are optional. */
export interface PrefixSyncSpec {
  sourceRef: SourceReference;
  /** Starts and ends with `/`, e.g. `/config/payments/`. */
  prefix: string;
  target: PrefixSyncTarget;
  keys?: PrefixSyncKeys;
  rollout?: PrefixSyncRollout;
  /** Go-style duration (`500ms`, `1s`, `1m30s`, `0s`); default `1s`, at most `10m`. */
  debounce?: string;
  /** Default false. */
  suspend?: boolean;
  /** Default `Retain`. */
  deletionPolicy?: DeletionPolicy;
}

/** A workload restarted for a content hash. */
export interface RolledOutWorkload {
  kind: WorkloadKind;
  name: string;
  /** The content hash written to its pod template annotation. */
  hash: string;
}

/** PrefixSync `status`, written only by the operator through the status subresource. */
export interface PrefixSyncStatus {
  observedGeneration?: number;
  /** Keyed by `type`: see `PrefixSyncConditionType`. */
  conditions?: Condition[];
  /** etcd revision of the snapshot last applied, as a decimal string (a bigint in memory). */
  syncedRevision?: string;
  contentHash?: string;
  keyCount?: number;
  byteCount?: number;
  /** RFC 3339. */
  lastSyncTime?: string;
  /** RFC 3339. */
  lastRolloutTime?: string;
  rolledOut?: RolledOutWorkload[];
}

/** A PrefixSync object as stored by the API server. */
export interface PrefixSync {
  apiVersion: typeof API_VERSION;
  kind: 'PrefixSync';
  metadata: ObjectMeta;
  spec: PrefixSyncSpec;
  status?: PrefixSyncStatus;
}

/** A list of PrefixSyncs, as a list call returns it. */
export interface PrefixSyncList {
  apiVersion: typeof API_VERSION;
  kind: 'PrefixSyncList';
  metadata: ListMeta;
  items: PrefixSync[];
}
