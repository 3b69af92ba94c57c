// The DaemonSet controller of kube-controller-manager (pkg/controller/daemon: daemon_controller.go's
// manage and updateDaemonSetStatus, update.go's rollingUpdate), reduced to pure functions over a model
// of the daemon pods on a fixed number of simulated nodes (every node runs the set: no selectors,
// taints or affinity).
import { intOrPercent, scaledValue, type IntOrPercent } from './int-or-percent.js';
import { objectAt, type JsonObject } from './json.js';
import { templateHash } from './pod-template.js';
import { countAt, omitZero, type Observed, type WorkloadProgress } from './workload-progress.js';

/** The DaemonSetStatus fields Go marks `omitempty`. */
const OMITEMPTY = ['observedGeneration', 'updatedNumberScheduled', 'numberAvailable', 'numberUnavailable'];

/** What the controller reads of `spec`, with the apiserver's defaults for what is unset. */
export interface DaemonSetSpec {
  readonly updateStrategy: 'RollingUpdate' | 'OnDelete';
  readonly maxUnavailable: IntOrPercent;
  readonly maxSurge: IntOrPercent;
}

/** One daemon pod. */
export interface DaemonPod {
  /** The template hash (`controller-revision-hash`) it was created from. */
  readonly hash: string;
  readonly ready: boolean;
}

/** A DaemonSet's pods per node. */
export interface DaemonSetModel {
  /** Per node, its daemon pods oldest first (two only while a surge replaces one). */
  readonly nodes: readonly (readonly DaemonPod[])[];
  /** The hash of the current template; undefined before the first observation. */
  readonly updateHash: string | undefined;
  /** Hashes whose pods never become ready (the rollout that last aimed at them failed). */
  readonly failing: Readonly<Record<string, boolean>>;
}

/** The spec as the controller sees it. */
export function daemonSetSpecOf(ds: JsonObject): DaemonSetSpec {
  const strategy = objectAt(objectAt(ds, 'spec') ?? {}, 'updateStrategy') ?? {};
  const rolling = objectAt(strategy, 'rollingUpdate') ?? {};
  return {
    updateStrategy: strategy['type'] === 'OnDelete' ? 'OnDelete' : 'RollingUpdate',
    maxUnavailable: intOrPercent(rolling['maxUnavailable'], 1),
    maxSurge: intOrPercent(rolling['maxSurge'], 0),
  };
}

/** maxSurge and maxUnavailable in pods (`SurgeCount`, `UnavailableCount`): both round up; never both 0. */
export function daemonSetBudgets(
  spec: DaemonSetSpec,
  nodes: number,
): { maxSurge: number; maxUnavailable: number } {
  if (spec.updateStrategy !== 'RollingUpdate') return { maxSurge: 0, maxUnavailable: 0 };
  const maxSurge = scaledValue(spec.maxSurge, nodes, true);
  const unavailable = scaledValue(spec.maxUnavailable, nodes, true);
  return { maxSurge, maxUnavailable: maxSurge === 0 && unavailable === 0 ? 1 : unavailable };
}

/** The set's template now has `hash`: new pods are created from it, and `failing` decides whether they become ready. */
export function observeDaemonSetTemplate(
  model: DaemonSetModel,
  hash: string,
  failing: () => boolean,
): Observed<DaemonSetModel> {
  if (model.updateHash === hash) return { model, createdNewSet: false };
  return {
    model: { ...model, updateHash: hash, failing: { ...model.failing, [hash]: failing() } },
    createdNewSet: false,
  };
}

/**
 * One step: pods created before it become ready (unless their hash is failing); a node without a pod
 * gets one (`manage`); then for RollingUpdate (`rollingUpdate`) an old pod that is not available is
 * replaced at once, and available old ones while fewer than maxUnavailable nodes are unavailable —
 * or, with maxSurge, a new pod starts beside an old one (within maxSurge) and the old one goes once the
 * new one is available. OnDelete replaces nothing.
 */
export function stepDaemonSet(model: DaemonSetModel, spec: DaemonSetSpec): DaemonSetModel {
  const hash = model.updateHash;
  const nodes = model.nodes.map((pods) =>
    pods.map((p) => (!p.ready && model.failing[p.hash] !== true ? { ...p, ready: true } : p)),
  );
  if (hash === undefined) return { ...model, nodes };
  const fresh = (): DaemonPod => ({ hash, ready: false });
  for (let n = 0; n < nodes.length; n++) if (nodes[n]?.length === 0) nodes[n] = [fresh()];
  if (spec.updateStrategy === 'OnDelete') return { ...model, nodes };
  const { maxSurge, maxUnavailable } = daemonSetBudgets(spec, nodes.length);
  const split = (pods: readonly DaemonPod[]): { newPod?: DaemonPod; oldPod?: DaemonPod } => ({
    newPod: pods.find((p) => p.hash === hash),
    oldPod: pods.find((p) => p.hash !== hash),
  });
  if (maxSurge === 0) {
    let unavailable = 0;
    const replace: number[] = [];
    const candidates: number[] = [];
    nodes.forEach((pods, n) => {
      const { newPod, oldPod } = split(pods);
      if ((newPod && oldPod) || (!newPod && !oldPod)) unavailable++;
      else if (newPod) {
        if (!newPod.ready) unavailable++;
      } else if (oldPod && !oldPod.ready) replace.push(n);
      else if (unavailable < maxUnavailable) candidates.push(n);
    });
    const room = Math.max(0, Math.min(maxUnavailable - unavailable, candidates.length));
    for (const n of [...replace, ...candidates.slice(0, room)]) nodes[n] = [fresh()];
    return { ...model, nodes };
  }
  let surging = 0;
  const allowed: number[] = [];
  const candidates: number[] = [];
  nodes.forEach((pods, n) => {
    const { newPod, oldPod } = split(pods);
    if (!oldPod) return;
    if (!newPod) (oldPod.ready ? candidates : allowed).push(n);
    else if (!newPod.ready) surging++;
    else nodes[n] = [newPod];
  });
  const room = Math.max(0, Math.min(maxSurge - surging, candidates.length));
  for (const n of [...allowed, ...candidates.slice(0, room)]) nodes[n] = [...(nodes[n] ?? []), fresh()];
  return { ...model, nodes };
}

/** The status `updateDaemonSetStatus` writes: each node counts by its oldest daemon pod. */
export function daemonSetStatus(model: DaemonSetModel, generation: number): JsonObject {
  let scheduled = 0;
  let ready = 0;
  let updated = 0;
  for (const pods of model.nodes) {
    const oldest = pods[0];
    if (!oldest) continue;
    scheduled++;
    if (oldest.ready) ready++;
    if (oldest.hash === model.updateHash) updated++;
  }
  return omitZero(
    {
      currentNumberScheduled: scheduled,
      numberMisscheduled: 0,
      desiredNumberScheduled: model.nodes.length,
      numberReady: ready,
      observedGeneration: generation,
      updatedNumberScheduled: updated,
      numberAvailable: ready,
      numberUnavailable: model.nodes.length - ready,
    },
    OMITEMPTY,
  );
}

/** The DaemonSet controller for workload-status.ts, on `nodes` simulated nodes. */
export function daemonSetProgress(nodes: number): WorkloadProgress<DaemonSetModel> {
  return {
    resource: 'apps/daemonsets',
    initial: () => ({ nodes: Array.from({ length: nodes }, () => []), updateHash: undefined, failing: {} }),
    targetOf: (ds) => templateHash(objectAt(ds, 'spec')?.['template']),
    targetOfModel: (m) => m.updateHash,
    observe: (m, _ds, target, failing) => observeDaemonSetTemplate(m, target, failing),
    step: (m, ds) => stepDaemonSet(m, daemonSetSpecOf(ds)),
    status: (m, ds) => daemonSetStatus(m, countAt(objectAt(ds, 'metadata')?.['generation'], 0)),
    wakeAt: () => undefined,
  };
}
