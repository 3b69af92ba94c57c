// Rollout: which workloads a content change restarts (targets, or the ones that use the ConfigMap),
// and the idempotent pod-template patch that restarts them.
import type { V1Container, V1PodSpec } from '@kubernetes/client-node';
import {
  CONFIG_HASH_ANNOTATION,
  ConditionStatus,
  PrefixSyncConditionType,
  PrefixSyncReason,
  WORKLOAD_KINDS,
  labelSelectorMatches,
  type DefaultedPrefixSyncSpec,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
  type RolledOutWorkload,
  type WorkloadKind,
} from '../../api/index.js';
import {
  NotFoundError,
  type CallOptions,
  type ListOptions,
  type ListResult,
  type Workload,
  type WorkloadRef,
} from '../../kube/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import { findCondition } from '../shared/conditions.js';
import { errorText } from './outcome.js';
import type { RolloutOutcome } from './status.js';

/** The workload operations a rollout needs (the kube layer's WorkloadClient). */
export interface WorkloadApi {
  get(ref: WorkloadRef, options?: CallOptions): Promise<Workload>;
  list(kind: WorkloadKind, options: ListOptions & { namespace: string }): Promise<ListResult<Workload>>;
  patchPodTemplateAnnotations(
    ref: WorkloadRef,
    annotations: Readonly<Record<string, string | null>>,
    options?: CallOptions,
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
 * Whether a pod spec mounts or references ConfigMap `name`: a volume (plain or projected), `envFrom`,
 * or an `env` `configMapKeyRef`, in containers or init containers. Pure.
 */
export function podSpecUsesConfigMap(spec: V1PodSpec | undefined, name: string): boolean {
  if (!spec) return false;
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
): KindedWorkload[] {
  return workloads.filter(
    ({ workload }) =>
      podSpecUsesConfigMap(workload.spec?.template.spec, name) &&
      (selector === undefined || labelSelectorMatches(selector, workload.metadata?.labels ?? {})),
  );
}

/** The config hash a workload's pod template carries now, if any. */
export function templateHash(workload: Workload): string | undefined {
  return workload.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
}

/** How a rollout went. `rolled` lists the workloads that carry the hash now (patched or already equal). */
export type RolloutResult =
  | { ok: true; rolled: RolledOutWorkload[]; patched: RolledOutWorkload[] }
  | {
      ok: false;
      reason: 'TargetNotFound' | 'RolloutFailed';
      message: string;
      rolled: RolledOutWorkload[];
      patched: RolledOutWorkload[];
    };

/** What reading the targets of mode `targets` found. */
interface FoundTargets {
  found: KindedWorkload[];
  /** `Kind name` of each target that does not exist. */
  missing: string[];
  /** `Kind name: error` of each target that could not be read. */
  failures: string[];
}

/** Reads each named target (a GET each); never throws. */
async function findTargets(
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
function missingMessage(namespace: string, missing: readonly string[]): string {
  return `rollout target${missing.length > 1 ? 's' : ''} not found in ${namespace}: ${missing.join(', ')} (the ConfigMap is synced; create the workload or fix spec.rollout.targets)`;
}

/**
 * Patches `etcdconfig.dev/config-hash: <hash>` into the pod template of every selected workload,
 * skipping those that already carry it (so the same content never restarts anything twice). Carries on
 * past a failing workload and reports every failure: `RolloutFailed` when a workload that exists could
 * not be read or patched, else `TargetNotFound` when only missing ones remain — so a `TargetNotFound`
 * result means every workload that exists carries the hash. Throws only if the workload list itself
 * fails.
 */
export async function rollOut(
  api: WorkloadApi,
  namespace: string,
  rollout: DefaultedPrefixSyncSpec['rollout'],
  configMapName: string,
  hash: string,
  options: CallOptions = {},
): Promise<RolloutResult> {
  const missing: string[] = [];
  const failures: string[] = [];
  let selected: KindedWorkload[] = [];
  if (rollout.mode === 'targets') {
    const targets = await findTargets(api, namespace, rollout.targets, options);
    selected = targets.found;
    missing.push(...targets.missing);
    failures.push(...targets.failures);
  } else if (rollout.mode === 'auto') {
    const all: KindedWorkload[] = [];
    for (const kind of WORKLOAD_KINDS) {
      const list = await api.list(kind, { namespace, ...options });
      all.push(...list.items.map((workload) => ({ kind, workload })));
    }
    selected = autoTargets(all, configMapName, rollout.selector);
  }
  const rolled: RolledOutWorkload[] = [];
  const patched: RolledOutWorkload[] = [];
  for (const { kind, workload } of selected) {
    const name = workload.metadata?.name ?? '';
    if (templateHash(workload) !== hash) {
      try {
        await api.patchPodTemplateAnnotations(
          { kind, namespace, name },
          { [CONFIG_HASH_ANNOTATION]: hash },
          options,
        );
        patched.push({ kind, name, hash });
      } catch (err) {
        if (err instanceof NotFoundError) missing.push(`${kind} ${name}`);
        else failures.push(`${kind} ${name}: ${errorText(err)}`);
        continue;
      }
    }
    rolled.push({ kind, name, hash });
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
  return { ok: true, rolled, patched };
}

/**
 * The rollout step of a sync: rolls the selected workloads when the content hash differs from the one
 * in status, and says what came of it. When no rollout is due (first sync, or unchanged content) it
 * patches nothing, but with mode `targets` still reads every target (a GET each), so that a missing one
 * is reported from the first sync; once all exist again, RolledOut is True without restarting them.
 */
export async function rollOutIfChanged(
  workloads: WorkloadApi,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  hash: string,
  ctx: ReconcileContext,
  metrics?: { incRollout(kind: string): void },
): Promise<RolloutOutcome> {
  if (spec.rollout.mode === 'none') return { kind: 'disabled' };
  const namespace = psync.metadata.namespace ?? '';
  const statusHash = psync.status?.contentHash;
  if (!isRolloutDue(statusHash, hash)) return checkTargets(workloads, psync, spec, ctx);
  let result;
  try {
    result = await rollOut(workloads, namespace, spec.rollout, spec.target.name, hash, {
      signal: ctx.signal,
    });
  } catch (err) {
    return {
      kind: 'failed',
      reason: 'RolloutFailed',
      message: `listing workloads failed: ${errorText(err)}`,
      rolled: [],
    };
  }
  for (const w of result.patched) {
    metrics?.incRollout(w.kind);
    ctx.logger.info('rolled out workload', { workload: `${w.kind}/${w.name}`, hash });
  }
  if (!result.ok)
    return { kind: 'failed', reason: result.reason, message: result.message, rolled: result.rolled };
  if (spec.rollout.mode === 'auto' && result.rolled.length === 0) return { kind: 'no-workloads' };
  return { kind: 'rolled', rolled: result.rolled, patched: result.patched };
}

/**
 * No rollout is due: nothing is patched. A workload that exists now either carries the content (it was
 * rolled, or ran at the first sync) or was created after the ConfigMap held it and so started with it.
 * With mode `targets`, a target that does not exist (or cannot be read) fails the step as a due rollout
 * would, keeping `status.rolledOut`. Otherwise RolledOut is (re)set to InitialSync when this is the
 * first sync, or when it was not True (a target was missing and now exists), and left as it is else.
 */
async function checkTargets(
  workloads: WorkloadApi,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  ctx: ReconcileContext,
): Promise<RolloutOutcome> {
  if (spec.rollout.mode === 'targets') {
    const namespace = psync.metadata.namespace ?? '';
    const { missing, failures } = await findTargets(workloads, namespace, spec.rollout.targets, {
      signal: ctx.signal,
    });
    const rolled = psync.status?.rolledOut ?? [];
    if (failures.length > 0) {
      const message = `reading rollout targets failed: ${failures.join('; ')}`;
      return { kind: 'failed', reason: 'RolloutFailed', message, rolled };
    }
    if (missing.length > 0) {
      return {
        kind: 'failed',
        reason: 'TargetNotFound',
        message: missingMessage(namespace, missing),
        rolled,
      };
    }
  }
  const previous = findCondition(psync.status?.conditions, PrefixSyncConditionType.RolledOut);
  const fresh =
    !psync.status?.contentHash ||
    !previous ||
    previous.reason === PrefixSyncReason.RolloutDisabled ||
    previous.status !== ConditionStatus.True;
  return fresh ? { kind: 'initial' } : { kind: 'unchanged' };
}
