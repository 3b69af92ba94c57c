import type {
  ClusterEtcdSourceSpec,
  AccessRule,
  EtcdAuth,
  EtcdTls,
  RevocationPolicy,
} from './cluster-etcd-source-types.js';
import type {
  DeletionPolicy,
  InvalidKeyPolicy,
  KeyRewrite,
  KeySchema,
  KeyCase,
  KeySeparator,
  PrefixSyncSpec,
  RolloutFailurePolicy,
  RolloutMode,
  RolloutStrategy,
  SourceReference,
  TargetFormat,
  TargetValues,
  TargetTemplate,
  TargetKind,
  ValidationRule,
  WorkloadReference,
} from './prefix-sync-types.js';
import type { LabelSelector } from './meta.js';

/** Default of `spec.target.kind`. */
export const DEFAULT_TARGET_KIND: TargetKind = 'ConfigMap';
/** Default of `spec.target.format`. */
export const DEFAULT_TARGET_FORMAT: TargetFormat = 'files';
/** Default of `spec.keys.separator` (for every format but env, see {@link defaultKeySeparator}). */
export const DEFAULT_KEY_SEPARATOR: KeySeparator = '.';
/** Default of `spec.keys.separator` for format env: `.` never makes a valid variable name. */
export const DEFAULT_ENV_KEY_SEPARATOR: KeySeparator = '_';
/** Default of `spec.keys.case`. */
export const DEFAULT_KEY_CASE: KeyCase = 'Preserve';
/** Default of `spec.target.values`: every value a string, as before typed values existed. */
export const DEFAULT_TARGET_VALUES: TargetValues = 'String';

/**
 * The separator a PrefixSync of `format` uses when `spec.keys.separator` is not set. The CRD declares
 * no default for it (a schema default cannot depend on another field), so this is the only place.
 */
export function defaultKeySeparator(format: TargetFormat): KeySeparator {
  return format === 'env' ? DEFAULT_ENV_KEY_SEPARATOR : DEFAULT_KEY_SEPARATOR;
}
/** Default of `spec.keys.onInvalid`: one invalid key holds the whole revision. */
export const DEFAULT_INVALID_KEY_POLICY: InvalidKeyPolicy = 'Fail';
/** Default of `spec.validation.minKeys`: an empty prefix never replaces published content. */
export const DEFAULT_MIN_KEYS = 1;
/** Default of `spec.rollout.mode`: never restart anything unless asked. */
export const DEFAULT_ROLLOUT_MODE: RolloutMode = 'none';
/** Default of `spec.rollout.progressDeadline`, as kube-controller-manager's for Deployments. */
export const DEFAULT_PROGRESS_DEADLINE = '10m';
/** Largest `spec.rollout.progressDeadline`, in milliseconds (24h). */
export const MAX_PROGRESS_DEADLINE_MS = 24 * 60 * 60 * 1000;
/** Default of `spec.rollout.onFailure`: a failed rollout stays for a person to look at. */
export const DEFAULT_ROLLOUT_ON_FAILURE: RolloutFailurePolicy = 'Halt';
/** Default of `spec.rollout.minInterval`: no rate limit. */
export const DEFAULT_MIN_INTERVAL = '0s';
/** Largest `spec.rollout.minInterval`, in milliseconds (1h). */
export const MAX_MIN_INTERVAL_MS = 60 * 60 * 1000;
/** Default of `spec.rollout.strategy`. */
export const DEFAULT_ROLLOUT_STRATEGY: RolloutStrategy = 'Parallel';
/** Default of `spec.target.keepVersions`. */
export const DEFAULT_KEEP_VERSIONS = 3;
/** Largest `spec.target.keepVersions`. */
export const MAX_KEEP_VERSIONS = 20;
/** Default of `spec.debounce`. */
export const DEFAULT_DEBOUNCE = '1s';
/** Largest `spec.debounce`, in milliseconds (10m). */
export const MAX_DEBOUNCE_MS = 10 * 60 * 1000;
/** Default of `spec.suspend`. */
export const DEFAULT_SUSPEND = false;
/** Default of `spec.deletionPolicy`: a deleted PrefixSync never yanks config from running apps. */
export const DEFAULT_DELETION_POLICY: DeletionPolicy = 'Retain';
/** Default of `spec.access[].onRevoke`: losing access never deletes what a team already has. */
export const DEFAULT_ON_REVOKE: RevocationPolicy = 'Keep';
/** Default of `spec.tls.caSecretRef.key`. */
export const DEFAULT_CA_SECRET_KEY = 'ca.crt';
/** Default of ClusterEtcdSource `spec.limits.maxMirrorBytes`: half the chart's default memory limit. */
export const DEFAULT_MAX_MIRROR_BYTES = '256Mi';

/** A PrefixSync spec with every default filled in. */
export interface DefaultedPrefixSyncSpec {
  sourceRef: SourceReference;
  /** The first source's prefix (`spec.prefix` itself when that shorthand is used): for messages. */
  prefix: string;
  /** Never empty: `spec.sources`, or the one source `spec.prefix` stands for; each with its sourceRef. */
  sources: DefaultedPrefixSyncSource[];
  target: {
    name: string;
    format: TargetFormat;
    key?: string;
    versioned: boolean;
    keepVersions: number;
    values: TargetValues;
    kind: TargetKind;
    /** Empty records when absent. */
    metadata: { labels: Record<string, string>; annotations: Record<string, string> };
    immutable: boolean;
    adopt: boolean;
    /** With format template: the templates, as written. */
    template?: TargetTemplate;
  };
  keys: { separator: KeySeparator; onInvalid: InvalidKeyPolicy; case: KeyCase };
  rollout: {
    mode: RolloutMode;
    targets: WorkloadReference[];
    selector?: LabelSelector;
    progressDeadline: string;
    onFailure: RolloutFailurePolicy;
    minInterval: string;
    strategy: RolloutStrategy;
  };
  debounce: string;
  suspend: boolean;
  deletionPolicy: DeletionPolicy;
  /**
   * The guards, present even when `spec.validation` is absent (then only `minKeys: 1`). `maxRemoved`
   * as written (`10` or `"25%"`), absent for no limit; `ResolvedPrefixSyncSpec.maxRemoved` is parsed.
   */
  validation: {
    minKeys: number;
    maxRemoved?: number | string;
    rules: ValidationRule[];
    schemas: KeySchema[];
  };
  /** As written; absent: follow etcd. */
  pinRevision?: number;
}

/** A `spec.sources` entry with its defaults: the sourceRef of the spec, no filter, no rewrite. */
export interface DefaultedPrefixSyncSource {
  prefix: string;
  sourceRef: SourceReference;
  include: string[];
  exclude: string[];
  rewrite: KeyRewrite[];
}

/** `spec.sources` with defaults, or the one source the `spec.prefix` shorthand stands for. */
function sourcesOf(spec: PrefixSyncSpec): DefaultedPrefixSyncSource[] {
  const listed = spec.sources ?? [{ prefix: spec.prefix ?? '' }];
  return listed.map((s) => ({
    prefix: s.prefix,
    sourceRef: { name: s.sourceRef?.name ?? spec.sourceRef.name },
    include: [...(s.include ?? [])],
    exclude: [...(s.exclude ?? [])],
    rewrite: (s.rewrite ?? []).map((r) =>
      r.replace !== undefined
        ? { replace: { regex: r.replace.regex, with: r.replace.with } }
        : { trimPrefix: r.trimPrefix ?? '' },
    ),
  }));
}

/**
 * Fills in the defaults the CRD declares (and `rollout.targets: []`, `validation.rules: []`,
 * `validation.schemas: []`), as the API server would, and the defaults of an absent `keys` or
 * `validation` the API server cannot fill, so code reading a spec never has to know them. Pure: the
 * input is not modified (the result shares nothing with it); never throws.
 */
export function withPrefixSyncDefaults(spec: PrefixSyncSpec): DefaultedPrefixSyncSpec {
  const target: DefaultedPrefixSyncSpec['target'] = {
    name: spec.target.name,
    format: spec.target.format ?? DEFAULT_TARGET_FORMAT,
    versioned: spec.target.versioned ?? false,
    keepVersions: spec.target.keepVersions ?? DEFAULT_KEEP_VERSIONS,
    values: spec.target.values ?? DEFAULT_TARGET_VALUES,
    kind: spec.target.kind ?? DEFAULT_TARGET_KIND,
    metadata: {
      labels: { ...spec.target.metadata?.labels },
      annotations: { ...spec.target.metadata?.annotations },
    },
    immutable: spec.target.immutable ?? false,
    adopt: spec.target.adopt ?? false,
  };
  if (spec.target.key !== undefined) target.key = spec.target.key;
  if (spec.target.template !== undefined) target.template = structuredClone(spec.target.template);
  const rollout: DefaultedPrefixSyncSpec['rollout'] = {
    mode: spec.rollout?.mode ?? DEFAULT_ROLLOUT_MODE,
    targets: (spec.rollout?.targets ?? []).map((t) => ({ kind: t.kind, name: t.name })),
    progressDeadline: spec.rollout?.progressDeadline ?? DEFAULT_PROGRESS_DEADLINE,
    onFailure: spec.rollout?.onFailure ?? DEFAULT_ROLLOUT_ON_FAILURE,
    minInterval: spec.rollout?.minInterval ?? DEFAULT_MIN_INTERVAL,
    strategy: spec.rollout?.strategy ?? DEFAULT_ROLLOUT_STRATEGY,
  };
  if (spec.rollout?.selector !== undefined) rollout.selector = structuredClone(spec.rollout.selector);
  const validation: DefaultedPrefixSyncSpec['validation'] = {
    minKeys: spec.validation?.minKeys ?? DEFAULT_MIN_KEYS,
    rules: (spec.validation?.rules ?? []).map((r) => ({ rule: r.rule, message: r.message })),
    schemas: (spec.validation?.schemas ?? []).map((s) => ({
      keys: s.keys,
      schema: structuredClone(s.schema),
    })),
  };
  if (spec.validation?.maxRemoved !== undefined) validation.maxRemoved = spec.validation.maxRemoved;
  const sources = sourcesOf(spec);
  const out: DefaultedPrefixSyncSpec = {
    sourceRef: { name: spec.sourceRef.name },
    prefix: sources[0]?.prefix ?? '',
    sources,
    target,
    keys: {
      separator: spec.keys?.separator ?? defaultKeySeparator(target.format),
      onInvalid: spec.keys?.onInvalid ?? DEFAULT_INVALID_KEY_POLICY,
      case: spec.keys?.case ?? DEFAULT_KEY_CASE,
    },
    rollout,
    debounce: spec.debounce ?? DEFAULT_DEBOUNCE,
    suspend: spec.suspend ?? DEFAULT_SUSPEND,
    deletionPolicy: spec.deletionPolicy ?? DEFAULT_DELETION_POLICY,
    validation,
  };
  if (spec.pinRevision !== undefined) out.pinRevision = spec.pinRevision;
  return out;
}

/** A ClusterEtcdSource spec with every default filled in. */
export interface DefaultedClusterEtcdSourceSpec {
  endpoints: string[];
  tls?: EtcdTls & { caSecretRef?: { name: string; key: string } };
  auth?: EtcdAuth;
  access: AccessRule[];
  /** `maxMirrorBytes` as written (`256Mi` or a number); ResolvedClusterEtcdSourceSpec has the bytes. */
  limits: { maxMirrorBytes: number | string };
}

/**
 * Fills in the defaults the CRD declares (`tls.caSecretRef.key: ca.crt`, `limits.maxMirrorBytes:
 * 256Mi`) and `access: []`. Pure; never throws.
 */
export function withClusterEtcdSourceDefaults(spec: ClusterEtcdSourceSpec): DefaultedClusterEtcdSourceSpec {
  const out: DefaultedClusterEtcdSourceSpec = {
    endpoints: [...spec.endpoints],
    access: (spec.access ?? []).map((rule) => ({
      ...structuredClone(rule),
      onRevoke: rule.onRevoke ?? DEFAULT_ON_REVOKE,
    })),
    limits: { maxMirrorBytes: spec.limits?.maxMirrorBytes ?? DEFAULT_MAX_MIRROR_BYTES },
  };
  if (spec.tls !== undefined) {
    const tls: NonNullable<DefaultedClusterEtcdSourceSpec['tls']> = {};
    if (spec.tls.caSecretRef !== undefined) {
      tls.caSecretRef = {
        name: spec.tls.caSecretRef.name,
        key: spec.tls.caSecretRef.key ?? DEFAULT_CA_SECRET_KEY,
      };
    }
    if (spec.tls.certSecretRef !== undefined) tls.certSecretRef = { name: spec.tls.certSecretRef.name };
    if (spec.tls.serverName !== undefined) tls.serverName = spec.tls.serverName;
    out.tls = tls;
  }
  if (spec.auth !== undefined) out.auth = { secretRef: { name: spec.auth.secretRef.name } };
  return out;
}
