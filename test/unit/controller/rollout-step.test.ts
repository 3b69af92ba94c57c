// The rollout step of a sync against an in-memory WorkloadApi, status computed by nextStatus as the
// reconciler does: targets are checked from the first sync, nothing is patched unless due, a started
// rollout is followed to its end, and minInterval coalesces changes.
import { strict as assert } from 'node:assert';
import type { V1Deployment } from '@kubernetes/client-node';
import {
  resolvePrefixSyncSpec,
  type PrefixSync,
  type PrefixSyncSpec,
  type ResolvedPrefixSyncSpec,
} from '../../../src/api/index.js';
import { nextStatus, type WorkloadApi } from '../../../src/controller/index.js';
import { RolloutSlots } from '../../../src/controller/prefixsync/rollout-slots.js';
import { rolloutStep } from '../../../src/controller/prefixsync/rollout-step.js';
import type { RolloutOutcome } from '../../../src/controller/prefixsync/status.js';
import {
  NotFoundError,
  ServerError,
  podTemplateOf,
  type Workload,
  type WorkloadRef,
} from '../../../src/kube/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import type { ReconcileContext } from '../../../src/runtime/index.js';
import { prefixSync } from './fixtures.js';

const HASH = 'config-hash.etcdconfig.dev/app';
const LEGACY = 'etcdconfig.dev/config-hash';
const ctx: ReconcileContext = {
  signal: new AbortController().signal,
  logger: silentLogger,
  reconcileId: 'r1',
};

function deployment(name: string, hash?: string): V1Deployment {
  return {
    metadata: { name, namespace: 'team', generation: 1 },
    status: { observedGeneration: 1, replicas: 1, updatedReplicas: 1, availableReplicas: 1 },
    spec: {
      selector: {},
      template: {
        metadata: hash ? { annotations: { [HASH]: hash } } : {},
        spec: {
          containers: [{ name: 'c', image: 'x' }],
          volumes: [{ name: 'v', configMap: { name: 'cfg' } }],
        },
      },
    },
  };
}

/**
 * Workloads by `Kind/name`; records every call; `failGets`/`failPatches` make those calls fail with a
 * 500. A patch bumps the generation; the next read finds the rollout done, unless `stuck` names the
 * workload (then its new pods never become available).
 */
class FakeWorkloads implements WorkloadApi {
  readonly objects = new Map<string, Workload>();
  readonly calls: string[] = [];
  readonly failGets = new Set<string>();
  readonly failPatches = new Set<string>();
  readonly stuck = new Set<string>();

  get(ref: WorkloadRef): Promise<Workload> {
    const key = `${ref.kind}/${ref.name}`;
    this.calls.push(`get ${key}`);
    if (this.failGets.has(key))
      return Promise.reject(new ServerError('etcdserver: timeout', 500, 'InternalError'));
    const w = this.objects.get(key);
    if (w && !this.stuck.has(key))
      w.status = { ...w.status, observedGeneration: w.metadata?.generation ?? 0 };
    return w
      ? Promise.resolve(structuredClone(w))
      : Promise.reject(new NotFoundError(`${key} not found`, 404, 'NotFound'));
  }

  list(kind: WorkloadRef['kind']): Promise<{ items: Workload[]; resourceVersion: string }> {
    this.calls.push(`list ${kind}`);
    const items = [...this.objects]
      .filter(([k]) => k.startsWith(`${kind}/`))
      .map(([, w]) => structuredClone(w));
    return Promise.resolve({ items, resourceVersion: '1' });
  }

  patchPodTemplateAnnotations(
    ref: WorkloadRef,
    annotations: Readonly<Record<string, string | null>>,
  ): Promise<Workload> {
    const key = `${ref.kind}/${ref.name}`;
    this.calls.push(`patch ${key}=${String(annotations[HASH])}`);
    if (this.failPatches.has(key))
      return Promise.reject(new ServerError('admission webhook timed out', 500, 'InternalError'));
    const w = this.objects.get(key);
    if (!w) return Promise.reject(new NotFoundError(`${key} not found`, 404, 'NotFound'));
    const template = podTemplateOf(w);
    if (template) {
      const merged: Record<string, string> = { ...template.metadata?.annotations };
      for (const [k, v] of Object.entries(annotations)) {
        if (v === null) delete merged[k];
        else merged[k] = v;
      }
      template.metadata = { ...template.metadata, annotations: merged };
    }
    if (w.metadata) w.metadata.generation = (w.metadata.generation ?? 0) + 1;
    return Promise.resolve(structuredClone(w));
  }

  patches(): string[] {
    return this.calls.filter((c) => c.startsWith('patch '));
  }
}

/** A PrefixSync and its status, driven through rollOutIfChanged and nextStatus as one reconcile would. */
class Harness {
  psync: PrefixSync;
  readonly spec: ResolvedPrefixSyncSpec;
  /** The clock of the step and of status. */
  now = new Date('2026-01-01T00:00:00Z');
  /** The operator-wide rollout slots, if a test shares some. */
  slots: RolloutSlots | undefined;

  constructor(
    readonly api: FakeWorkloads,
    rollout: PrefixSyncSpec['rollout'],
  ) {
    this.psync = prefixSync({ rollout });
    const resolved = resolvePrefixSyncSpec(this.psync.spec);
    if (!resolved.ok) throw new Error('fixture spec is invalid');
    this.spec = resolved.spec;
  }

  /** One sync of content `hash`: the rollout step, then status. */
  async sync(hash: string): Promise<RolloutOutcome> {
    const rollout = await rolloutStep(
      { workloads: this.api, now: () => this.now, ...(this.slots ? { slots: this.slots } : {}) },
      this.psync,
      this.spec,
      hash,
      ctx,
    );
    const status = nextStatus(
      this.psync.status,
      {
        kind: 'synced',
        configMap: 'cfg',
        prefix: '/app/',
        revision: 5n,
        contentHash: hash,
        keyCount: 1,
        byteCount: 1,
        rollout,
      },
      3,
      this.now,
    );
    this.psync = { ...this.psync, status };
    return rollout;
  }

  condition(type: string): string | undefined {
    const c = this.psync.status?.conditions?.find((x) => x.type === type);
    return c && `${c.status}/${c.reason}`;
  }
}

const templateHashOf = (w: Workload | undefined): string | undefined =>
  (w && podTemplateOf(w))?.metadata?.annotations?.[HASH];

const targets = (...names: string[]): PrefixSyncSpec['rollout'] => ({
  mode: 'targets',
  targets: names.map((name) => ({ kind: 'Deployment' as const, name })),
});

describe('the rollout step (rolloutStep)', () => {
  describe('with mode targets, when no rollout is due', () => {
    it('reports a target that does not exist from the first sync, and patches nothing', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, targets('web', 'later'));
      const outcome = await h.sync('h1');
      assert.equal(outcome.kind, 'failed');
      if (outcome.kind === 'failed') {
        assert.equal(outcome.reason, 'TargetNotFound');
        assert.match(outcome.message, /not found in team: Deployment later \(/);
      }
      assert.deepEqual(api.calls, ['get Deployment/web', 'get Deployment/later']);
      assert.equal(h.condition('RolledOut'), 'False/TargetNotFound');
      assert.equal(h.condition('Ready'), 'False/TargetNotFound');
    });

    it('once the target exists, says InitialSync and restarts nothing (it started with the content)', async () => {
      const api = new FakeWorkloads();
      const h = new Harness(api, targets('later'));
      await h.sync('h1');
      api.objects.set('Deployment/later', deployment('later'));
      assert.deepEqual(await h.sync('h1'), { kind: 'initial' });
      assert.deepEqual(api.patches(), []);
      assert.equal(h.condition('RolledOut'), 'True/InitialSync');
      assert.equal(h.condition('Ready'), 'True/Synced');
      assert.equal(h.psync.status?.contentHash, 'h1');
    });

    it('keeps RolledOut as it is while every target exists', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, targets('web'));
      assert.deepEqual(await h.sync('h1'), { kind: 'initial' });
      assert.deepEqual(await h.sync('h1'), { kind: 'unchanged' });
      assert.deepEqual(api.patches(), []);
    });

    it('reports a target deleted later, keeping the workloads status lists as rolled', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, targets('web'));
      await h.sync('h1');
      await h.sync('h2');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2']);
      const rolled = h.psync.status?.rolledOut;
      assert.deepEqual(rolled, [{ kind: 'Deployment', name: 'web', hash: 'h2' }]);
      api.objects.delete('Deployment/web');
      const outcome = await h.sync('h2');
      assert.equal(outcome.kind === 'failed' && outcome.reason, 'TargetNotFound');
      assert.deepEqual(h.psync.status?.rolledOut, rolled);
      assert.equal(h.condition('RolledOut'), 'False/TargetNotFound');
    });

    it('a target that cannot be read is RolloutFailed, not a missing one', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      api.failGets.add('Deployment/web');
      const h = new Harness(api, targets('web'));
      const outcome = await h.sync('h1');
      assert.equal(outcome.kind === 'failed' && outcome.reason, 'RolloutFailed');
      assert.match(
        outcome.kind === 'failed' ? outcome.message : '',
        /reading rollout targets failed: Deployment web: /,
      );
    });
  });

  describe('when a rollout is due', () => {
    it('rolls a target created after a missing-target failure once content changes again', async () => {
      const api = new FakeWorkloads();
      const h = new Harness(api, targets('later'));
      await h.sync('h1');
      api.objects.set('Deployment/later', deployment('later'));
      await h.sync('h1');
      assert.deepEqual(api.patches(), []);
      const outcome = await h.sync('h2');
      assert.equal(outcome.kind, 'progressing');
      assert.deepEqual(api.patches(), ['patch Deployment/later=h2']);
      assert.equal(h.condition('RolledOut'), 'Unknown/Progressing');
      assert.equal((await h.sync('h2')).kind, 'complete');
      assert.equal(h.condition('RolledOut'), 'True/RolledOut');
    });

    it('a target patched before another was found missing is not patched again on the retry', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      api.objects.set('Deployment/later', deployment('later'));
      const h = new Harness(api, targets('web', 'later'));
      await h.sync('h1');
      api.objects.delete('Deployment/later');
      const failed = await h.sync('h2');
      assert.equal(failed.kind === 'failed' && failed.reason, 'TargetNotFound');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2']);
      await h.sync('h2');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2'], 'web carries h2 already');
    });

    it('an existing target whose patch failed gets the hash on the retry', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, targets('web'));
      await h.sync('h1');
      api.failPatches.add('Deployment/web');
      const failed = await h.sync('h2');
      assert.equal(failed.kind === 'failed' && failed.reason, 'RolloutFailed');
      assert.equal(h.psync.status?.contentHash, 'h1', 'the failed rollout stays due');
      api.failPatches.clear();
      assert.equal((await h.sync('h2')).kind, 'progressing');
      assert.equal(templateHashOf(api.objects.get('Deployment/web')), 'h2');
      assert.equal((await h.sync('h2')).kind, 'complete');
      assert.equal(h.condition('RolledOut'), 'True/RolledOut');
    });
  });

  describe('a content change while a target is missing', () => {
    // Pending on src/controller/prefixsync/status.ts: nextStatus keeps status.contentHash on every failed
    // rollout, so after a first sync that found a target missing the hash stays unrecorded and the next
    // change is taken for a first sync (nothing rolled). It must advance on TargetNotFound, which rollOut
    // and the check report only when every workload that exists carries (or started with) the hash.
    it('rolls the targets that exist, and does not restart the missing one once it is created', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, targets('web', 'later'));
      await h.sync('h1');
      assert.equal(h.condition('RolledOut'), 'False/TargetNotFound');
      await h.sync('h2');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2']);
      api.objects.set('Deployment/later', deployment('later'));
      assert.deepEqual(await h.sync('h2'), { kind: 'initial' });
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2'], 'later started with h2');
      assert.equal(h.condition('RolledOut'), 'True/InitialSync');
    });

    it('restarts a target that appears together with newer content (it may run the older one)', async () => {
      const api = new FakeWorkloads();
      const h = new Harness(api, targets('later'));
      await h.sync('h1');
      api.objects.set('Deployment/later', deployment('later'));
      await h.sync('h2');
      assert.deepEqual(api.patches(), ['patch Deployment/later=h2']);
      await h.sync('h2');
      assert.equal(h.condition('RolledOut'), 'True/RolledOut');
    });
  });

  describe('mode auto', () => {
    it('reads nothing and patches nothing when no rollout is due', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, { mode: 'auto' });
      assert.deepEqual(await h.sync('h1'), { kind: 'initial' });
      assert.deepEqual(await h.sync('h1'), { kind: 'unchanged' });
      assert.deepEqual(api.calls, []);
    });
  });

  describe('rollOut reasons', () => {
    it('a workload that exists but cannot be read or patched makes it RolloutFailed, naming the missing ones too', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, targets('web', 'broken', 'later'));
      api.objects.set('Deployment/broken', deployment('broken'));
      api.objects.set('Deployment/later', deployment('later'));
      await h.sync('h1');
      api.objects.delete('Deployment/later');
      api.failGets.add('Deployment/broken');
      const outcome = await h.sync('h2');
      assert.equal(outcome.kind, 'failed');
      if (outcome.kind === 'failed') {
        assert.equal(outcome.reason, 'RolloutFailed');
        assert.match(outcome.message, /Deployment broken: .*; not found: Deployment later$/);
        assert.deepEqual(outcome.rolled, [{ kind: 'Deployment', name: 'web', hash: 'h2' }]);
      }
    });
  });

  describe('following a rollout', () => {
    it('Progressing until the workload runs the content, then RolledOut; Ready follows RolledOut', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      api.stuck.add('Deployment/web');
      const h = new Harness(api, targets('web'));
      await h.sync('h1');
      const started = await h.sync('h2');
      assert.equal(started.kind === 'progressing' && started.started, true);
      assert.equal(h.psync.status?.rollout?.phase, 'Progressing');
      assert.equal(h.psync.status?.rollout?.startTime, '2026-01-01T00:00:00Z');
      const waiting = await h.sync('h2');
      assert.equal(waiting.kind, 'progressing');
      assert.match(
        waiting.kind === 'progressing' ? waiting.message : '',
        /Deployment web: waiting for its controller/,
      );
      assert.equal(h.condition('Ready'), 'Unknown/Progressing');
      api.stuck.clear();
      assert.equal((await h.sync('h2')).kind, 'complete');
      assert.equal(h.psync.status?.rollout?.phase, 'Complete');
      assert.equal(h.condition('Ready'), 'True/Synced');
      assert.deepEqual(
        await h.sync('h2'),
        { kind: 'unchanged' },
        'a completed rollout is not followed again',
      );
    });

    it('fails past rollout.progressDeadline naming the workload, and is not retried', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      api.stuck.add('Deployment/web');
      const h = new Harness(api, { ...targets('web'), progressDeadline: '30s' });
      await h.sync('h1');
      await h.sync('h2');
      h.now = new Date('2026-01-01T00:00:30.998Z');
      assert.equal((await h.sync('h2')).kind, 'progressing', 'startTime has whole seconds: never early');
      h.now = new Date('2026-01-01T00:00:30.999Z');
      const failed = await h.sync('h2');
      assert.equal(failed.kind === 'failed' && failed.unhealthy, true);
      assert.match(
        failed.kind === 'failed' ? failed.message : '',
        /did not complete within the progress deadline \(30s\): Deployment web/,
      );
      assert.equal(h.condition('RolledOut'), 'False/RolloutFailed');
      assert.equal(h.psync.status?.rollout?.phase, 'Failed');
      assert.equal(h.psync.status?.contentHash, 'h2', 'a rollout that did not come up is not patched again');
      api.stuck.clear();
      assert.deepEqual(await h.sync('h2'), { kind: 'unchanged' });
      assert.equal(h.condition('RolledOut'), 'False/RolloutFailed', 'stays failed until new content');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2']);
    });

    it("fails at once on a Deployment's ProgressDeadlineExceeded", async () => {
      const api = new FakeWorkloads();
      const web = deployment('web');
      api.objects.set('Deployment/web', web);
      const h = new Harness(api, targets('web'));
      await h.sync('h1');
      await h.sync('h2');
      web.status = {
        ...web.status,
        conditions: [
          {
            type: 'Progressing',
            status: 'False',
            reason: 'ProgressDeadlineExceeded',
            message: 'ReplicaSet "web-2" has timed out progressing.',
          },
        ],
      };
      const failed = await h.sync('h2');
      assert.match(
        failed.kind === 'failed' ? failed.message : '',
        /Deployment web exceeded its progress deadline \(ReplicaSet "web-2" has timed out/,
      );
    });

    it('a pod template rolled elsewhere (kubectl rollout undo) fails the rollout', async () => {
      const api = new FakeWorkloads();
      const web = deployment('web');
      api.objects.set('Deployment/web', web);
      api.stuck.add('Deployment/web');
      const h = new Harness(api, targets('web'));
      await h.sync('h1');
      await h.sync('h2');
      const template = podTemplateOf(web);
      if (template) template.metadata = { annotations: { [HASH]: 'h1' } };
      const failed = await h.sync('h2');
      assert.match(failed.kind === 'failed' ? failed.message : '', /carries content hash h1, not h2/);
    });
  });

  describe('one annotation per PrefixSync', () => {
    it('an upgrade from the single annotation restarts nothing; the next rollout sets its own and the summary in one patch', async () => {
      const api = new FakeWorkloads();
      const web = deployment('web');
      const template = podTemplateOf(web);
      if (template) template.metadata = { annotations: { [LEGACY]: 'h1', other: 'kept' } };
      api.objects.set('Deployment/web', web);
      const h = new Harness(api, targets('web'));
      h.psync = { ...h.psync, status: { contentHash: 'h1' } };
      assert.deepEqual(await h.sync('h1'), { kind: 'initial' });
      assert.deepEqual(api.patches(), [], 'same content after the upgrade: nothing restarted');
      await h.sync('h2');
      assert.deepEqual(podTemplateOf(api.objects.get('Deployment/web')!)?.metadata?.annotations, {
        other: 'kept',
        [HASH]: 'h2',
        [LEGACY]: 'h2',
      });
    });
  });

  describe('rollout.minInterval', () => {
    it('writes nothing to the workloads until the interval has passed, then rolls the latest content once', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const h = new Harness(api, { ...targets('web'), minInterval: '10s' });
      await h.sync('h1');
      await h.sync('h2');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2'], 'the first change rolls at once');
      h.now = new Date('2026-01-01T00:00:03Z');
      const delayed = await h.sync('h3');
      assert.equal(delayed.kind, 'delayed');
      assert.equal(
        delayed.kind === 'delayed' && delayed.requeueAfterMs,
        7999,
        'from the end of the second it rolled in',
      );
      assert.equal(h.condition('RolledOut'), 'Unknown/RolloutDelayed');
      assert.equal(h.psync.status?.contentHash, 'h2', 'still due');
      h.now = new Date('2026-01-01T00:00:06Z');
      assert.equal((await h.sync('h4')).kind, 'delayed');
      h.now = new Date('2026-01-01T00:00:10.998Z');
      assert.equal((await h.sync('h4')).kind, 'delayed');
      h.now = new Date('2026-01-01T00:00:10.999Z');
      assert.equal((await h.sync('h4')).kind, 'progressing');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2', 'patch Deployment/web=h4']);
    });
  });

  describe('targets that do not use the ConfigMap', () => {
    it('are neither restarted nor silently passed over: TargetNotConsumer names them', async () => {
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      const other = deployment('other');
      const spec = podTemplateOf(other)?.spec;
      if (spec) spec.volumes = [{ name: 'v', configMap: { name: 'someone-elses' } }];
      api.objects.set('Deployment/other', other);
      const h = new Harness(api, targets('web', 'other'));
      const first = await h.sync('h1');
      assert.equal(first.kind === 'failed' && first.reason, 'TargetNotConsumer');
      await h.sync('h2');
      assert.deepEqual(api.patches(), ['patch Deployment/web=h2']);
      assert.equal(h.condition('RolledOut'), 'False/TargetNotConsumer');
      assert.match(
        h.psync.status?.conditions?.find((c) => c.type === 'RolledOut')?.message ?? '',
        /Deployment other does not use ConfigMap cfg/,
      );
    });
  });

  describe('--max-concurrent-rollouts', () => {
    it('a rollout waits for a free slot while others are in progress, and starts once one ends', async () => {
      const slots = new RolloutSlots(1);
      const api = new FakeWorkloads();
      api.objects.set('Deployment/web', deployment('web'));
      api.stuck.add('Deployment/web');
      const a = new Harness(api, targets('web'));
      a.slots = slots;
      const b = new Harness(api, targets('web'));
      b.slots = slots;
      b.psync = { ...b.psync, metadata: { ...b.psync.metadata, name: 'other' } };
      await a.sync('h1');
      await b.sync('g1');
      assert.equal((await a.sync('h2')).kind, 'progressing');
      const waiting = await b.sync('g2');
      assert.equal(waiting.kind, 'delayed');
      assert.match(waiting.kind === 'delayed' ? waiting.message : '', /rollout slots is free/);
      assert.equal(b.condition('RolledOut'), 'Unknown/RolloutDelayed');
      api.stuck.clear();
      assert.equal((await a.sync('h2')).kind, 'complete');
      assert.equal(slots.inUse, 0);
      assert.equal((await b.sync('g2')).kind, 'progressing');
    });
  });
});
