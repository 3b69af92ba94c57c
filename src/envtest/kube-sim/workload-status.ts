import { realClock, type Clock } from '../../base/index.js';
import { jsonEqual, objectAt, stringAt, type JsonObject } from './json.js';
import { isDeleting, uidOf } from './object-meta.js';
import type { Change, ObjectStore } from './object-store.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceApi } from './resource-api.js';
import type { ResourceType } from './resource-type.js';
import { ApiError } from './status-error.js';
import { DEPLOYMENT_PROGRESS } from './deployment-progress.js';
import { daemonSetProgress } from './daemon-set-progress.js';
import { STATEFUL_SET_PROGRESS } from './stateful-set-progress.js';
import { rolloutFails } from './workload-faults.js';
import type { WorkloadProgress } from './workload-progress.js';

/** Default time between two steps of a rollout: short, so that tests are quick. */
export const DEFAULT_ROLLOUT_STEP_MS = 250;
/** Default number of simulated nodes (a DaemonSet's desiredNumberScheduled). */
export const DEFAULT_SIMULATED_NODES = 1;
const MAX_ROLLOUT_STEP_MS = 3_600_000;
const MAX_SIMULATED_NODES = 10_000;
const CONFIG_MAPS = '/configmaps';

/** Options of the simulator's workload controllers (`KubeSimOptions.workloads`). */
export interface WorkloadSimOptions {
  /**
   * Time between two steps of a rollout, in ms (default {@link DEFAULT_ROLLOUT_STEP_MS}): one step
   * after a new template is observed its new pods exist, one more and they are ready, and so on within
   * the kind's surge/unavailability limits. 0 steps on the next turn of the event loop.
   */
  stepDelayMs?: number;
  /** Simulated nodes every DaemonSet runs on (default {@link DEFAULT_SIMULATED_NODES}); 0 is allowed. */
  nodes?: number;
  /** Time and timers (default: the wall clock); condition times are taken from it. */
  clock?: Clock;
}

type State = 'running' | 'closed';

/** A workload the controller has seen, and where its rollout is. */
interface Tracked<Model> {
  /** The object's uid: a workload deleted and created again under the same name starts afresh. */
  readonly uid: string;
  /** Its pods, as the kind's pure functions see them. */
  model: Model;
  /** When the next step of the model is due; undefined while the model cannot move by itself. */
  stepAt: number | undefined;
  /** A new ReplicaSet was created and no status has said so yet. */
  createdNewSet: boolean;
  /** The one pending timer (a step or a progress deadline) and its time; undefined when none is. */
  timer: { readonly at: number; readonly cancel: () => void } | undefined;
  /** resourceVersion of our last status write: its change event needs no sync. */
  writtenRv: string | undefined;
}

/** What the controller needs of one kind's loop; see {@link KindLoop}. */
interface KindSync {
  sync(namespace: string, name: string): void;
  onChange(change: Change): void;
  close(): void;
}

function workloadKey(resource: string, namespace: string, name: string): string {
  return `${resource}\u0000${namespace}\u0000${name}`;
}

/**
 * The simulator's kube-controller-manager for Deployments, StatefulSets and DaemonSets: moves their
 * `status` as the real workload controllers do, over a model of pods that exist only here. When a
 * workload's pod template changes (or it is created) a rollout starts — restarting one under way — and
 * advances one step every `stepDelayMs`; the sim.etcdconfig.dev fail switch (workload-faults.ts),
 * read when a rollout starts, keeps its new pods unready. Everything is event and timer driven: store
 * changes are noticed synchronously and synced on the next turn of the event loop; a workload has at
 * most one timer (its next step or its progress deadline). Status is written through the internal API's
 * status subresource with the resourceVersion read (a conflict is synced again from a fresh read).
 */
export class WorkloadStatusController {
  /** 'closed' only through close(): from then on nothing is synced, written or scheduled. */
  private state: State = 'running';
  /** storage key (`apps/deployments`) → that kind's loop */
  private readonly kinds = new Map<string, KindSync>();
  /** `workloadKey`s to sync in the next pass. */
  private readonly dirty = new Set<string>();
  /** The pending pass; undefined when none is scheduled. */
  private scheduled: NodeJS.Immediate | undefined;
  /** Ends the store subscription (called once, by close()). */
  private readonly unsubscribe: () => void;

  /** Validates `options` (RangeError naming the bad one) and starts following the store's changes. */
  constructor(
    private readonly store: ObjectStore,
    registry: ResourceRegistry,
    api: () => ResourceApi,
    options: WorkloadSimOptions = {},
  ) {
    const stepDelayMs = options.stepDelayMs ?? DEFAULT_ROLLOUT_STEP_MS;
    if (!Number.isInteger(stepDelayMs) || stepDelayMs < 0 || stepDelayMs > MAX_ROLLOUT_STEP_MS)
      throw new RangeError(`workloads.stepDelayMs must be a whole number of ms in 0..${MAX_ROLLOUT_STEP_MS}`);
    const nodes = options.nodes ?? DEFAULT_SIMULATED_NODES;
    if (!Number.isInteger(nodes) || nodes < 0 || nodes > MAX_SIMULATED_NODES)
      throw new RangeError(`workloads.nodes must be a whole number in 0..${MAX_SIMULATED_NODES}`);
    const env: LoopEnv = {
      store,
      api,
      clock: options.clock ?? realClock,
      stepDelayMs,
      requestSync: (key) => this.markDirty(key),
    };
    const loop = <Model>(plural: string, progress: WorkloadProgress<Model>): void => {
      const type = registry.lookup('apps', 'v1', plural);
      if (!type) throw new Error(`kube-sim: apps/v1 ${plural} is not registered`);
      this.kinds.set(progress.resource, new KindLoop(type, progress, env));
    };
    loop('deployments', DEPLOYMENT_PROGRESS);
    loop('statefulsets', STATEFUL_SET_PROGRESS);
    loop('daemonsets', daemonSetProgress(nodes));
    this.unsubscribe = store.subscribe((c) => {
      if (this.state === 'running') this.kinds.get(c.resource)?.onChange(c);
    });
  }

  /** Stops: no more syncs or writes; every timer is cancelled. Idempotent. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.unsubscribe();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    this.dirty.clear();
    for (const k of this.kinds.values()) k.close();
  }

  private markDirty(key: string): void {
    if (this.state !== 'running') return;
    this.dirty.add(key);
    this.scheduled ??= setImmediate(() => {
      this.scheduled = undefined;
      this.pass();
    });
  }

  /** Syncs every dirty workload once (syncs that mark more leave them for the next pass). */
  private pass(): void {
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const key of batch) {
      if (this.state !== 'running') return;
      const [resource = '', namespace = '', name = ''] = key.split('\u0000');
      this.kinds.get(resource)?.sync(namespace, name);
    }
  }
}

/** What a kind's loop shares with the controller. */
interface LoopEnv {
  readonly store: ObjectStore;
  readonly api: () => ResourceApi;
  readonly clock: Clock;
  readonly stepDelayMs: number;
  /** Syncs the workload in the controller's next pass. */
  readonly requestSync: (key: string) => void;
}

/** One kind's workloads: their models and timers, and the sync that applies the kind's pure functions. */
class KindLoop<Model> implements KindSync {
  /** `workloadKey` → a workload seen and not deleted since */
  private readonly tracked = new Map<string, Tracked<Model>>();

  constructor(
    private readonly type: ResourceType,
    private readonly progress: WorkloadProgress<Model>,
    private readonly env: LoopEnv,
  ) {}

  onChange(c: Change): void {
    const m = objectAt(c.object, 'metadata') ?? {};
    const key = workloadKey(c.resource, stringAt(m, 'namespace') ?? '', stringAt(m, 'name') ?? '');
    const t = this.tracked.get(key);
    if (c.type === 'DELETED') {
      if (t?.uid === uidOf(c.object)) this.forget(key);
      return;
    }
    if (t && t.writtenRv !== undefined && t.writtenRv === stringAt(m, 'resourceVersion')) return;
    this.env.requestSync(key);
  }

  /**
   * Level-based: reads the workload, starts a rollout when its template is not the one the model
   * rolls out to, takes a step if one is due, writes the status if it differs, and sets the next timer.
   */
  sync(namespace: string, name: string): void {
    const { store, clock, stepDelayMs } = this.env;
    const key = workloadKey(this.progress.resource, namespace, name);
    const obj = store.get(this.progress.resource, namespace, name);
    if (!obj || isDeleting(obj)) {
      this.forget(key);
      return;
    }
    let t = this.tracked.get(key);
    if (t && t.uid !== uidOf(obj)) {
      this.forget(key);
      t = undefined;
    }
    if (!t) {
      t = {
        uid: uidOf(obj),
        model: this.progress.initial(),
        stepAt: undefined,
        createdNewSet: false,
        timer: undefined,
        writtenRv: undefined,
      };
      this.tracked.set(key, t);
    }
    const now = clock.now();
    const target = this.progress.targetOf(obj);
    if (target !== this.progress.targetOfModel(t.model)) {
      const observed = this.progress.observe(t.model, obj, target, () =>
        rolloutFails(obj, (cm) => store.get(CONFIG_MAPS, namespace, cm)),
      );
      if (!jsonEqual(observed.model, t.model)) {
        // A rollout starts (or restarts on a newer template): its first step is a full delay away.
        t.model = observed.model;
        t.stepAt = now + stepDelayMs;
      }
      t.createdNewSet ||= observed.createdNewSet;
    }
    if (t.stepAt !== undefined && now >= t.stepAt) {
      t.model = this.progress.step(t.model, obj);
      t.stepAt = undefined;
    }
    if (t.stepAt === undefined && !jsonEqual(this.progress.step(t.model, obj), t.model)) {
      t.stepAt = now + stepDelayMs;
    }
    const status = this.progress.status(t.model, obj, now, t.createdNewSet);
    if (jsonEqual(status, obj['status'] ?? {})) t.createdNewSet = false;
    else this.write(key, t, obj, status);
    if (this.tracked.get(key) === t) this.setTimer(key, t, now, status, obj);
  }

  /** Writes `status` at the resourceVersion read; a conflict is synced again from a fresh read. */
  private write(key: string, t: Tracked<Model>, obj: JsonObject, status: JsonObject): void {
    const m = objectAt(obj, 'metadata') ?? {};
    try {
      const result = this.env.api().update(
        {
          type: this.type,
          namespace: stringAt(m, 'namespace') ?? '',
          name: stringAt(m, 'name') ?? '',
          subresource: 'status',
          query: new URLSearchParams(),
          // Who writes workload status on a cluster (its managedFields entry).
          userAgent: 'kube-controller-manager/v1.33.0 (linux/amd64) kubernetes/sim',
        },
        { ...obj, status },
      );
      t.writtenRv = stringAt(objectAt(result.body, 'metadata'), 'resourceVersion');
      t.createdNewSet = false;
    } catch (e) {
      if (!(e instanceof ApiError)) throw e;
      if (e.code === 404) this.forget(key);
      // 409: someone wrote in between; read again and retry. Anything else waits for the next change.
      else if (e.code === 409) this.env.requestSync(key);
    }
  }

  /** Keeps one timer at the earlier of the next step and the kind's wake-up (progress deadline). */
  private setTimer(key: string, t: Tracked<Model>, now: number, status: JsonObject, obj: JsonObject): void {
    const wake = this.progress.wakeAt(obj, status);
    const times = [t.stepAt, wake].filter((x): x is number => x !== undefined);
    const at = times.length === 0 ? undefined : Math.min(...times);
    if (t.timer?.at === at) return;
    t.timer?.cancel();
    t.timer = undefined;
    if (at === undefined) return;
    const cancel = this.env.clock.setTimer(() => {
      if (t.timer?.cancel === cancel) t.timer = undefined;
      this.env.requestSync(key);
    }, at - now);
    t.timer = { at, cancel };
  }

  private forget(key: string): void {
    this.tracked.get(key)?.timer?.cancel();
    this.tracked.delete(key);
  }

  close(): void {
    for (const t of this.tracked.values()) t.timer?.cancel();
    this.tracked.clear();
  }
}
