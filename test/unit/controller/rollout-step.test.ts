// The rollout step of a sync against an in-memory WorkloadApi, status computed by nextStatus as the
// reconciler does: targets are checked from the first sync, and nothing is patched unless due.
import { strict as assert } from 'node:assert';
import type { V1Deployment } from '@kubernetes/client-node';
import {
  resolvePrefixSyncSpec,
  type PrefixSync,
  type PrefixSyncSpec,
  type ResolvedPrefixSyncSpec,
} from '../../../src/api/index.js';
import { nextStatus, type WorkloadApi } from '../../../src/controller/index.js';
import { rollOutIfChanged } from '../../../src/controller/prefixsync/rollout.js';
import type { RolloutOutcome } from '../../../src/controller/prefixsync/status.js';
import { NotFoundError, ServerError, type Workload, type WorkloadRef } from '../../../src/kube/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import type { ReconcileContext } from '../../../src/runtime/index.js';
import { prefixSync } from './fixtures.js';

const HASH = 'etcdconfig.dev/config-hash';
const ctx: ReconcileContext = {
  signal: new AbortController().signal,
  logger: silentLogger,
  reconcileId: 'r1',
};

function deployment(name: string, hash?: string): V1Deployment {
  return {
    metadata: { name, namespace: 'team' },
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

/** Workloads by `Kind/name`; records every call; `failGets`/`failPatches` make those calls fail with a 500. */
class FakeWorkloads implements WorkloadApi {
  readonly objects = new Map<string, Workload>();
  readonly calls: string[] = [];
  readonly failGets = new Set<string>();
  readonly failPatches = new Set<string>();

  get(ref: WorkloadRef): Promise<Workload> {
    const key = `${ref.kind}/${ref.name}`;
    this.calls.push(`get ${key}`);
    if (this.failGets.has(key))
      return Promise.reject(new ServerError('etcdserver: timeout', 500, 'InternalError'));
    const w = this.objects.get(key);
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
    const template = w.spec?.template;
    if (template)
      template.metadata = {
        ...template.metadata,
        annotations: { ...template.metadata?.annotations, [HASH]: String(annotations[HASH]) },
      };
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
    const rollout = await rollOutIfChanged(this.api, this.psync, this.spec, hash, ctx);
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
      new Date('2026-01-01T00:00:00Z'),
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
  w?.spec?.template.metadata?.annotations?.[HASH];

const targets = (...names: string[]): PrefixSyncSpec['rollout'] => ({
  mode: 'targets',
  targets: names.map((name) => ({ kind: 'Deployment' as const, name })),
});

describe('the rollout step (rollOutIfChanged)', () => {
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
      assert.equal(outcome.kind, 'rolled');
      assert.deepEqual(api.patches(), ['patch Deployment/later=h2']);
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
      assert.equal((await h.sync('h2')).kind, 'rolled');
      assert.equal(templateHashOf(api.objects.get('Deployment/web')), 'h2');
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
});
