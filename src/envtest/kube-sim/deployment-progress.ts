// The Deployment controller of kube-controller-manager (pkg/controller/deployment: rolling.go,
// recreate.go, progress.go, sync.go's calculateStatus), reduced to pure functions over a model of the
// Deployment's ReplicaSets and their pods.
import { intOrPercent, scaledValue, type IntOrPercent } from './int-or-percent.js';
import { isObject, objectAt, stringAt, type JsonObject } from './json.js';
import { nameOf, timestamp } from './object-meta.js';
import { templateHash } from './pod-template.js';
import { countAt, omitZero, type Observed, type WorkloadProgress } from './workload-progress.js';

/** `spec.progressDeadlineSeconds` when unset (the apiserver's default). */
export const DEFAULT_PROGRESS_DEADLINE_SECONDS = 600;
/** A progressDeadlineSeconds of MaxInt32 means "no deadline" upstream (`HasProgressDeadline`). */
const NO_DEADLINE_SECONDS = 2_147_483_647;
const DEFAULT_REVISION_HISTORY_LIMIT = 10;
const DEFAULT_MAX_SURGE: IntOrPercent = '25%';
const DEFAULT_MAX_UNAVAILABLE: IntOrPercent = '25%';
/** A bound on the controller's passes within one step (each pass either scales something or ends it). */
const MAX_PASSES_PER_STEP = 100;

const AVAILABLE = 'Available';
const PROGRESSING = 'Progressing';
/** The reasons of deploymentutil, as `kubectl rollout status` and clients test them. */
export const DEPLOYMENT_REASONS = {
  minimumReplicasAvailable: 'MinimumReplicasAvailable',
  minimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  newReplicaSetCreated: 'NewReplicaSetCreated',
  foundNewReplicaSet: 'FoundNewReplicaSet',
  replicaSetUpdated: 'ReplicaSetUpdated',
  newReplicaSetAvailable: 'NewReplicaSetAvailable',
  progressDeadlineExceeded: 'ProgressDeadlineExceeded',
  deploymentPaused: 'DeploymentPaused',
  deploymentResumed: 'DeploymentResumed',
} as const;
const R = DEPLOYMENT_REASONS;

/** The DeploymentStatus fields Go marks `omitempty`. */
const OMITEMPTY = [
  'observedGeneration',
  'replicas',
  'updatedReplicas',
  'readyReplicas',
  'availableReplicas',
  'unavailableReplicas',
  'conditions',
];

/** What the controller reads of `spec`, with the apiserver's defaults for what is unset. */
export interface DeploymentSpec {
  readonly replicas: number;
  readonly strategy: 'RollingUpdate' | 'Recreate';
  readonly maxSurge: IntOrPercent;
  readonly maxUnavailable: IntOrPercent;
  /** undefined: no deadline (MaxInt32), and no Progressing condition. */
  readonly progressDeadlineSeconds: number | undefined;
  readonly paused: boolean;
  readonly revisionHistoryLimit: number;
}

/** One ReplicaSet and its pods. Its pods follow its replicas at once (created not ready, deleted unready first). */
export interface ReplicaSetModel {
  /** `pod-template-hash`; the ReplicaSet is named `<deployment>-<hash>`. */
  readonly hash: string;
  /** Pods (= the ReplicaSet's spec.replicas). */
  readonly replicas: number;
  /** Pods that are ready (and available: minReadySeconds is not simulated); ≤ replicas. */
  readonly ready: number;
  /** The rollout that last made this the new ReplicaSet failed: its pods never become ready. */
  readonly failing: boolean;
}

/** A Deployment's ReplicaSets, oldest first. */
export interface DeploymentModel {
  readonly sets: readonly ReplicaSetModel[];
  /** The hash of the ReplicaSet of the current template; undefined before the first (or while paused on a new template). */
  readonly newHash: string | undefined;
}

/** The spec as the controller sees it (defaults applied; ill-typed values as their defaults). */
export function deploymentSpecOf(deployment: JsonObject): DeploymentSpec {
  const spec = objectAt(deployment, 'spec') ?? {};
  const strategy = objectAt(spec, 'strategy') ?? {};
  const rolling = objectAt(strategy, 'rollingUpdate') ?? {};
  const deadline = countAt(spec['progressDeadlineSeconds'], DEFAULT_PROGRESS_DEADLINE_SECONDS);
  return {
    replicas: countAt(spec['replicas'], 1),
    strategy: strategy['type'] === 'Recreate' ? 'Recreate' : 'RollingUpdate',
    maxSurge: intOrPercent(rolling['maxSurge'], DEFAULT_MAX_SURGE),
    maxUnavailable: intOrPercent(rolling['maxUnavailable'], DEFAULT_MAX_UNAVAILABLE),
    progressDeadlineSeconds: deadline === NO_DEADLINE_SECONDS ? undefined : deadline,
    paused: spec['paused'] === true,
    revisionHistoryLimit: countAt(spec['revisionHistoryLimit'], DEFAULT_REVISION_HISTORY_LIMIT),
  };
}

/** maxSurge and maxUnavailable in pods (`ResolveFenceposts`): surge rounds up, unavailable down; never both 0. */
export function fenceposts(spec: DeploymentSpec): { maxSurge: number; maxUnavailable: number } {
  const maxSurge = scaledValue(spec.maxSurge, spec.replicas, true);
  const unavailable = scaledValue(spec.maxUnavailable, spec.replicas, false);
  return { maxSurge, maxUnavailable: maxSurge === 0 && unavailable === 0 ? 1 : unavailable };
}

/** `deploymentutil.MaxUnavailable`: 0 for Recreate or 0 replicas, never more than the replicas. */
export function maxUnavailableOf(spec: DeploymentSpec): number {
  if (spec.strategy !== 'RollingUpdate' || spec.replicas === 0) return 0;
  return Math.min(fenceposts(spec).maxUnavailable, spec.replicas);
}

function sum(sets: readonly ReplicaSetModel[], field: 'replicas' | 'ready'): number {
  return sets.reduce((n, s) => n + s[field], 0);
}

/** Sets one ReplicaSet's replicas; scaling down removes unready pods first. */
function scaled(sets: readonly ReplicaSetModel[], hash: string, replicas: number): ReplicaSetModel[] {
  return sets.map((s) => (s.hash === hash ? { ...s, replicas, ready: Math.min(s.ready, replicas) } : s));
}

/**
 * The workload's template asks for ReplicaSet `hash`. Unpaused: an existing ReplicaSet of that template
 * becomes the new one (a rollback), else one is created with no pods; either way `failing` decides
 * whether its pods will become ready. Paused: no ReplicaSet is created (upstream creates none while
 * paused), an existing one is only found.
 */
export function observeDeploymentTemplate(
  model: DeploymentModel,
  hash: string,
  spec: DeploymentSpec,
  failing: () => boolean,
): Observed<DeploymentModel> {
  if (model.newHash === hash) return { model, createdNewSet: false };
  const existing = model.sets.find((s) => s.hash === hash);
  if (spec.paused) return { model: { ...model, newHash: existing?.hash }, createdNewSet: false };
  if (existing) {
    const fails = failing();
    return {
      model: { sets: model.sets.map((s) => (s.hash === hash ? { ...s, failing: fails } : s)), newHash: hash },
      createdNewSet: false,
    };
  }
  return {
    model: { sets: [...model.sets, { hash, replicas: 0, ready: 0, failing: failing() }], newHash: hash },
    createdNewSet: true,
  };
}

/**
 * One step: the pods created before it become ready (unless their ReplicaSet is failing), then the
 * controller scales — RollingUpdate within maxSurge/maxUnavailable (`reconcileNewReplicaSet`,
 * `cleanupUnhealthyReplicas`, `scaleDownOldReplicaSetsForRollingUpdate`) until nothing more can move,
 * Recreate all old pods down first and the new ones up a step later — and drops old empty ReplicaSets
 * beyond revisionHistoryLimit. A paused Deployment's pods still become ready; nothing is scaled.
 */
export function stepDeployment(model: DeploymentModel, spec: DeploymentSpec): DeploymentModel {
  let sets: readonly ReplicaSetModel[] = model.sets.map((s) => (s.failing ? s : { ...s, ready: s.replicas }));
  const newHash = model.newHash;
  if (spec.paused || newHash === undefined) return { ...model, sets };
  if (spec.strategy === 'Recreate') sets = recreate(sets, newHash, spec);
  else {
    for (let pass = 0; pass < MAX_PASSES_PER_STEP; pass++) {
      const next = rollingPass(sets, newHash, spec);
      if (next.every((s, i) => s === sets[i])) break;
      sets = next;
    }
  }
  return { sets: pruneHistory(sets, newHash, spec.revisionHistoryLimit), newHash };
}

function recreate(
  sets: readonly ReplicaSetModel[],
  newHash: string,
  spec: DeploymentSpec,
): ReplicaSetModel[] {
  if (sets.some((s) => s.hash !== newHash && s.replicas > 0)) {
    return sets.map((s) => (s.hash === newHash ? s : { ...s, replicas: 0, ready: 0 }));
  }
  return scaled(sets, newHash, spec.replicas);
}

/** One pass of rolloutRolling: scale the new ReplicaSet up (or down to the replicas), then old ones down. */
function rollingPass(
  current: readonly ReplicaSetModel[],
  newHash: string,
  spec: DeploymentSpec,
): readonly ReplicaSetModel[] {
  let sets = current;
  const desired = spec.replicas;
  const fresh = sets.find((s) => s.hash === newHash);
  if (!fresh) return sets;
  if (fresh.replicas > desired) sets = scaled(sets, newHash, desired);
  else if (fresh.replicas < desired) {
    const maxTotal = desired + fenceposts(spec).maxSurge;
    const total = sum(sets, 'replicas');
    if (total < maxTotal) {
      sets = scaled(sets, newHash, fresh.replicas + Math.min(maxTotal - total, desired - fresh.replicas));
    }
  }
  const oldHashes = sets.filter((s) => s.hash !== newHash).map((s) => s.hash);
  const byHash = (h: string): ReplicaSetModel | undefined => sets.find((s) => s.hash === h);
  if (oldHashes.reduce((n, h) => n + (byHash(h)?.replicas ?? 0), 0) === 0) return sets;
  const minAvailable = desired - maxUnavailableOf(spec);
  const newSet = byHash(newHash);
  const newUnavailable = newSet ? newSet.replicas - newSet.ready : 0;
  const maxScaledDown = sum(sets, 'replicas') - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return sets;
  // cleanupUnhealthyReplicas: old pods that are not available go first, within maxScaledDown.
  let cleaned = 0;
  for (const h of oldHashes) {
    const s = byHash(h);
    if (!s || cleaned >= maxScaledDown || s.replicas === s.ready) continue;
    const down = Math.min(maxScaledDown - cleaned, s.replicas - s.ready);
    sets = scaled(sets, h, s.replicas - down);
    cleaned += down;
  }
  // scaleDownOldReplicaSetsForRollingUpdate: as far as availability allows, oldest first.
  let budget = sum(sets, 'ready') - minAvailable;
  for (const h of oldHashes) {
    const s = byHash(h);
    if (!s || budget <= 0 || s.replicas === 0) continue;
    const down = Math.min(s.replicas, budget);
    sets = scaled(sets, h, s.replicas - down);
    budget -= down;
  }
  return sets;
}

/** `cleanupDeployment`: old ReplicaSets without pods beyond the history limit go, oldest first. */
function pruneHistory(
  sets: readonly ReplicaSetModel[],
  newHash: string,
  limit: number,
): readonly ReplicaSetModel[] {
  const empty = sets.filter((s) => s.hash !== newHash && s.replicas === 0);
  const drop = new Set(empty.slice(0, Math.max(0, empty.length - limit)).map((s) => s.hash));
  return drop.size === 0 ? sets : sets.filter((s) => !drop.has(s.hash));
}

/** One entry of `status.conditions`. */
export interface DeploymentCondition {
  readonly type: string;
  readonly status: 'True' | 'False' | 'Unknown';
  readonly lastUpdateTime: string;
  readonly lastTransitionTime: string;
  readonly reason: string;
  readonly message: string;
}

function conditionsOf(status: JsonObject): JsonObject[] {
  const c = status['conditions'];
  return Array.isArray(c) ? c.filter(isObject) : [];
}

function findCondition(conditions: readonly JsonObject[], type: string): JsonObject | undefined {
  return conditions.find((c) => c['type'] === type);
}

/**
 * `SetDeploymentCondition`: nothing changes when a condition of the type has the same status and reason;
 * otherwise it replaces that condition at the end, keeping lastTransitionTime if the status is the same.
 */
function setCondition(conditions: readonly JsonObject[], next: DeploymentCondition): JsonObject[] {
  const current = findCondition(conditions, next.type);
  if (current && current['status'] === next.status && current['reason'] === next.reason)
    return [...conditions];
  const kept =
    current && current['status'] === next.status
      ? { ...next, lastTransitionTime: current['lastTransitionTime'] }
      : next;
  return [...conditions.filter((c) => c['type'] !== next.type), { ...kept }];
}

/** What one sync of the Deployment controller sees. */
export interface DeploymentStatusInput {
  readonly name: string;
  readonly generation: number;
  readonly spec: DeploymentSpec;
  readonly model: DeploymentModel;
  /** The stored status: its counts and conditions are the "before" the controller compares with. */
  readonly oldStatus: JsonObject;
  readonly nowMs: number;
  /** The new ReplicaSet was created in this sync. */
  readonly createdNewSet: boolean;
}

/**
 * The status one sync writes, as upstream computes it: `checkPausedConditions`, the new ReplicaSet's
 * condition (`NewReplicaSetCreated`, or `FoundNewReplicaSet` when there is none), `calculateStatus`
 * (counts; `Available` against replicas − maxUnavailable) and, unless paused, `syncRolloutStatus`
 * (`Progressing`: `NewReplicaSetAvailable` when complete, `ReplicaSetUpdated` with a new lastUpdateTime
 * on any progress, `ProgressDeadlineExceeded` (False) once lastUpdateTime + progressDeadlineSeconds has
 * passed without progress). Zero counts are left out, as the Go type's `omitempty` does.
 */
export function deploymentStatus(input: DeploymentStatusInput): JsonObject {
  const { spec, model, oldStatus, nowMs } = input;
  const now = timestamp(new Date(nowMs));
  const condition = (
    type: string,
    status: DeploymentCondition['status'],
    reason: string,
    message: string,
  ): DeploymentCondition => ({ type, status, lastUpdateTime: now, lastTransitionTime: now, reason, message });
  const hasDeadline = spec.progressDeadlineSeconds !== undefined;
  const newSet = model.sets.find((s) => s.hash === model.newHash);
  const rsName = newSet ? `${input.name}-${newSet.hash}` : undefined;
  const subject = rsName !== undefined ? `ReplicaSet "${rsName}"` : `Deployment "${input.name}"`;

  // The conditions as this sync has them before it computes the new status (d.Status).
  let before = conditionsOf(oldStatus);
  if (hasDeadline) {
    const reason = findCondition(before, PROGRESSING)?.['reason'];
    if (reason !== R.progressDeadlineExceeded) {
      const pausedExists = reason === R.deploymentPaused;
      if (spec.paused && !pausedExists) {
        before = setCondition(
          before,
          condition(PROGRESSING, 'Unknown', R.deploymentPaused, 'Deployment is paused'),
        );
      } else if (!spec.paused && pausedExists) {
        before = setCondition(
          before,
          condition(PROGRESSING, 'Unknown', R.deploymentResumed, 'Deployment is resumed'),
        );
      }
    }
    if (rsName !== undefined && input.createdNewSet) {
      before = setCondition(
        before,
        condition(PROGRESSING, 'True', R.newReplicaSetCreated, `Created new replica set "${rsName}"`),
      );
    } else if (rsName !== undefined && !findCondition(before, PROGRESSING)) {
      before = setCondition(
        before,
        condition(PROGRESSING, 'True', R.foundNewReplicaSet, `Found new replica set "${rsName}"`),
      );
    }
  }

  const replicas = sum(model.sets, 'replicas');
  const available = sum(model.sets, 'ready');
  const counts = {
    observedGeneration: input.generation,
    replicas,
    updatedReplicas: newSet?.replicas ?? 0,
    readyReplicas: available,
    availableReplicas: available,
    unavailableReplicas: Math.max(0, replicas - available),
  };
  let conditions =
    available >= spec.replicas - maxUnavailableOf(spec)
      ? setCondition(
          before,
          condition(AVAILABLE, 'True', R.minimumReplicasAvailable, 'Deployment has minimum availability.'),
        )
      : setCondition(
          before,
          condition(
            AVAILABLE,
            'False',
            R.minimumReplicasUnavailable,
            'Deployment does not have minimum availability.',
          ),
        );

  if (!spec.paused) {
    if (!hasDeadline) conditions = conditions.filter((c) => c['type'] !== PROGRESSING);
    const current = findCondition(before, PROGRESSING);
    const isCompleteDeployment =
      counts.replicas === counts.updatedReplicas && current?.['reason'] === R.newReplicaSetAvailable;
    if (hasDeadline && !isCompleteDeployment) {
      if (isComplete(spec, counts)) {
        conditions = setCondition(
          conditions,
          condition(PROGRESSING, 'True', R.newReplicaSetAvailable, `${subject} has successfully progressed.`),
        );
      } else if (madeProgress(oldStatus, counts)) {
        let updated = condition(PROGRESSING, 'True', R.replicaSetUpdated, `${subject} is progressing.`);
        if (current) {
          if (current['status'] === 'True' && typeof current['lastTransitionTime'] === 'string') {
            updated = { ...updated, lastTransitionTime: current['lastTransitionTime'] };
          }
          conditions = conditions.filter((c) => c['type'] !== PROGRESSING);
        }
        conditions = setCondition(conditions, updated);
      } else if (timedOut(conditions, spec, nowMs)) {
        conditions = setCondition(
          conditions,
          condition(
            PROGRESSING,
            'False',
            R.progressDeadlineExceeded,
            `${subject} has timed out progressing.`,
          ),
        );
      }
    }
  }
  const collision = oldStatus['collisionCount'];
  return omitZero(
    { ...counts, conditions, ...(collision !== undefined ? { collisionCount: collision } : {}) },
    OMITEMPTY,
  );
}

interface Counts {
  observedGeneration: number;
  replicas: number;
  updatedReplicas: number;
  readyReplicas: number;
  availableReplicas: number;
}

/** `DeploymentComplete`: every replica updated and available, nothing old left. */
function isComplete(spec: DeploymentSpec, c: Counts): boolean {
  return (
    c.updatedReplicas === spec.replicas &&
    c.replicas === spec.replicas &&
    c.availableReplicas === spec.replicas
  );
}

/** `DeploymentProgressing`: more updated, fewer old, more ready or more available pods than the stored status says. */
function madeProgress(old: JsonObject, c: Counts): boolean {
  const n = (k: string): number => countAt(old[k], 0);
  return (
    c.updatedReplicas > n('updatedReplicas') ||
    c.replicas - c.updatedReplicas < n('replicas') - n('updatedReplicas') ||
    c.readyReplicas > n('readyReplicas') ||
    c.availableReplicas > n('availableReplicas')
  );
}

/** When the Progressing condition's lastUpdateTime + the deadline has passed (`DeploymentTimedOut`), in ms; undefined if it cannot time out. */
function deadlineOf(conditions: readonly JsonObject[], spec: DeploymentSpec): number | undefined {
  const c = findCondition(conditions, PROGRESSING);
  if (!c || spec.progressDeadlineSeconds === undefined) return undefined;
  if (c['reason'] === R.newReplicaSetAvailable || c['reason'] === R.progressDeadlineExceeded)
    return undefined;
  const from = Date.parse(stringAt(c, 'lastUpdateTime') ?? '');
  return Number.isNaN(from) ? undefined : from + spec.progressDeadlineSeconds * 1000;
}

function timedOut(conditions: readonly JsonObject[], spec: DeploymentSpec, nowMs: number): boolean {
  const c = findCondition(conditions, PROGRESSING);
  if (c?.['reason'] === R.progressDeadlineExceeded) return true;
  const deadline = deadlineOf(conditions, spec);
  return deadline !== undefined && deadline < nowMs;
}

/**
 * When the controller must look again for the progress deadline (`requeueStuckDeployment`): just after
 * the Progressing condition's lastUpdateTime + progressDeadlineSeconds, while a rollout is incomplete.
 */
export function deploymentWakeAt(spec: DeploymentSpec, status: JsonObject): number | undefined {
  if (spec.paused) return undefined;
  const counts: Counts = {
    observedGeneration: countAt(status['observedGeneration'], 0),
    replicas: countAt(status['replicas'], 0),
    updatedReplicas: countAt(status['updatedReplicas'], 0),
    readyReplicas: countAt(status['readyReplicas'], 0),
    availableReplicas: countAt(status['availableReplicas'], 0),
  };
  if (isComplete(spec, counts)) return undefined;
  const deadline = deadlineOf(conditionsOf(status), spec);
  return deadline === undefined ? undefined : deadline + 1;
}

/** The Deployment controller for workload-status.ts. */
export const DEPLOYMENT_PROGRESS: WorkloadProgress<DeploymentModel> = {
  resource: 'apps/deployments',
  initial: () => ({ sets: [], newHash: undefined }),
  targetOf: (d) => templateHash(objectAt(d, 'spec')?.['template']),
  targetOfModel: (m) => m.newHash,
  observe: (m, d, target, failing) => observeDeploymentTemplate(m, target, deploymentSpecOf(d), failing),
  step: (m, d) => stepDeployment(m, deploymentSpecOf(d)),
  status: (m, d, nowMs, createdNewSet) =>
    deploymentStatus({
      name: nameOf(d),
      generation: countAt(objectAt(d, 'metadata')?.['generation'], 0),
      spec: deploymentSpecOf(d),
      model: m,
      oldStatus: objectAt(d, 'status') ?? {},
      nowMs,
      createdNewSet,
    }),
  wakeAt: (d, status) => deploymentWakeAt(deploymentSpecOf(d), status),
};
