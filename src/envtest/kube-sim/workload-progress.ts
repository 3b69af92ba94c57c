import type { JsonObject } from './json.js';

/** What observing a workload's current pod template did to its model. */
export interface Observed<Model> {
  readonly model: Model;
  /** A rollout started with a new ReplicaSet (Deployments: the `NewReplicaSetCreated` condition). */
  readonly createdNewSet: boolean;
}

/**
 * One workload kind's controller as kube-controller-manager runs it, reduced to pure functions over a
 * model of the workload's pods (no pods exist in the simulator; the model is their stand-in). The
 * stateful part (workload-status.ts) reads the workload, calls these and writes the status they return.
 * Every function is pure: same inputs, same result, inputs never mutated.
 */
export interface WorkloadProgress<Model> {
  /** The storage key of the kind (`apps/deployments`). */
  readonly resource: string;
  /** The model of a workload not seen before: no pods. */
  initial(): Model;
  /** What the workload's current pod template rolls out to (a template hash or a revision name). */
  targetOf(workload: JsonObject): string;
  /** What the model rolls out to now; undefined before the first observation. */
  targetOfModel(model: Model): string | undefined;
  /**
   * The workload's template asks for `target`, which differs from the model's: a rollout of it starts
   * (restarting any rollout under way, as the real controllers do). `failing` says whether it fails; it
   * is called at most once, only when a rollout starts.
   */
  observe(model: Model, workload: JsonObject, target: string, failing: () => boolean): Observed<Model>;
  /** One step of simulated time: pods created in the previous step become ready, then the controller acts. */
  step(model: Model, workload: JsonObject): Model;
  /** The status the controller writes for `model`, given the stored workload (its status is the old one). */
  status(model: Model, workload: JsonObject, nowMs: number, createdNewSet: boolean): JsonObject;
  /** When the controller must look again although no step is due (a progress deadline), if ever. */
  wakeAt(workload: JsonObject, status: JsonObject): number | undefined;
}

/** A whole number ≥ 0 at `v`, else `fallback`. */
export function countAt(v: unknown, fallback: number): number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0 ? v : fallback;
}

/** `status` without the fields that are zero and `omitempty` in the Go type (as the apiserver serialises it). */
export function omitZero(status: JsonObject, omitempty: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(status)) {
    if (v === undefined) continue;
    if (omitempty.includes(k) && (v === 0 || v === '' || (Array.isArray(v) && v.length === 0))) continue;
    out[k] = v;
  }
  return out;
}
