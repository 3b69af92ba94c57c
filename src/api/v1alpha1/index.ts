// Public surface of etcdconfig.dev/v1alpha1: the custom resources' types, their condition types and
// reasons, defaults and validation. Pure; imports nothing outside this folder.
export { API_VERSION, CATEGORY, CLUSTER_ETCD_SOURCE, GROUP, PREFIX_SYNC, VERSION } from './group-version.js';
export { ConditionStatus, LABEL_SELECTOR_OPERATORS } from './meta.js';
export type {
  Condition,
  LabelSelector,
  LabelSelectorOperator,
  LabelSelectorRequirement,
  ListMeta,
  ObjectMeta,
  OwnerReference,
} from './meta.js';
export {
  DELETION_POLICIES,
  KEY_CASES,
  KEY_SEPARATORS,
  ROLLOUT_FAILURE_POLICIES,
  ROLLOUT_MODES,
  ROLLOUT_STRATEGIES,
  INVALID_KEY_POLICIES,
  MAX_PREFIX_SYNC_SOURCES,
  MAX_INLINE_TEMPLATES,
  MAX_SKIPPED_KEYS_LISTED,
  MAX_SOURCE_PATTERNS,
  SKIPPED_KEY_MAX_LENGTH,
  TARGET_FORMATS,
  TARGET_KINDS,
  TARGET_VALUES,
  WORKLOAD_KINDS,
} from './prefix-sync-types.js';
export type {
  ContentVersion,
  DeletionPolicy,
  HeldChange,
  InvalidKeyPolicy,
  KeyCase,
  KeyRewrite,
  KeySchema,
  KeySeparator,
  MaxRemoved,
  PrefixSync,
  PrefixSyncKeys,
  PrefixSyncList,
  PrefixSyncRollout,
  PrefixSyncSource,
  PrefixSyncSpec,
  PrefixSyncStatus,
  PrefixSyncTarget,
  PrefixSyncValidation,
  RolledBackChange,
  RolledOutWorkload,
  RolloutFailurePolicy,
  RolloutMode,
  RolloutPhase,
  RolloutProgress,
  RolloutStrategy,
  SourceReference,
  SourceRevision,
  TargetFormat,
  TargetKind,
  TargetMetadata,
  TargetTemplate,
  TargetValues,
  ValidationRule,
  WorkloadKind,
  WorkloadReference,
} from './prefix-sync-types.js';
export type {
  AccessRule,
  ClusterEtcdSource,
  ClusterEtcdSourceList,
  ClusterEtcdSourceSpec,
  ClusterEtcdSourceStatus,
  EtcdAuth,
  EtcdTls,
  SecretKeyReference,
  RevocationPolicy,
  SecretReference,
  SourceLimits,
} from './cluster-etcd-source-types.js';
export { REVOCATION_POLICIES } from './cluster-etcd-source-types.js';
export {
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  HELD_REASONS,
  PrefixSyncConditionType,
  PrefixSyncReason,
} from './conditions.js';
export {
  APPROVE_REVISION_ANNOTATION,
  CONFIG_HASH_ANNOTATION,
  CONFIG_HASH_ANNOTATION_PREFIX,
  configHashAnnotation,
  CONFIGMAP_MAX_BYTES,
  FORCE_SYNC_ANNOTATION,
  MANAGED_BY_LABEL,
  MANAGED_BY_VALUE,
  PREFIX_SYNC_FINALIZER,
  PREFIX_SYNC_LABEL,
  PREFIX_SYNC_UID_ANNOTATION,
} from './well-known.js';
export {
  DEFAULT_CA_SECRET_KEY,
  DEFAULT_DEBOUNCE,
  DEFAULT_DELETION_POLICY,
  DEFAULT_INVALID_KEY_POLICY,
  DEFAULT_KEY_SEPARATOR,
  DEFAULT_ENV_KEY_SEPARATOR,
  DEFAULT_KEY_CASE,
  DEFAULT_TARGET_VALUES,
  defaultKeySeparator,
  DEFAULT_MIN_INTERVAL,
  DEFAULT_MAX_MIRROR_BYTES,
  DEFAULT_MIN_KEYS,
  DEFAULT_PROGRESS_DEADLINE,
  DEFAULT_ROLLOUT_MODE,
  DEFAULT_ROLLOUT_ON_FAILURE,
  DEFAULT_ROLLOUT_STRATEGY,
  DEFAULT_KEEP_VERSIONS,
  MAX_KEEP_VERSIONS,
  DEFAULT_SUSPEND,
  DEFAULT_TARGET_FORMAT,
  DEFAULT_TARGET_KIND,
  MAX_DEBOUNCE_MS,
  MAX_MIN_INTERVAL_MS,
  MAX_PROGRESS_DEADLINE_MS,
  withClusterEtcdSourceDefaults,
  withPrefixSyncDefaults,
} from './defaults.js';
export type {
  DefaultedClusterEtcdSourceSpec,
  DefaultedPrefixSyncSource,
  DefaultedPrefixSyncSpec,
} from './defaults.js';
export { formatFieldErrors } from './field-error.js';
export type { FieldError } from './field-error.js';
export { formatDuration, parseDuration } from './duration.js';
export type { DurationResult } from './duration.js';
export {
  configMapKeyProblem,
  dns1123LabelProblem,
  dns1123SubdomainProblem,
  DNS1123_LABEL_MAX_LENGTH,
  DNS1123_SUBDOMAIN_MAX_LENGTH,
  labelKeyProblem,
  labelValueProblem,
} from './names.js';
export { isPrefixWithin, normalizePrefix, PREFIX_MAX_LENGTH, prefixProblem } from './prefix.js';
export { endpointUsesTls, parseEndpoint } from './endpoint.js';
export type { EndpointResult, ParsedEndpoint } from './endpoint.js';
export { labelSelectorMatches, validateLabelSelector } from './label-selector.js';
export { checkAccess } from './access.js';
export type { AccessDecision, NamespaceIdentity } from './access.js';
export {
  KEY_GLOB_MAX_LENGTH,
  MAX_GUARD_KEY_COUNT,
  MAX_PIN_REVISION,
  MAX_ROLLOUT_TARGETS,
  MAX_VERSIONED_TARGET_NAME_LENGTH,
  MAX_VALIDATION_RULES,
  MAX_VALIDATION_SCHEMAS,
  parseMaxRemoved,
  PREFIX_SYNC_NAME_MAX_LENGTH,
  resolvePrefixSyncSpec,
  validatePrefixSync,
  validatePrefixSyncSpec,
  VALIDATION_MESSAGE_MAX_LENGTH,
  VALIDATION_RULE_MAX_LENGTH,
} from './validate-prefix-sync.js';
export type { ResolvedPrefixSyncSpec, ResolveResult } from './validate-prefix-sync.js';
export {
  MAX_ACCESS_RULES,
  MAX_ENDPOINTS,
  MAX_MIRROR_BYTES_LIMIT,
  resolveClusterEtcdSourceSpec,
  validateClusterEtcdSource,
  validateClusterEtcdSourceSpec,
} from './validate-cluster-etcd-source.js';
export type { ResolvedClusterEtcdSourceSpec } from './validate-cluster-etcd-source.js';
export {
  BYTE_QUANTITY_MAX_LENGTH,
  BYTE_QUANTITY_PATTERN,
  formatBytes,
  parseByteQuantity,
} from './quantity.js';
export type { ByteQuantityResult } from './quantity.js';
