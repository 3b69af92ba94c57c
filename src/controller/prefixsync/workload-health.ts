// Pure: whether a workload runs its current pod template everywhere, judged from its status as
// `kubectl rollout status` judges it (the workload controllers' own progress fields; for an Argo
// Rollout, its phase and conditions as `kubectl argo rollouts status` reads them).
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { ArgoRollout, Workload, WorkloadKind } from '../../kube/index.js';

/** Where one workload's rollout is. */
export type WorkloadHealth =
  | { state: 'done'; message: string }
  | { state: 'progressing'; message: string }
  | { state: 'failed'; message: string };

const done = (message: string): WorkloadHealth => ({ state: 'done', message });
const progressing = (message: string): WorkloadHealth => ({ state: 'progressing', message });

/** The rollout state of `workload` from its status (not counting the operator's own deadline). Pure. */
export function workloadHealth(kind: WorkloadKind, workload: Workload): WorkloadHealth {
  // A CronJob runs nothing to follow: the template is its next Job's, and running Jobs keep theirs.
  if (kind === 'CronJob') {
    return done('has nothing to roll: its next Job runs the new content (running Jobs keep theirs)');
  }
  if (kind === 'Rollout') return argoRolloutHealth(workload as ArgoRollout);
  const apps = workload as V1Deployment | V1StatefulSet | V1DaemonSet;
  const generation = apps.metadata?.generation ?? 0;
  const observed = apps.status?.observedGeneration ?? 0;
  if (observed < generation) return progressing('waiting for its controller to observe the new pod template');
  switch (kind) {
    case 'Deployment':
      return deploymentHealth(apps);
    case 'StatefulSet':
      return statefulSetHealth(apps as V1StatefulSet);
    case 'DaemonSet':
      return daemonSetHealth(apps as V1DaemonSet);
  }
}

/** Reasons of an Argo Rollout's `Progressing` condition that mean its rollout failed. */
const ARGO_FAILED_REASONS: ReadonlySet<string> = new Set(['ProgressDeadlineExceeded', 'RolloutAborted']);

/**
 * An Argo Rollout, from its own status: its controller must have observed the new generation
 * (`status.observedGeneration` — a decimal string in most Argo releases, a number in some; anything
 * else never matches, as for `kubectl argo rollouts status`), then the Progressing condition
 * (ProgressDeadlineExceeded, RolloutAborted) or an InvalidSpec condition fails it, and `status.phase`
 * decides: Healthy done, Degraded failed (with `status.message`), Paused and Progressing in progress.
 */
export function argoRolloutHealth(r: ArgoRollout): WorkloadHealth {
  const generation = r.metadata?.generation ?? 0;
  const observed = r.status?.observedGeneration;
  const observedNumber =
    typeof observed === 'number' ? observed : /^\d+$/.test(observed ?? '') ? Number(observed) : undefined;
  if (observedNumber === undefined || observedNumber < generation) {
    return progressing(
      `waiting for the Argo Rollouts controller to observe generation ${generation} (status.observedGeneration ${observed === undefined ? 'unset' : JSON.stringify(observed)})`,
    );
  }
  const conditions = r.status?.conditions ?? [];
  const invalid = conditions.find((c) => c.type === 'InvalidSpec' && c.status === 'True');
  if (invalid)
    return { state: 'failed', message: `has an invalid spec (${invalid.message ?? 'InvalidSpec'})` };
  const stopped = conditions.find((c) => c.type === 'Progressing' && ARGO_FAILED_REASONS.has(c.reason ?? ''));
  if (stopped) {
    return {
      state: 'failed',
      message: `reports ${stopped.reason ?? ''} (${stopped.message ?? 'no message'})`,
    };
  }
  const phase = r.status?.phase;
  const message = r.status?.message;
  switch (phase) {
    case 'Healthy':
      return done('is Healthy');
    case 'Degraded':
      return { state: 'failed', message: `is Degraded (${message || 'no status.message'})` };
    case 'Paused':
      return progressing(`is paused (canary step / analysis)${message ? `: ${message}` : ''}`);
    case 'Progressing':
      return progressing(`is progressing${message ? `: ${message}` : ''}`);
    default:
      return progressing(
        `has no status.phase yet${phase ? ` (it says ${JSON.stringify(phase)})` : ''}: Argo Rollouts 1.0 or later sets it`,
      );
  }
}

function deploymentHealth(d: V1Deployment): WorkloadHealth {
  const progressingCondition = d.status?.conditions?.find((c) => c.type === 'Progressing');
  if (progressingCondition?.reason === 'ProgressDeadlineExceeded') {
    return {
      state: 'failed',
      message: `exceeded its progress deadline (${progressingCondition.message ?? 'ProgressDeadlineExceeded'})`,
    };
  }
  if (d.spec?.paused) return progressing('is paused');
  const want = d.spec?.replicas ?? 1;
  const updated = d.status?.updatedReplicas ?? 0;
  const total = d.status?.replicas ?? 0;
  const available = d.status?.availableReplicas ?? 0;
  if (updated < want) return progressing(`${updated} of ${want} updated replicas`);
  if (total > updated) return progressing(`${total - updated} old replicas pending termination`);
  if (available < updated) return progressing(`${available} of ${updated} updated replicas available`);
  return done(`${available} of ${want} replicas updated and available`);
}

function statefulSetHealth(s: V1StatefulSet): WorkloadHealth {
  if (s.spec?.updateStrategy?.type === 'OnDelete') {
    return done('updateStrategy OnDelete: its pods take the new content only when they are deleted');
  }
  const want = s.spec?.replicas ?? 1;
  const ready = s.status?.readyReplicas ?? 0;
  if (ready < want) return progressing(`${ready} of ${want} pods ready`);
  const partition = s.spec?.updateStrategy?.rollingUpdate?.partition ?? 0;
  const updated = s.status?.updatedReplicas ?? 0;
  if (partition > 0) {
    const due = Math.max(0, want - partition);
    if (updated < due) return progressing(`${updated} of ${due} pods above partition ${partition} updated`);
    return done(`${updated} pods above partition ${partition} updated`);
  }
  const current = s.status?.currentRevision;
  const update = s.status?.updateRevision;
  if (current !== update) return progressing(`${updated} of ${want} pods at revision ${update ?? '?'}`);
  return done(`${ready} of ${want} pods ready at revision ${update ?? '?'}`);
}

function daemonSetHealth(d: V1DaemonSet): WorkloadHealth {
  if (d.spec?.updateStrategy?.type === 'OnDelete') {
    return done('updateStrategy OnDelete: its pods take the new content only when they are deleted');
  }
  const want = d.status?.desiredNumberScheduled ?? 0;
  const updated = d.status?.updatedNumberScheduled ?? 0;
  const available = d.status?.numberAvailable ?? 0;
  if (updated < want) return progressing(`${updated} of ${want} updated pods scheduled`);
  if (available < want) return progressing(`${available} of ${want} updated pods available`);
  return done(`${available} of ${want} pods updated and available`);
}
