import { strict as assert } from 'node:assert';
import {
  deploymentSpecOf,
  deploymentStatus,
  deploymentWakeAt,
  fenceposts,
  maxUnavailableOf,
  observeDeploymentTemplate,
  stepDeployment,
  type DeploymentModel,
  type DeploymentSpec,
} from '../../../src/envtest/kube-sim/deployment-progress.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const NO_SETS: DeploymentModel = { sets: [], newHash: undefined };

function spec(over: Partial<DeploymentSpec> = {}): DeploymentSpec {
  return { ...deploymentSpecOf({ spec: {} }), ...over };
}

const ok = (): boolean => false;
const bad = (): boolean => true;

/** Steps until nothing moves; returns every model on the way (the first is `model` itself). */
function settle(model: DeploymentModel, s: DeploymentSpec, max = 200): DeploymentModel[] {
  const seen = [model];
  for (let i = 0; i < max; i++) {
    const next = stepDeployment(seen[seen.length - 1]!, s);
    if (JSON.stringify(next) === JSON.stringify(seen[seen.length - 1])) return seen;
    seen.push(next);
  }
  return assert.fail('the rollout never settled');
}

/** A Deployment whose template `a` is fully rolled out with `replicas` ready pods. */
function rolledOut(replicas: number): DeploymentModel {
  return { sets: [{ hash: 'a', replicas, ready: replicas, failing: false }], newHash: 'a' };
}

const counts = (m: DeploymentModel): string =>
  m.sets.map((s) => `${s.hash}:${s.ready}/${s.replicas}`).join(' ');

describe('Deployment progress (the simulator’s deployment controller)', () => {
  describe('spec defaults and fenceposts', () => {
    it('reads an empty spec as the apiserver defaults it', () => {
      assert.deepEqual(deploymentSpecOf({}), {
        replicas: 1,
        strategy: 'RollingUpdate',
        maxSurge: '25%',
        maxUnavailable: '25%',
        progressDeadlineSeconds: 600,
        paused: false,
        revisionHistoryLimit: 10,
      });
      assert.equal(
        deploymentSpecOf({ spec: { progressDeadlineSeconds: 2_147_483_647 } }).progressDeadlineSeconds,
        undefined,
        'MaxInt32 is no deadline',
      );
    });

    const table: Array<[number, string | number, string | number, number, number, number]> = [
      // replicas, maxSurge, maxUnavailable → surge, unavailable, MaxUnavailable
      [1, '25%', '25%', 1, 0, 0],
      [4, '25%', '25%', 1, 1, 1],
      [10, '25%', '25%', 3, 2, 2],
      [3, 0, 0, 0, 1, 1],
      [5, 2, '0%', 2, 0, 0],
      [2, 0, 5, 0, 5, 2],
      [0, '25%', '25%', 0, 1, 0],
    ];
    for (const [replicas, maxSurge, maxUnavailable, surge, unavailable, capped] of table) {
      it(`${replicas} replicas, maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable}: surge ${surge}, unavailable ${unavailable} (capped ${capped})`, () => {
        const s = spec({ replicas, maxSurge, maxUnavailable });
        assert.deepEqual(fenceposts(s), { maxSurge: surge, maxUnavailable: unavailable });
        assert.equal(maxUnavailableOf(s), capped);
      });
    }
    it('has no unavailability budget under Recreate', () => {
      assert.equal(maxUnavailableOf(spec({ replicas: 4, strategy: 'Recreate' })), 0);
    });
  });

  describe('a new Deployment', () => {
    it('creates its pods one step after the ReplicaSet, and they are ready a step later', () => {
      const s = spec({ replicas: 3 });
      const { model, createdNewSet } = observeDeploymentTemplate(NO_SETS, 'a', s, ok);
      assert.equal(createdNewSet, true);
      assert.deepEqual(settle(model, s).map(counts), ['a:0/0', 'a:0/3', 'a:3/3']);
    });

    it('with 0 replicas has nothing to do', () => {
      const s = spec({ replicas: 0 });
      const { model } = observeDeploymentTemplate(NO_SETS, 'a', s, ok);
      assert.deepEqual(settle(model, s).map(counts), ['a:0/0']);
    });

    it('whose rollout fails keeps its pods unready for good', () => {
      const s = spec({ replicas: 2 });
      const { model } = observeDeploymentTemplate(NO_SETS, 'a', s, bad);
      assert.deepEqual(settle(model, s).map(counts), ['a:0/0', 'a:0/2']);
    });
  });

  describe('a template change (RollingUpdate)', () => {
    const table: Array<[number, string | number, string | number]> = [
      [1, '25%', '25%'],
      [3, '25%', '25%'],
      [4, '25%', '25%'],
      [10, '25%', '25%'],
      [5, 0, 1],
      [5, 2, 0],
      [6, '50%', '50%'],
    ];
    for (const [replicas, maxSurge, maxUnavailable] of table) {
      it(`${replicas} replicas, maxSurge ${maxSurge}, maxUnavailable ${maxUnavailable}: stays within both limits and ends with only new ready pods`, () => {
        const s = spec({ replicas, maxSurge, maxUnavailable });
        const { surge, unavailable } = {
          surge: fenceposts(s).maxSurge,
          unavailable: maxUnavailableOf(s),
        };
        const { model } = observeDeploymentTemplate(rolledOut(replicas), 'b', s, ok);
        const steps = settle(model, s);
        for (const m of steps) {
          const total = m.sets.reduce((n, x) => n + x.replicas, 0);
          const ready = m.sets.reduce((n, x) => n + x.ready, 0);
          assert.ok(total <= replicas + surge, `${counts(m)}: more than ${replicas}+${surge} pods`);
          assert.ok(
            ready >= replicas - unavailable,
            `${counts(m)}: fewer than ${replicas}-${unavailable} ready`,
          );
        }
        const last = steps[steps.length - 1]!;
        assert.deepEqual(
          last.sets.map((x) => [x.hash, x.replicas, x.ready]),
          [
            ['a', 0, 0],
            ['b', replicas, replicas],
          ],
        );
        assert.ok(steps.length > 2, 'the rollout took more than one step');
      });
    }

    it('that fails stops with the old pods available and the surge pod unready', () => {
      const s = spec({ replicas: 3 });
      const { model } = observeDeploymentTemplate(rolledOut(3), 'b', s, bad);
      const steps = settle(model, s);
      assert.equal(counts(steps[steps.length - 1]!), 'a:3/3 b:0/1');
    });

    it('back to an old template after a failure reuses its ReplicaSet and removes the failed pods', () => {
      const s = spec({ replicas: 3 });
      const failed = settle(observeDeploymentTemplate(rolledOut(3), 'b', s, bad).model, s).pop()!;
      const back = observeDeploymentTemplate(failed, 'a', s, ok);
      assert.equal(back.createdNewSet, false, 'the old ReplicaSet is found, not created');
      assert.equal(counts(settle(back.model, s).pop()!), 'a:3/3 b:0/0');
    });

    it('restarts for the newest template when another arrives mid-rollout', () => {
      const s = spec({ replicas: 4 });
      const midway = stepDeployment(
        stepDeployment(observeDeploymentTemplate(rolledOut(4), 'b', s, ok).model, s),
        s,
      );
      assert.ok(midway.sets.find((x) => x.hash === 'b')!.replicas > 0, 'b had started');
      const next = observeDeploymentTemplate(midway, 'c', s, ok);
      assert.equal(next.model.newHash, 'c');
      const last = settle(next.model, s).pop()!;
      assert.deepEqual(
        last.sets.filter((x) => x.replicas > 0).map((x) => [x.hash, x.ready]),
        [['c', 4]],
      );
    });
  });

  it('Recreate takes every old pod down first, then creates the new ones', () => {
    const s = spec({ replicas: 2, strategy: 'Recreate' });
    const { model } = observeDeploymentTemplate(rolledOut(2), 'b', s, ok);
    assert.deepEqual(settle(model, s).map(counts), [
      'a:2/2 b:0/0',
      'a:0/0 b:0/0',
      'a:0/0 b:0/2',
      'a:0/0 b:2/2',
    ]);
  });

  it('paused: creates no ReplicaSet for a new template, and rolls it once resumed', () => {
    const paused = spec({ replicas: 2, paused: true });
    const seen = observeDeploymentTemplate(rolledOut(2), 'b', paused, ok);
    assert.equal(seen.model.newHash, undefined);
    assert.equal(settle(seen.model, paused).length, 1, 'nothing moves while paused');
    const resumed = spec({ replicas: 2 });
    const rolled = settle(observeDeploymentTemplate(seen.model, 'b', resumed, ok).model, resumed).pop()!;
    assert.equal(counts(rolled), 'a:0/0 b:2/2');
  });

  it('keeps at most revisionHistoryLimit old empty ReplicaSets', () => {
    const s = spec({ replicas: 1, revisionHistoryLimit: 2 });
    let m = settle(observeDeploymentTemplate(NO_SETS, 'h0', s, ok).model, s).pop()!;
    for (let i = 1; i <= 5; i++) m = settle(observeDeploymentTemplate(m, `h${i}`, s, ok).model, s).pop()!;
    assert.deepEqual(
      m.sets.map((x) => x.hash),
      ['h3', 'h4', 'h5'],
    );
  });

  describe('status', () => {
    const iso = (ms: number): string => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const base = { name: 'web', generation: 1, createdNewSet: false };
    const progressing = (
      reason: string,
      status: string,
      at: number,
      since = at,
    ): Record<string, unknown> => ({
      type: 'Progressing',
      status,
      reason,
      lastUpdateTime: iso(at),
      lastTransitionTime: iso(since),
      message: 'x',
    });
    const conditionOf = (st: Record<string, unknown>, type: string): Record<string, unknown> | undefined =>
      (st['conditions'] as Array<Record<string, unknown>>).find((c) => c['type'] === type);

    it('of a ReplicaSet just created: NewReplicaSetCreated, and not available', () => {
      const s = spec({ replicas: 2 });
      const st = deploymentStatus({
        ...base,
        spec: s,
        model: observeDeploymentTemplate(NO_SETS, 'a', s, ok).model,
        oldStatus: {},
        nowMs: T0,
        createdNewSet: true,
      });
      assert.deepEqual(st, {
        observedGeneration: 1,
        conditions: [
          {
            type: 'Progressing',
            status: 'True',
            lastUpdateTime: iso(T0),
            lastTransitionTime: iso(T0),
            reason: 'NewReplicaSetCreated',
            message: 'Created new replica set "web-a"',
          },
          {
            type: 'Available',
            status: 'False',
            lastUpdateTime: iso(T0),
            lastTransitionTime: iso(T0),
            reason: 'MinimumReplicasUnavailable',
            message: 'Deployment does not have minimum availability.',
          },
        ],
      });
    });

    it('on progress: ReplicaSetUpdated with a new lastUpdateTime, lastTransitionTime kept', () => {
      const s = spec({ replicas: 2 });
      const st = deploymentStatus({
        ...base,
        spec: s,
        model: { sets: [{ hash: 'a', replicas: 2, ready: 0, failing: false }], newHash: 'a' },
        oldStatus: { conditions: [progressing('NewReplicaSetCreated', 'True', T0)] },
        nowMs: T0 + 5_000,
      });
      assert.equal(st['updatedReplicas'], 2);
      assert.equal(st['unavailableReplicas'], 2);
      assert.deepEqual(conditionOf(st, 'Progressing'), {
        ...progressing('ReplicaSetUpdated', 'True', T0 + 5_000, T0),
        message: 'ReplicaSet "web-a" is progressing.',
      });
    });

    it('when complete: NewReplicaSetAvailable and Available', () => {
      const s = spec({ replicas: 2 });
      const st = deploymentStatus({
        ...base,
        spec: s,
        model: rolledOut(2),
        oldStatus: {
          updatedReplicas: 2,
          replicas: 2,
          conditions: [progressing('ReplicaSetUpdated', 'True', T0)],
        },
        nowMs: T0 + 1_000,
      });
      assert.deepEqual(
        [
          st['replicas'],
          st['updatedReplicas'],
          st['readyReplicas'],
          st['availableReplicas'],
          st['unavailableReplicas'],
        ],
        [2, 2, 2, 2, undefined],
      );
      assert.equal(conditionOf(st, 'Progressing')!['reason'], 'NewReplicaSetAvailable');
      assert.equal(
        conditionOf(st, 'Progressing')!['message'],
        'ReplicaSet "web-a" has successfully progressed.',
      );
      assert.equal(conditionOf(st, 'Available')!['status'], 'True');
    });

    describe('the progress deadline', () => {
      const s = spec({ replicas: 1, progressDeadlineSeconds: 10 });
      const stuck: DeploymentModel = {
        sets: [
          { hash: 'a', replicas: 1, ready: 1, failing: false },
          { hash: 'b', replicas: 1, ready: 0, failing: true },
        ],
        newHash: 'b',
      };
      const old = {
        replicas: 2,
        updatedReplicas: 1,
        readyReplicas: 1,
        availableReplicas: 1,
        conditions: [progressing('ReplicaSetUpdated', 'True', T0, T0 - 60_000)],
      };
      const at = (nowMs: number): Record<string, unknown> =>
        deploymentStatus({ ...base, spec: s, model: stuck, oldStatus: old, nowMs });

      it('is not exceeded at lastUpdateTime + progressDeadlineSeconds', () => {
        assert.equal(conditionOf(at(T0 + 10_000), 'Progressing')!['reason'], 'ReplicaSetUpdated');
      });
      it('is exceeded just after: Progressing False/ProgressDeadlineExceeded, both times now', () => {
        assert.deepEqual(conditionOf(at(T0 + 10_001), 'Progressing'), {
          ...progressing('ProgressDeadlineExceeded', 'False', T0 + 10_001),
          message: 'ReplicaSet "web-b" has timed out progressing.',
        });
      });
      it('wakes the controller just after it', () => {
        assert.equal(deploymentWakeAt(s, old), T0 + 10_001);
        assert.equal(deploymentWakeAt(s, at(T0 + 10_001)), undefined, 'not again once exceeded');
      });
      it('is not watched for a complete rollout, nor without a deadline', () => {
        const done = { replicas: 1, updatedReplicas: 1, availableReplicas: 1, conditions: old.conditions };
        assert.equal(deploymentWakeAt(s, done), undefined);
        assert.equal(deploymentWakeAt(spec({ progressDeadlineSeconds: undefined }), old), undefined);
      });
      it('a new template after it: NewReplicaSetCreated replaces the False condition', () => {
        const st = deploymentStatus({
          ...base,
          spec: s,
          model: observeDeploymentTemplate(stuck, 'c', s, ok).model,
          oldStatus: at(T0 + 10_001),
          nowMs: T0 + 20_000,
          createdNewSet: true,
        });
        assert.deepEqual(
          [conditionOf(st, 'Progressing')!['status'], conditionOf(st, 'Progressing')!['reason']],
          ['True', 'NewReplicaSetCreated'],
        );
        assert.equal(conditionOf(st, 'Progressing')!['lastTransitionTime'], iso(T0 + 20_000));
      });
    });

    it('paused: Progressing Unknown/DeploymentPaused, then DeploymentResumed', () => {
      const paused = deploymentStatus({
        ...base,
        spec: spec({ paused: true }),
        model: rolledOut(1),
        oldStatus: { conditions: [progressing('NewReplicaSetAvailable', 'True', T0)] },
        nowMs: T0 + 1_000,
      });
      assert.deepEqual(
        [conditionOf(paused, 'Progressing')!['status'], conditionOf(paused, 'Progressing')!['reason']],
        ['Unknown', 'DeploymentPaused'],
      );
      const resumed = deploymentStatus({
        ...base,
        spec: spec(),
        model: { ...rolledOut(1), newHash: 'a' },
        oldStatus: { ...paused, replicas: 1, updatedReplicas: 1, availableReplicas: 1, readyReplicas: 1 },
        nowMs: T0 + 2_000,
      });
      assert.equal(conditionOf(resumed, 'Progressing')!['reason'], 'NewReplicaSetAvailable');
    });

    it('without a progress deadline has no Progressing condition', () => {
      const st = deploymentStatus({
        ...base,
        spec: spec({ progressDeadlineSeconds: undefined }),
        model: rolledOut(1),
        oldStatus: {},
        nowMs: T0,
        createdNewSet: true,
      });
      assert.equal(conditionOf(st, 'Progressing'), undefined);
    });

    it('is the same status when nothing changed (no write, no loop)', () => {
      const s = spec({ replicas: 2 });
      const first = deploymentStatus({ ...base, spec: s, model: rolledOut(2), oldStatus: {}, nowMs: T0 });
      const again = deploymentStatus({
        ...base,
        spec: s,
        model: rolledOut(2),
        oldStatus: first,
        nowMs: T0 + 60_000,
      });
      assert.deepEqual(again, first);
    });
  });
});
