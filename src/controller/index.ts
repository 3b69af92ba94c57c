// Our reconcilers (DESIGN.md §2): PrefixSync and ClusterEtcdSource, each split by concern — reconciler,
// desired object, target ConfigMaps, rollout, status, triggers — and the live etcd connections they share.
export { PrefixSyncReconciler, DEFAULT_RESYNC_PERIOD_MS } from './prefixsync/reconciler.js';
export { reasonOf, renderContent } from './prefixsync/content.js';
export type { SourcesSnapshot } from './prefixsync/content.js';
export { tooLarge } from './prefixsync/snapshots.js';
export { versionName } from './prefixsync/versions.js';
export { fromSecret, toSecret } from './prefixsync/secret-view.js';
export { TemplatePool } from './prefixsync/template-pool.js';
export type { TemplateRendering } from './prefixsync/template-content.js';
export { PendingChanges } from './prefixsync/pending-changes.js';
export type { PendingChangesOptions } from './prefixsync/pending-changes.js';
export type { PrefixSyncReconcilerOptions } from './prefixsync/reconciler.js';
export type { PrefixSyncMetrics } from './prefixsync/report.js';
export type { ConfigMapApi } from './prefixsync/target-configmaps.js';
export {
  CONTENT_HASH_ANNOTATION,
  REVISION_ANNOTATION,
  desiredConfigMap,
  ownerReferenceTo,
  ownershipOf,
  planConfigMapWrite,
  targetKindOf,
  withoutOwner,
} from './prefixsync/desired-configmap.js';
export type { ConfigMapPlan, Ownership } from './prefixsync/desired-configmap.js';
export {
  autoTargets,
  isRolloutDue,
  podSpecUsesConfigMap,
  rollOut,
  templateHash,
} from './prefixsync/rollout.js';
export type { KindedWorkload, RolloutRequest, RolloutResult, WorkloadApi } from './prefixsync/rollout.js';
export { consumedKeys, keysHash, workloadHash } from './prefixsync/consumed-keys.js';
export type { ConsumedKeys, RolloutContent } from './prefixsync/consumed-keys.js';
export { nextStatus } from './prefixsync/status.js';
export type { RolloutOutcome, SyncOutcome } from './prefixsync/status.js';
export {
  MAX_DEBOUNCE_FACTOR,
  debounceRemaining,
  prefixSyncChanged,
  requestForConfigMap,
  requestOf,
  requestsForNamespace,
  requestsForSource,
  routeMirrorChange,
} from './prefixsync/triggers.js';
export type { MirrorTriggerTarget } from './prefixsync/triggers.js';
export { operatorControllers } from './setup.js';
export type { ControllerEnv } from './shared/controller-env.js';
export { PREFIX_SYNC_CONTROLLER, PrefixSyncSetup } from './prefixsync/setup.js';
export { SOURCE_CONTROLLER, EtcdSourceSetup } from './etcdsource/setup.js';
export { INFORMER_KEYS } from './shared/informers.js';
export { sessionConnections } from './connections/session-connections.js';
export { EtcdSourceReconciler, DEFAULT_PROBE_INTERVAL_MS } from './etcdsource/reconciler.js';
export type { EtcdSourceReconcilerOptions, SourceMetrics } from './etcdsource/reconciler.js';
export { connectionSettings, referencedSecrets } from './etcdsource/connection-settings.js';
export type { ConnectionSettings, SecretLookup, SettingsResult } from './etcdsource/connection-settings.js';
export { SourceConnections } from './connections/source-connections.js';
export type {
  SourceConnection,
  SourceConnectionEvents,
  SourceConnectionsOptions,
  SourceHealth,
} from './connections/source-connections.js';
export { MirrorPool } from './connections/mirror-pool.js';
export type { MirrorListener } from './connections/mirror-pool.js';
export { clusterIdHex } from './connections/cluster-id.js';
export { failedHealth, healthChangeLogLevel, readyHealth, sourceStatus } from './etcdsource/source-status.js';
export { requestsForSecret, sourceChanged } from './etcdsource/triggers.js';
export { findCondition, rfc3339, setCondition } from './shared/conditions.js';
export type { ConditionUpdate } from './shared/conditions.js';
export { subjectOf } from './shared/events.js';
export type { EventSink } from './shared/events.js';
export {
  asClusterEtcdSource,
  asPrefixSync,
  clusterEtcdSourceResource,
  prefixSyncResource,
} from './shared/resources.js';
export type { ResourceApi, TypedResource } from './shared/resources.js';
export { ReadThroughCache, readThroughConfigMaps, readThroughResourceApi } from './shared/read-through.js';
