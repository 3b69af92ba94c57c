// What makes a PrefixSync reconcile: its own changes, its ConfigMap's, its source's, its namespace's
// labels, the workloads its rollout may restart, and its prefix's content (debounced). Pure mapping
// functions; the operator wires informers and mirrors to them.
import { isDeepStrictEqual } from 'node:util';
import type { V1ObjectMeta } from '@kubernetes/client-node';
import {
  PREFIX_SYNC_FINALIZER,
  PREFIX_SYNC_LABEL,
  labelSelectorMatches,
  type LabelSelector,
  type PrefixSync,
  type WorkloadKind,
} from '../../api/index.js';
import { podTemplateOf, type Workload } from '../../kube/index.js';
import type { Request } from '../../runtime/index.js';
import { podSpecUsesConfigMap } from './rollout.js';

/**
 * Whether an update of a PrefixSync needs a reconcile: spec (generation), labels, annotations
 * (force-sync), finalizers or deletion changed. Status-only updates — our own writes — do not, nor does
 * our finalizer's arrival alone (the reconcile that added it goes on; the finalizer asks for nothing).
 */
export function prefixSyncChanged(old: PrefixSync, current: PrefixSync): boolean {
  const a = old.metadata;
  const b = current.metadata;
  return (
    a.generation !== b.generation ||
    a.deletionTimestamp !== b.deletionTimestamp ||
    !isDeepStrictEqual(a.annotations ?? {}, b.annotations ?? {}) ||
    !isDeepStrictEqual(a.labels ?? {}, b.labels ?? {}) ||
    finalizersChanged(a.finalizers ?? [], b.finalizers ?? [])
  );
}

/** Whether finalizers changed otherwise than by ours being added (ours removed is put back). */
function finalizersChanged(before: readonly string[], after: readonly string[]): boolean {
  const oursAdded =
    !before.includes(PREFIX_SYNC_FINALIZER) &&
    isDeepStrictEqual(
      after.filter((f) => f !== PREFIX_SYNC_FINALIZER),
      before,
    ) &&
    after.includes(PREFIX_SYNC_FINALIZER);
  return !oursAdded && !isDeepStrictEqual(before, after);
}

/**
 * The PrefixSync that writes a ConfigMap (or a Secret target), from its label, so that an edited or
 * deleted target is repaired.
 */
export function requestForConfigMap(cm: { readonly metadata?: V1ObjectMeta }): Request | undefined {
  const name = cm.metadata?.labels?.[PREFIX_SYNC_LABEL];
  const namespace = cm.metadata?.namespace;
  return name && namespace ? { namespace, name } : undefined;
}

/** The PrefixSyncs that read ClusterEtcdSource `source`. */
export function requestsForSource(source: string, psyncs: readonly PrefixSync[]): Request[] {
  return psyncs.filter((p) => p.spec?.sourceRef?.name === source).map(requestOf);
}

/** The PrefixSyncs of a namespace (its labels feed access rules with a namespaceSelector). */
export function requestsForNamespace(namespace: string, psyncs: readonly PrefixSync[]): Request[] {
  return psyncs.filter((p) => p.metadata.namespace === namespace).map(requestOf);
}

/**
 * Whether an update of a workload may change which PrefixSyncs its rollout concerns: its spec
 * (generation: the pod template's volumes and env) or its labels changed. Status-only updates — the
 * workload controllers' own, many per rollout — do not.
 */
export function workloadChanged(old: Workload, current: Workload): boolean {
  return (
    old.metadata?.generation !== current.metadata?.generation ||
    !isDeepStrictEqual(old.metadata?.labels ?? {}, current.metadata?.labels ?? {})
  );
}

/**
 * The PrefixSyncs whose rollout may concern a workload of `kind` that was added, deleted or changed:
 * those of its namespace with `rollout.mode: targets` naming it, or with `mode: auto` when its pod
 * template uses their ConfigMap and its labels match their `rollout.selector`. Reads the specs as
 * written (no defaults needed: `mode` defaults to `none`); a selector it cannot read counts as a
 * match. Pure.
 */
export function requestsForWorkload(
  kind: WorkloadKind,
  workload: Workload,
  psyncs: readonly PrefixSync[],
): Request[] {
  const namespace = workload.metadata?.namespace;
  const name = workload.metadata?.name;
  if (!namespace || !name) return [];
  return psyncs
    .filter((p) => {
      if (p.metadata.namespace !== namespace) return false;
      const rollout = p.spec?.rollout;
      switch (rollout?.mode) {
        case 'targets':
          return (rollout.targets ?? []).some((t) => t.kind === kind && t.name === name);
        case 'auto':
          return (
            podSpecUsesConfigMap(
              podTemplateOf(workload)?.spec,
              p.spec.target?.name ?? '',
              false,
              p.spec.target?.kind === 'Secret' ? 'Secret' : 'ConfigMap',
            ) && selectorMatches(rollout.selector, workload.metadata?.labels ?? {})
          );
        default:
          return false;
      }
    })
    .map(requestOf);
}

/**
 * The PrefixSyncs following a rollout of this workload (`status.rollout` Progressing and the workload
 * in `status.rolledOut`): its status moving (replicas updated, available, a deadline exceeded) is what
 * they wait for. Pure.
 */
export function requestsFollowingWorkload(
  kind: WorkloadKind,
  workload: Workload,
  psyncs: readonly PrefixSync[],
): Request[] {
  const name = workload.metadata?.name;
  return psyncs
    .filter(
      (p) =>
        p.metadata.namespace === workload.metadata?.namespace &&
        p.status?.rollout?.phase === 'Progressing' &&
        (p.status.rolledOut ?? []).some((w) => w.kind === kind && w.name === name),
    )
    .map(requestOf);
}

function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (selector === undefined) return true;
  try {
    return labelSelectorMatches(selector, labels);
  } catch {
    return true;
  }
}

/** Every PrefixSync (a source's access rules changed, or leadership began). */
export function requestOf(psync: PrefixSync): Request {
  return { namespace: psync.metadata.namespace ?? '', name: psync.metadata.name ?? '' };
}

/**
 * A burst may postpone a write by at most this many debounce periods: a prefix that never goes quiet
 * is still written at least every `MAX_DEBOUNCE_FACTOR × spec.debounce`.
 */
export const MAX_DEBOUNCE_FACTOR = 10;

/**
 * Trailing debounce: how long a reconcile should still wait (0 = go) when changes arrived from
 * `firstAt` to `lastAt` (ms): until the prefix has been quiet for `debounceMs`, but no longer than
 * {@link MAX_DEBOUNCE_FACTOR} debounce periods after the first change. Pure.
 */
export function debounceRemaining(now: number, firstAt: number, lastAt: number, debounceMs: number): number {
  if (debounceMs <= 0) return 0;
  const quietAt = lastAt + debounceMs;
  const deadline = firstAt + debounceMs * MAX_DEBOUNCE_FACTOR;
  return Math.max(0, Math.min(quietAt, deadline) - now);
}

/** Where a mirror change goes: at once, or after the PrefixSync's debounce (the queue keeps the earliest). */
export interface MirrorTriggerTarget {
  enqueue(request: Request): void;
  enqueueAfter(request: Request, delayMs: number): void;
}

/**
 * Routes a change of a shared mirror to its holders: each is queued after its own `spec.debounce`
 * (the reconcile then waits out the rest of the burst, see {@link debounceRemaining}), or at once with
 * debounce 0. A resync (fresh snapshot) is queued at once. A progress changes no content: it queues
 * nothing (with thousands of PrefixSyncs, a status write each per progress round would be the
 * operator's main load); status takes the mirror's revision with the next change or resync.
 */
export function routeMirrorChange(
  holders: readonly string[],
  kind: 'update' | 'resync' | 'progress',
  debounceOf: (key: string) => number,
  target: MirrorTriggerTarget,
): void {
  if (kind === 'progress') return;
  for (const key of holders) {
    const slash = key.indexOf('/');
    const request = { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
    const delay = kind === 'resync' ? 0 : debounceOf(key);
    if (delay > 0) target.enqueueAfter(request, delay);
    else target.enqueue(request);
  }
}
