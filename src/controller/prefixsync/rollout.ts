// Rollout: which workloads a content change restarts (targets that use the ConfigMap, or every
// workload that does), and the idempotent pod-template patch that restarts them.
import { createHash } from 'node:crypto';
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import {
  CONFIG_HASH_ANNOTATION,
  CONFIG_HASH_ANNOTATION_PREFIX,
  WORKLOAD_KINDS,
  configHashAnnotation,
  labelSelectorMatches,
  type DefaultedPrefixSyncSpec,
  type RolledOutWorkload,
  type TargetKind,
  type WorkloadKind,
} from '../../api/index.js';
import {
  ConflictError,
  NotFoundError,
  podTemplateOf,
  type CallOptions,
  type ListOptions,
  type ListResult,
  type Workload,
  type WorkloadRef,
} from '../../kube/index.js';
import { isUnaffected, workloadHash, type RolloutContent } from './consumed-keys.js';
import { errorText } from './outcome.js';
import { isBaseOrVersion, referencedConfigMaps, referencedSecrets, retargetReferences } from './versions.js';

/** The workload operations a rollout needs (the kube layer's WorkloadClient). */
export interface WorkloadApi {
  /** The kinds it handles (the operator's rollout kinds); mode `auto` lists only these. Default all. */
  readonly kinds?: readonly WorkloadKind[];
  get(ref: WorkloadRef, options?: CallOptions): Promise<Workload>;
  list(kind: WorkloadKind, options: ListOptions & { namespace: string }): Promise<ListResult<Workload>>;
  /** With `options.resourceVersion`, only if the workload is still at that version (else 409). */
  patchPodTemplateAnnotations(
    ref: WorkloadRef,
    annotations: Readonly<Record<string, string | null>>,
    options?: CallOptions & { resourceVersion?: string },
  ): Promise<Workload>;
}

/**
 * Whether a rollout is due: only when the content hash changed against the one recorded in status.
 * An empty status hash is the first sync (nothing rolled); an equal one is a restart of the operator.
 */
export function isRolloutDue(statusHash: string | undefined, contentHash: string): boolean {
  return statusHash !== undefined && statusHash !== '' && statusHash !== contentHash;
}

function containerUses(container: V1Container, name: string): boolean {
  return (
    (container.envFrom ?? []).some((source) => source.configMapRef?.name === name) ||
    (container.env ?? []).some((env) => env.valueFrom?.configMapKeyRef?.name === name)
  );
}

/**
 * Whether a pod spec mounts or references ConfigMap `name` (with `versioned`, also any of its versions
 * `<name>-<10 hex>`): a volume (plain or projected), `envFrom`, or an `env` `configMapKeyRef`, in
 * containers or init containers. Pure.
 */
export function podSpecUsesConfigMap(
  spec: V1PodSpec | undefined,
  name: string,
  versioned = false,
  targetKind: TargetKind = 'ConfigMap',
): boolean {
  if (!spec) return false;
  // A Secret target (never versioned): its secret volumes, projected secrets, secretRef, secretKeyRef.
  if (targetKind === 'Secret') return referencedSecrets(spec).has(name);
  if (versioned) return [...referencedConfigMaps(spec)].some((n) => isBaseOrVersion(n, name));
  const inVolumes = (spec.volumes ?? []).some(
    (v) =>
      v.configMap?.name === name ||
      (v.projected?.sources ?? []).some((source) => source.configMap?.name === name),
  );
  return (
    inVolumes || [...spec.containers, ...(spec.initContainers ?? [])].some((c) => containerUses(c, name))
  );
}

/** A workload with its kind (list items carry none). */
export interface KindedWorkload {
  kind: WorkloadKind;
  workload: Workload;
}

/** Mode `auto`: the workloads whose pod template uses ConfigMap `name` and whose labels match `selector`. Pure. */
export function autoTargets(
  workloads: readonly KindedWorkload[],
  name: string,
  selector: DefaultedPrefixSyncSpec['rollout']['selector'],
  versioned = false,
  targetKind: TargetKind = 'ConfigMap',
): KindedWorkload[] {
  return workloads.filter(
    ({ workload }) =>
      podSpecUsesConfigMap(podTemplateOf(workload)?.spec, name, versioned, targetKind) &&
      (selector === undefined || labelSelectorMatches(selector, workload.metadata?.labels ?? {})),
  );
}

/**
 * The content hash a workload's pod template carries for PrefixSync `prefixSyncName`: under its own
 * annotation, else under the single annotation of earlier releases (so an upgrade restarts nothing).
 */
export function templateHash(workload: Workload, prefixSyncName: string): string | undefined {
  const annotations = podTemplateOf(workload)?.metadata?.annotations;
  return annotations?.[configHashAnnotation(prefixSyncName)] ?? annotations?.[CONFIG_HASH_ANNOTATION];
}

/**
 * The value of the summary annotation `etcdconfig.dev/config-hash` for a pod template's per-PrefixSync
 * annotations: the one hash when one PrefixSync rolls the workload (as in releases before one annotation
 * per PrefixSync), else a digest of them all — so tools that watch the one annotation (dashboards,
 * Argo CD diffs, earlier scripts) see every change, while each PrefixSync reads only its own. Pure.
 */
export function summaryHash(annotations: Readonly<Record<string, string>>): string | undefined {
  const own = Object.entries(annotations)
    .filter(([k]) => k.startsWith(CONFIG_HASH_ANNOTATION_PREFIX))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  if (own.length === 0) return undefined;
  if (own.length === 1) return own[0]?.[1];
  const digest = createHash('sha256');
  for (const [k, v] of own) digest.update(`${k}=${v}\n`);
  return digest.digest('hex').slice(0, 16);
}

/** How many times a pod-template patch is re-read and retried after 409 Conflict. */
const PATCH_ATTEMPTS = 3;

/**
 * Sets PrefixSync `prefixSyncName`'s annotation to `hash` and the summary annotation to match, in one
 * patch conditional on the workload's resourceVersion (a concurrent patch by another PrefixSync makes
 * it re-read, so the summary never misses one). Returns false when the workload already carried it.
 */
async function patchHash(
  api: WorkloadApi,
  ref: WorkloadRef,
  workload: Workload,
  prefixSyncName: string,
  hash: string,
  options: CallOptions,
  version?: { base: string; name: string },
): Promise<boolean> {
  let current = workload;
  for (let attempt = 1; ; attempt++) {
    const podSpec = version
      ? retargetReferences(podTemplateOf(current)?.spec, version.base, version.name)
      : undefined;
    if (templateHash(current, prefixSyncName) === hash && podSpec === undefined) return false;
    const key = configHashAnnotation(prefixSyncName);
    const after = { ...podTemplateOf(current)?.metadata?.annotations, [key]: hash };
    const patch = { [key]: hash, [CONFIG_HASH_ANNOTATION]: summaryHash(after) ?? hash };
    try {
      const resourceVersion = current.metadata?.resourceVersion;
      await api.patchPodTemplateAnnotations(ref, patch, {
        ...options,
        ...(resourceVersion ? { resourceVersion } : {}),
        ...(podSpec ? { podSpec } : {}),
      });
      return true;
    } catch (err) {
      if (!(err instanceof ConflictError) || attempt >= PATCH_ATTEMPTS) throw err;
      current = await api.get(ref, options);
    }
  }
}

/** The reasons a rollout can fail with. */
export type RolloutFailureReason = 'TargetNotFound' | 'TargetNotConsumer' | 'RolloutFailed';

/**
 * How a rollout went. `rolled` lists the workloads that carry the hash now (patched or already equal),
 * but not a key-aware workload whose keys did not change (it was not restarted); `selected` counts every
 * workload chosen, restarted or not.
 */
export type RolloutResult =
  | { ok: true; rolled: RolledOutWorkload[]; patched: RolledOutWorkload[]; selected?: number }
  | {
      ok: false;
      reason: RolloutFailureReason;
      message: string;
      rolled: RolledOutWorkload[];
      patched: RolledOutWorkload[];
    };

/** What reading the targets of mode `targets` found. */
export interface FoundTargets {
  found: KindedWorkload[];
  /** `Kind name` of each target that does not exist. */
  missing: string[];
  /** `Kind name: error` of each target that could not be read. */
  failures: string[];
}

/** Reads each named target (a GET each); never throws. */
export async function findTargets(
  api: WorkloadApi,
  namespace: string,
  targets: DefaultedPrefixSyncSpec['rollout']['targets'],
  options: CallOptions,
): Promise<FoundTargets> {
  const result: FoundTargets = { found: [], missing: [], failures: [] };
  for (const target of targets) {
    try {
      result.found.push({ kind: target.kind, workload: await api.get({ ...target, namespace }, options) });
    } catch (err) {
      if (err instanceof NotFoundError) result.missing.push(`${target.kind} ${target.name}`);
      else result.failures.push(`${target.kind} ${target.name}: ${errorText(err)}`);
    }
  }
  return result;
}

/** The TargetNotFound message: which targets are missing, and what to do. */
export function missingMessage(namespace: string, missing: readonly string[]): string {
  return `rollout target${missing.length > 1 ? 's' : ''} not found in ${namespace}: ${missing.join(', ')} (the ConfigMap is synced; create the workload or fix spec.rollout.targets)`;
}

/** The TargetNotConsumer message: which targets do not use the ConfigMap, and why they are left alone. */
export function notConsumerMessage(
  configMap: string,
  names: readonly string[],
  targetKind: TargetKind = 'ConfigMap',
): string {
  return `rollout target${names.length > 1 ? 's' : ''} ${names.join(', ')} ${names.length > 1 ? 'do' : 'does'} not use ${targetKind} ${configMap} (no volume, projected volume, envFrom or env valueFrom names it), so ${names.length > 1 ? 'they are' : 'it is'} not restarted for it; reference the ${targetKind} from the pod template or remove the target`;
}

/** What a rollout is asked to do. */
export interface RolloutRequest {
  namespace: string;
  /** The PrefixSync rolling: its name keys the pod template annotation. */
  prefixSyncName: string;
  rollout: DefaultedPrefixSyncSpec['rollout'];
  configMapName: string;
  hash: string;
  /** With `target.versioned`: the version the workloads' references are pointed at. */
  version?: string;
  /**
   * The content the target now holds. With mode `auto` and a target that is not versioned (ConfigMap
   * or Secret), restarts become key-aware: a workload that consumes only some keys carries their {@link workloadHash}
   * and is restarted only when one of them changed. Absent: every consumer carries `hash`.
   */
  content?: RolloutContent;
  /** With `content`: the content the workloads run (see `runningContent`), when known. */
  previous?: RolloutContent;
  /** What `configMapName` names: a ConfigMap (default) or a Secret (consumers reference Secrets). */
  targetKind?: TargetKind;
  /**
   * Whether a target that does not reference the ConfigMap is restarted anyway (the operator's
   * `--rollout-non-consumers`); by default it is not, and the result names it (TargetNotConsumer).
   */
  restartNonConsumers?: boolean;
}

/**
 * Patches `config-hash.etcdconfig.dev/<prefixsync>: <hash>` into the pod template of every selected
 * workload (with the summary annotation, see {@link summaryHash}), skipping those that already carry it (so the same content never restarts anything twice). Carries on past a failing
 * workload and reports every failure: `RolloutFailed` when a workload that exists could not be read or
 * patched, else `TargetNotFound` or `TargetNotConsumer` — so either of those means every selected
 * workload that exists and consumes the ConfigMap carries the hash. Throws only if the workload list
 * itself fails.
 */
export async function rollOut(
  api: WorkloadApi,
  request: RolloutRequest,
  options: CallOptions = {},
): Promise<RolloutResult> {
  const { namespace, rollout, configMapName, hash } = request;
  const missing: string[] = [];
  const failures: string[] = [];
  const notConsumers: string[] = [];
  let selected: KindedWorkload[] = [];
  if (rollout.mode === 'targets') {
    const targets = await findTargets(api, namespace, rollout.targets, options);
    missing.push(...targets.missing);
    failures.push(...targets.failures);
    for (const target of targets.found) {
      if (
        request.restartNonConsumers ||
        podSpecUsesConfigMap(
          podTemplateOf(target.workload)?.spec,
          configMapName,
          request.version !== undefined,
          request.targetKind,
        )
      )
        selected.push(target);
      else notConsumers.push(`${target.kind} ${target.workload.metadata?.name ?? ''}`);
    }
  } else if (rollout.mode === 'auto') {
    const all: KindedWorkload[] = [];
    for (const kind of api.kinds ?? WORKLOAD_KINDS) {
      const list = await api.list(kind, { namespace, ...options });
      all.push(...list.items.map((workload) => ({ kind, workload })));
    }
    selected = autoTargets(
      all,
      configMapName,
      rollout.selector,
      request.version !== undefined,
      request.targetKind,
    );
  }
  const rolled: RolledOutWorkload[] = [];
  const patched: RolledOutWorkload[] = [];
  const keyAware = rollout.mode === 'auto' && request.version === undefined;
  const targetKind = request.targetKind ?? 'ConfigMap';
  for (const { kind, workload } of selected) {
    const name = workload.metadata?.name ?? '';
    const podSpec = podTemplateOf(workload)?.spec;
    const target = keyAware ? workloadHash(podSpec, configMapName, hash, request.content, targetKind) : hash;
    const carried = templateHash(workload, request.prefixSyncName);
    if (
      keyAware &&
      request.content &&
      isUnaffected(podSpec, configMapName, carried, request.content, request.previous, targetKind)
    )
      continue; // its keys did not change since the content it runs: not restarted, not listed
    try {
      const changed = await patchHash(
        api,
        { kind, namespace, name },
        workload,
        request.prefixSyncName,
        target,
        options,
        request.version !== undefined ? { base: configMapName, name: request.version } : undefined,
      );
      if (changed) patched.push({ kind, name, hash: target });
      // A key-aware workload whose keys did not change was not restarted: it is not listed.
      else if (target !== hash) continue;
    } catch (err) {
      if (err instanceof NotFoundError) missing.push(`${kind} ${name}`);
      else failures.push(`${kind} ${name}: ${errorText(err)}`);
      continue;
    }
    rolled.push({ kind, name, hash: target });
  }
  if (failures.length > 0) {
    const alsoMissing = missing.length > 0 ? `; not found: ${missing.join(', ')}` : '';
    return {
      ok: false,
      reason: 'RolloutFailed',
      message: `patching failed: ${failures.join('; ')}${alsoMissing}`,
      rolled,
      patched,
    };
  }
  if (missing.length > 0) {
    return {
      ok: false,
      reason: 'TargetNotFound',
      message: missingMessage(namespace, missing),
      rolled,
      patched,
    };
  }
  if (notConsumers.length > 0) {
    return {
      ok: false,
      reason: 'TargetNotConsumer',
      message: notConsumerMessage(configMapName, notConsumers, request.targetKind),
      rolled,
      patched,
    };
  }
  return { ok: true, rolled, patched, selected: selected.length };
}
