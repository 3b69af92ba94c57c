import type { API_VERSION } from './group-version.js';
import type { Condition, LabelSelector, ListMeta, ObjectMeta } from './meta.js';

/** How a PrefixSync lays out its ConfigMap: one key per etcd key, or one rendered document. */
export type TargetFormat = 'files' | 'yaml' | 'json' | 'properties' | 'env' | 'template';

/** Every {@link TargetFormat}, in the CRD's enum order. */
export const TARGET_FORMATS = [
  'files',
  'yaml',
  'json',
  'properties',
  'env',
  'template',
] as const satisfies readonly TargetFormat[];

/** What replaces each `/` of the path below the prefix in a ConfigMap key. */
export type KeySeparator = '.' | '-' | '_';

/** Every {@link KeySeparator}, in the CRD's enum order. */
export const KEY_SEPARATORS = ['.', '-', '_'] as const satisfies readonly KeySeparator[];

/** How `env` and `properties` names are cased: as the path spells them, or ASCII letters upper-cased. */
export type KeyCase = 'Preserve' | 'Upper';

/** Every {@link KeyCase}, in the CRD's enum order. */
export const KEY_CASES = ['Preserve', 'Upper'] as const satisfies readonly KeyCase[];

/** How `yaml` and `json` write values: all strings, numbers and booleans typed, or each a JSON document. */
export type TargetValues = 'String' | 'Auto' | 'JSON';

/** Every {@link TargetValues}, in the CRD's enum order. */
export const TARGET_VALUES = ['String', 'Auto', 'JSON'] as const satisfies readonly TargetValues[];

/** none: never restart; targets: restart the listed workloads; auto: restart the workloads that use the ConfigMap. */
export type RolloutMode = 'none' | 'targets' | 'auto';

/** Every {@link RolloutMode}, in the CRD's enum order. */
export const ROLLOUT_MODES = ['none', 'targets', 'auto'] as const satisfies readonly RolloutMode[];

/**
 * The workload kinds a rollout can restart: the `apps` kinds, and — when the operator enables them —
 * `batch/v1` CronJobs (the template of their next Job) and Argo Rollouts (`argoproj.io/v1alpha1`).
 */
export type WorkloadKind = 'Deployment' | 'StatefulSet' | 'DaemonSet' | 'CronJob' | 'Rollout';

/** Every {@link WorkloadKind}, in the CRD's enum order. */
export const WORKLOAD_KINDS = [
  'Deployment',
  'StatefulSet',
  'DaemonSet',
  'CronJob',
  'Rollout',
] as const satisfies readonly WorkloadKind[];

/** What happens to the ConfigMap when its PrefixSync is deleted. */
export type DeletionPolicy = 'Delete' | 'Retain';

/** Every {@link DeletionPolicy}, in the CRD's enum order. */
export const DELETION_POLICIES = ['Delete', 'Retain'] as const satisfies readonly DeletionPolicy[];

/** Names a ClusterEtcdSource. */
export interface SourceReference {
  name: string;
}

/** What a PrefixSync writes: a ConfigMap, or (opt-in, `--secret-targets`) a Secret of type Opaque. */
export type TargetKind = 'ConfigMap' | 'Secret';

/** Every {@link TargetKind}, in the CRD's enum order. */
export const TARGET_KINDS = ['ConfigMap', 'Secret'] as const satisfies readonly TargetKind[];

/** Labels and annotations a PrefixSync puts on its target; none in the etcdconfig.dev/ domain. */
export interface TargetMetadata {
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

/**
 * One rewrite of the path below a source's prefix; exactly one of its fields is set. Rewrites apply in
 * order, after include/exclude.
 */
export interface KeyRewrite {
  /** Removes this text from the start of the path (a path that does not start with it is unchanged). */
  trimPrefix?: string;
  /** Replaces the first match of an RE2 `regex` with `with`, where `$1`… are its groups. */
  replace?: { regex: string; with: string };
}

/** Most entries of `spec.sources` (the CRD's maxItems). */
export const MAX_PREFIX_SYNC_SOURCES = 16;
/** Most globs in one source's `include` or `exclude`, and most rewrites in its `rewrite`. */
export const MAX_SOURCE_PATTERNS = 32;

/** One of the prefixes a PrefixSync merges (`spec.sources`): a later source wins on the same key. */
export interface PrefixSyncSource {
  /** Starts and ends with `/`. */
  prefix: string;
  /** Default: `spec.sourceRef`. */
  sourceRef?: SourceReference;
  /** Globs over the path below the prefix (`*` within a segment, `**` across, `?` one character); default all. */
  include?: string[];
  /** Globs of paths left out; an excluded path is out even when included. */
  exclude?: string[];
  rewrite?: KeyRewrite[];
}

/** Most templates in `spec.target.template.inline` (the CRD's maxProperties). */
export const MAX_INLINE_TEMPLATES = 32;

/**
 * The templates of `format: template`, each rendering one target key; exactly one field is set.
 * `inline`: target key → template text. `configMapRef`: every key of that ConfigMap (in the
 * PrefixSync's namespace) is the template of the same target key.
 */
export interface TargetTemplate {
  inline?: Record<string, string>;
  configMapRef?: { name: string };
}

/** The ConfigMap a PrefixSync writes, in its own namespace. */
export interface PrefixSyncTarget {
  /** Default `ConfigMap`; `Secret` needs the operator's `--secret-targets`, and no versioned or Rollback. */
  kind?: TargetKind;
  /** Put on the target (and its versions); the operator's own labels and annotations win. */
  metadata?: TargetMetadata;
  /** Write the target immutable; a content change then deletes and re-creates it. Default false. */
  immutable?: boolean;
  /** Take over an existing unowned target the operator did not create (Event Adopted). Default false. */
  adopt?: boolean;
  /** ConfigMap name (DNS-1123 subdomain). */
  name: string;
  /** Default `files`. */
  format?: TargetFormat;
  /** ConfigMap key of the rendered document: required unless `format` is `files` or `template`, forbidden with them. */
  key?: string;
  /** With `format: template` (and only then): the templates. */
  template?: TargetTemplate;
  /**
   * Write each content once, as an immutable ConfigMap `<name>-<first 10 hex of its hash>`, and point
   * the workloads' references at it (the rollout); needs a rollout mode. Default false.
   */
  versioned?: boolean;
  /** With `versioned`: how many versions are kept besides those a workload still uses. Default 3. */
  keepVersions?: number;
  /**
   * (`yaml`, `json` only) String (default): every value a string. Auto: canonical integers (within
   * ±(2^53 − 1)), decimal fractions and `true`/`false` typed. JSON: each value a JSON document, embedded.
   */
  values?: TargetValues;
}

/** What a sync does with an etcd key that cannot become a ConfigMap key. */
export type InvalidKeyPolicy = 'Fail' | 'Skip';

/** Every {@link InvalidKeyPolicy}, in the CRD's enum order. */
export const INVALID_KEY_POLICIES = ['Fail', 'Skip'] as const satisfies readonly InvalidKeyPolicy[];

/** How the path below the prefix becomes a ConfigMap key. */
export interface PrefixSyncKeys {
  /** Default `.`, and `_` for format `env`. */
  separator?: KeySeparator;
  /** (`env`, `properties` only) Preserve (default) or Upper: ASCII letters upper-cased. */
  case?: KeyCase;
  /**
   * Fail (default): one invalid key holds the whole revision (`InvalidKey`). Skip: publish the valid
   * keys, list the skipped ones in `status.skippedKeys`.
   */
  onInvalid?: InvalidKeyPolicy;
}

/** A CEL rule over the rendered content: `data` is the ConfigMap's data as a map of strings. */
export interface ValidationRule {
  /** A CEL expression that must evaluate to true, e.g. `'region' in data`. */
  rule: string;
  /** Said in the condition and Event when the rule fails. */
  message: string;
}

/** A JSON Schema that the values of the matching ConfigMap keys (JSON or YAML documents) must satisfy. */
export interface KeySchema {
  /** A glob over ConfigMap keys (`*` any run of characters, `?` one), e.g. `*.json`. */
  keys: string;
  /** JSON Schema (draft 2020-12 subset that ajv supports). */
  schema: Record<string, unknown>;
}

/** `maxRemoved` resolved: a count of keys, or a percentage (0–100) of the published keys. */
export type MaxRemoved = { kind: 'count'; count: number } | { kind: 'percent'; percent: number };

/** Guards a revision must pass before it is published; a revision that fails is held. */
export interface PrefixSyncValidation {
  /** Fewest keys the content may have; default 1 (an empty prefix never replaces content). */
  minKeys?: number;
  /**
   * Most keys one revision may remove from the published content: a count (`10`) or a percentage of
   * the published keys (`"25%"`). Default: no limit.
   */
  maxRemoved?: number | string;
  /** CEL rules over the rendered content. */
  rules?: ValidationRule[];
  /** JSON Schemas for JSON/YAML values, by key glob. */
  schemas?: KeySchema[];
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
  /**
   * How long a rollout may take until every workload runs the new content (Go duration, default
   * `10m`); past it the rollout has failed.
   */
  progressDeadline?: string;
  /** What a failed rollout leads to. Default `Halt`. */
  onFailure?: RolloutFailurePolicy;
  /**
   * Least time between two rollouts of the workloads (Go duration, default `0s`): changes arriving
   * meanwhile are written to the ConfigMap and coalesce into one next rollout.
   */
  minInterval?: string;
  /**
   * `Parallel` (default): every target at once. `Ordered` (mode targets): in the listed order, each once
   * the one before runs the content; a failure stops the line.
   */
  strategy?: RolloutStrategy;
}

/** See {@link PrefixSyncRollout.strategy}. */
export type RolloutStrategy = 'Parallel' | 'Ordered';

/** Every {@link RolloutStrategy}, in the CRD's enum order. */
export const ROLLOUT_STRATEGIES = ['Parallel', 'Ordered'] as const satisfies readonly RolloutStrategy[];

/**
 * `Halt`: a failed rollout stays as it is (RolledOut False) until new content arrives. `Rollback`: the
 * ConfigMap and the workloads go back to the last content whose rollout succeeded, which is held until
 * etcd holds different content (or the force-sync annotation changes).
 */
export type RolloutFailurePolicy = 'Halt' | 'Rollback';

/** Every {@link RolloutFailurePolicy}, in the CRD's enum order. */
export const ROLLOUT_FAILURE_POLICIES = [
  'Halt',
  'Rollback',
] as const satisfies readonly RolloutFailurePolicy[];

/** PrefixSync `spec` as a user writes it: defaulted fields are optional. */
export interface PrefixSyncSpec {
  sourceRef: SourceReference;
  /**
   * Starts and ends with `/`, e.g. `/config/payments/`: shorthand for `sources: [{prefix}]`. Exactly one
   * of `prefix` and `sources` is set.
   */
  prefix?: string;
  /** The prefixes merged into the target, in order: a later one wins on the same key. */
  sources?: PrefixSyncSource[];
  target: PrefixSyncTarget;
  keys?: PrefixSyncKeys;
  rollout?: PrefixSyncRollout;
  /** Go-style duration (`500ms`, `1s`, `1m30s`, `0s`); default `1s`, at most `10m`. */
  debounce?: string;
  /** Default false. */
  suspend?: boolean;
  /** Default `Retain`. */
  deletionPolicy?: DeletionPolicy;
  /** Guards before publishing. Default: only `minKeys: 1`. */
  validation?: PrefixSyncValidation;
  /**
   * Serve the prefix as it was at this etcd revision (a Range at that revision) instead of following
   * it: freezes config at a known good revision during an incident. Unset: follow etcd.
   */
  pinRevision?: number;
}

/** A workload restarted for a content hash. */
export interface RolledOutWorkload {
  kind: WorkloadKind;
  name: string;
  /** The content hash written to its pod template annotation. */
  hash: string;
}

/** Most keys listed in `status.skippedKeys` (the CRD's maxItems); `skippedKeyCount` counts them all. */
export const MAX_SKIPPED_KEYS_LISTED = 20;

/**
 * Longest entry of `status.skippedKeys`, in characters (the CRD's maxLength): the operator shortens a
 * longer key to this length, ending it with `…`.
 */
export const SKIPPED_KEY_MAX_LENGTH = 1024;

/** PrefixSync `status`, written only by the operator through the status subresource. */
export interface PrefixSyncStatus {
  observedGeneration?: number;
  /** Keyed by `type`: see `PrefixSyncConditionType`. */
  conditions?: Condition[];
  /**
   * etcd revision of the snapshot last applied, as a decimal string (a bigint in memory). With sources
   * on several ClusterEtcdSources, that of the first source's cluster (each one's is in `sources`).
   */
  syncedRevision?: string;
  /** Only with sources on more than one ClusterEtcdSource: the revision each source was read at. */
  sources?: SourceRevision[];
  contentHash?: string;
  keyCount?: number;
  byteCount?: number;
  /** RFC 3339. */
  lastSyncTime?: string;
  /** RFC 3339. */
  lastRolloutTime?: string;
  rolledOut?: RolledOutWorkload[];
  /** The revision a guard holds back (ChangeHeld or ValidationFailed); absent when nothing is held. */
  held?: HeldChange;
  /** With `keys.onInvalid: Skip`: the etcd keys left out of the ConfigMap (at most 20 listed). */
  skippedKeys?: string[];
  /** How many keys were skipped in all (may exceed the list). */
  skippedKeyCount?: number;
  /** The revision served while `spec.pinRevision` is set, as a decimal string. */
  pinnedRevision?: string;
  /** The last rollout the operator started, and how it goes. */
  rollout?: RolloutProgress;
  /** The last content whose rollout succeeded (or the first sync's): what a rollback restores. */
  lastGood?: ContentVersion;
  /** Present while a rolled-back revision is held back: it is not published again until superseded. */
  rolledBack?: RolledBackChange;
  /**
   * `Delete` when the access rule that last allowed this PrefixSync says `onRevoke: Delete`: losing
   * access then deletes the ConfigMap. Absent for `Keep`.
   */
  onRevoke?: 'Delete';
}

/** Where one source of a PrefixSync was read: its cluster, prefix and that cluster's etcd revision. */
export interface SourceRevision {
  sourceRef: SourceReference;
  prefix: string;
  /** Decimal string. */
  revision: string;
}

/** A published content: its etcd revision and content hash. */
export interface ContentVersion {
  /** etcd revision, as a decimal string. */
  revision: string;
  contentHash: string;
}

/** Where a rollout is: `Progressing` until every workload runs the content, then `Complete` or `Failed`. */
export type RolloutPhase = 'Waiting' | 'Progressing' | 'Complete' | 'Failed';

/** The last rollout started for a content. */
export interface RolloutProgress extends ContentVersion {
  phase: RolloutPhase;
  /** RFC 3339: when the workloads were patched (the progress deadline counts from here). */
  startTime?: string;
  /** RFC 3339: when it completed or failed. */
  completionTime?: string;
  /** Which workloads are still rolling, or which failed and why. */
  message?: string;
  /** True when this rollout put back the last good content after a failed one. */
  rollback?: boolean;
}

/** A revision whose rollout failed and was rolled back (`rollout.onFailure: Rollback`). */
export interface RolledBackChange extends ContentVersion {
  /** The content restored instead. */
  restored: ContentVersion;
  /** Why the rollout failed (the workload and its state). */
  message: string;
  /** The keys that changed from the restored content to the rolled-back one (names only, capped). */
  changedKeys?: string[];
  /** The force-sync annotation's value at the rollback: a new value tries the same content again. */
  forceSync?: string;
}

/** A revision a guard holds back from the ConfigMap, until approved or superseded. */
export interface HeldChange {
  /** etcd revision of the held content, as a decimal string: approve it with the approve annotation. */
  revision: string;
  /** Content hash of the held content: an approval publishes exactly this content. */
  contentHash: string;
  /** `ChangeHeld` (minKeys, maxRemoved) or `ValidationFailed` (rules, schemas). */
  reason: string;
  message: string;
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
