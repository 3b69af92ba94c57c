// The StatefulSet controller of kube-controller-manager (pkg/controller/statefulset:
// stateful_set_control.go's updateStatefulSet and updateStatefulSetStatus), reduced to pure functions
// over a model of the set's pods by ordinal.
import { objectAt, type JsonObject } from './json.js';
import { nameOf } from './object-meta.js';
import { templateHash } from './pod-template.js';
import { countAt, omitZero, type Observed, type WorkloadProgress } from './workload-progress.js';

/** The StatefulSetStatus fields Go marks `omitempty` (replicas and availableReplicas are always written). */
const OMITEMPTY = ['observedGeneration', 'readyReplicas', 'currentReplicas', 'updatedReplicas'];

/** What the controller reads of `spec`, with the apiserver's defaults for what is unset. */
export interface StatefulSetSpec {
  readonly replicas: number;
  /** OrderedReady: one pod at a time, each waiting for the ones before it; Parallel: all at once. */
  readonly podManagementPolicy: 'OrderedReady' | 'Parallel';
  readonly updateStrategy: 'RollingUpdate' | 'OnDelete';
  /** `rollingUpdate.partition`: ordinals below it stay at the current revision. */
  readonly partition: number;
}

/** One pod. */
export interface StatefulPod {
  /** The revision (ControllerRevision name) it was created from. */
  readonly revision: string;
  readonly ready: boolean;
}

/** A StatefulSet's pods and revisions. */
export interface StatefulSetModel {
  /** Pods by ordinal; `undefined`: no pod at that ordinal. */
  readonly pods: readonly (StatefulPod | undefined)[];
  /** The revision the set's pods are at until a rolling update completes. */
  readonly currentRevision: string | undefined;
  /** The revision of the current template (`<name>-<template hash>`). */
  readonly updateRevision: string | undefined;
  /** Revisions whose pods never become ready (the rollout that last aimed at them failed). */
  readonly failing: Readonly<Record<string, boolean>>;
}

/** The spec as the controller sees it. */
export function statefulSetSpecOf(sts: JsonObject): StatefulSetSpec {
  const spec = objectAt(sts, 'spec') ?? {};
  const strategy = objectAt(spec, 'updateStrategy') ?? {};
  return {
    replicas: countAt(spec['replicas'], 1),
    podManagementPolicy: spec['podManagementPolicy'] === 'Parallel' ? 'Parallel' : 'OrderedReady',
    updateStrategy: strategy['type'] === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
    partition: countAt(objectAt(strategy, 'rollingUpdate')?.['partition'], 0),
  };
}

/** `<name>-<hash of the pod template>`, as the set's ControllerRevisions are named. */
export function statefulSetRevision(sts: JsonObject): string {
  return `${nameOf(sts)}-${templateHash(objectAt(sts, 'spec')?.['template'])}`;
}

/**
 * The set's template is at `revision`: it becomes the update revision (the current one too, for a new
 * set), and `failing` decides whether its pods will become ready. A rolling update already under way
 * now aims at the new revision.
 */
export function observeStatefulSetRevision(
  model: StatefulSetModel,
  revision: string,
  spec: StatefulSetSpec,
  failing: () => boolean,
): Observed<StatefulSetModel> {
  if (model.updateRevision === revision) return { model, createdNewSet: false };
  const next: StatefulSetModel = {
    ...model,
    currentRevision: model.currentRevision ?? revision,
    updateRevision: revision,
    failing: { ...model.failing, [revision]: failing() },
  };
  return { model: completeRollingUpdate(next, spec), createdNewSet: false };
}

/**
 * One step: pods created before it become ready (unless their revision is failing), then the
 * controller acts as `updateStatefulSet` does: create missing pods (OrderedReady: the lowest one, and
 * only when every pod before it is ready), remove pods beyond the replicas (highest first), and for
 * RollingUpdate replace the highest-ordinal pod at or above the partition that is not at the update
 * revision — only once every pod is ready, and waiting on an updated pod that is not. OnDelete replaces
 * nothing. A pod stuck unready blocks an OrderedReady set for good, even after its template is reverted
 * (upstream's documented "forced rollback": the broken pod must be deleted by hand).
 */
export function stepStatefulSet(model: StatefulSetModel, spec: StatefulSetSpec): StatefulSetModel {
  const update = model.updateRevision;
  const pods = model.pods.map((p) =>
    p && !p.ready && model.failing[p.revision] !== true ? { ...p, ready: true } : p,
  );
  const done = (): StatefulSetModel => completeRollingUpdate({ ...model, pods: trimmed(pods) }, spec);
  if (update === undefined) return done();
  const ordered = spec.podManagementPolicy === 'OrderedReady';
  const current = model.currentRevision ?? update;
  for (let ord = 0; ord < spec.replicas; ord++) {
    const pod = pods[ord];
    if (!pod) {
      // newVersionedStatefulSetPod: below the partition a recreated pod keeps the current revision.
      const atCurrent = spec.updateStrategy === 'RollingUpdate' && ord < spec.partition;
      pods[ord] = { revision: atCurrent ? current : update, ready: false };
      if (ordered) return done();
    } else if (!pod.ready && ordered) return done();
  }
  const condemned = pods.map((p, ord) => (p && ord >= spec.replicas ? ord : -1)).filter((ord) => ord >= 0);
  if (condemned.length > 0) {
    // OrderedReady got here only with every pod below the replicas ready: it removes the highest one.
    for (const ord of ordered ? condemned.slice(-1) : condemned) pods[ord] = undefined;
    if (ordered) return done();
  }
  if (spec.updateStrategy === 'OnDelete') return done();
  for (let target = spec.replicas - 1; target >= spec.partition; target--) {
    const pod = pods[target];
    if (!pod) continue;
    if (pod.revision !== update) {
      pods[target] = { revision: update, ready: false };
      break;
    }
    if (!pod.ready) break;
  }
  return done();
}

function trimmed(pods: readonly (StatefulPod | undefined)[]): (StatefulPod | undefined)[] {
  const out = [...pods];
  while (out.length > 0 && out[out.length - 1] === undefined) out.pop();
  return out;
}

/** `completeRollingUpdate`: every pod updated and ready makes the update revision the current one. */
function completeRollingUpdate(model: StatefulSetModel, spec: StatefulSetSpec): StatefulSetModel {
  if (spec.updateStrategy !== 'RollingUpdate' || model.updateRevision === undefined) return model;
  if (model.currentRevision === model.updateRevision) return model;
  const pods = model.pods.filter((p): p is StatefulPod => p !== undefined);
  const allUpdated = pods.every((p) => p.revision === model.updateRevision && p.ready);
  return allUpdated ? { ...model, currentRevision: model.updateRevision } : model;
}

/** The status `updateStatefulSetStatus` writes for `model`. */
export function statefulSetStatus(model: StatefulSetModel, generation: number): JsonObject {
  const pods = model.pods.filter((p): p is StatefulPod => p !== undefined);
  const ready = pods.filter((p) => p.ready).length;
  return omitZero(
    {
      observedGeneration: generation,
      replicas: pods.length,
      readyReplicas: ready,
      currentReplicas: pods.filter((p) => p.revision === model.currentRevision).length,
      updatedReplicas: pods.filter((p) => p.revision === model.updateRevision).length,
      currentRevision: model.currentRevision,
      updateRevision: model.updateRevision,
      collisionCount: 0,
      availableReplicas: ready,
    },
    OMITEMPTY,
  );
}

/** The StatefulSet controller for workload-status.ts. */
export const STATEFUL_SET_PROGRESS: WorkloadProgress<StatefulSetModel> = {
  resource: 'apps/statefulsets',
  initial: () => ({ pods: [], currentRevision: undefined, updateRevision: undefined, failing: {} }),
  targetOf: statefulSetRevision,
  targetOfModel: (m) => m.updateRevision,
  observe: (m, sts, target, failing) =>
    observeStatefulSetRevision(m, target, statefulSetSpecOf(sts), failing),
  step: (m, sts) => stepStatefulSet(m, statefulSetSpecOf(sts)),
  status: (m, sts) => statefulSetStatus(m, countAt(objectAt(sts, 'metadata')?.['generation'], 0)),
  wakeAt: () => undefined,
};
