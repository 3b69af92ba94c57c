// Pure: whether a workload runs its current pod template everywhere, judged from its status as
// `kubectl rollout status` judges it (the workload controllers' own progress fields).
import type { V1DaemonSet, V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { Workload, WorkloadKind } from '../../kube/index.js';

/** Where one workload's rollout is. */
export type WorkloadHealth =
  | { state: 'done'; message: string }
  | { state: 'progressing'; message: string }
  | { state: 'failed'; message: string };

const done = (message: string): WorkloadHealth => ({ state: 'done', message });
const progressing = (message: string): WorkloadHealth => ({ state: 'progressing', message });

/** The rollout state of `workload` from its status (not counting the operator's own deadline). Pure. */
export function workloadHealth(kind: WorkloadKind, workload: Workload): WorkloadHealth {
  const generation = workload.metadata?.generation ?? 0;
  const observed = workload.status?.observedGeneration ?? 0;
  if (observed < generation) return progressing('waiting for its controller to observe the new pod template');
  switch (kind) {
    case 'Deployment':
      return deploymentHealth(workload);
    case 'StatefulSet':
      return statefulSetHealth(workload as V1StatefulSet);
    case 'DaemonSet':
      return daemonSetHealth(workload as V1DaemonSet);
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
