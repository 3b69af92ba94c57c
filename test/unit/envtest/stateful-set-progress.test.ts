import { strict as assert } from 'node:assert';
import {
  observeStatefulSetRevision,
  statefulSetRevision,
  statefulSetSpecOf,
  statefulSetStatus,
  stepStatefulSet,
  type StatefulSetModel,
  type StatefulSetSpec,
} from '../../../src/envtest/kube-sim/stateful-set-progress.js';

const EMPTY: StatefulSetModel = {
  pods: [],
  currentRevision: undefined,
  updateRevision: undefined,
  failing: {},
};
const ok = (): boolean => false;
const bad = (): boolean => true;

function spec(over: Partial<StatefulSetSpec> = {}): StatefulSetSpec {
  return { ...statefulSetSpecOf({}), ...over };
}

/** Pods as `<revision><ready ? '' : '?'>` by ordinal, e.g. `r1 r1 r2?`. */
const pods = (m: StatefulSetModel): string =>
  m.pods.map((p) => (p ? `${p.revision}${p.ready ? '' : '?'}` : '-')).join(' ');

function settle(model: StatefulSetModel, s: StatefulSetSpec, max = 200): StatefulSetModel[] {
  const seen = [model];
  for (let i = 0; i < max; i++) {
    const next = stepStatefulSet(seen[seen.length - 1]!, s);
    if (JSON.stringify(next) === JSON.stringify(seen[seen.length - 1])) return seen;
    seen.push(next);
  }
  return assert.fail('the rollout never settled');
}

/** A set at revision r1 with `replicas` ready pods. */
function atR1(replicas: number): StatefulSetModel {
  return settle(
    observeStatefulSetRevision(EMPTY, 'r1', spec({ replicas }), ok).model,
    spec({ replicas }),
  ).pop()!;
}

describe('StatefulSet progress (the simulator’s statefulset controller)', () => {
  it('reads an empty spec as the apiserver defaults it', () => {
    assert.deepEqual(statefulSetSpecOf({}), {
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: 'RollingUpdate',
      partition: 0,
    });
  });

  it('names revisions <name>-<hash of the pod template>, equal for equal templates', () => {
    const sts = (image: string): Record<string, unknown> => ({
      metadata: { name: 'db' },
      spec: { template: { spec: { containers: [{ name: 'c', image }] } } },
    });
    assert.match(statefulSetRevision(sts('a')), /^db-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(statefulSetRevision(sts('a')), statefulSetRevision(sts('a')));
    assert.notEqual(statefulSetRevision(sts('a')), statefulSetRevision(sts('b')));
  });

  it('OrderedReady creates one pod at a time, each after the one before is ready', () => {
    const s = spec({ replicas: 3 });
    const { model } = observeStatefulSetRevision(EMPTY, 'r1', s, ok);
    assert.deepEqual(settle(model, s).map(pods), ['', 'r1?', 'r1 r1?', 'r1 r1 r1?', 'r1 r1 r1']);
  });

  it('Parallel creates them all at once', () => {
    const s = spec({ replicas: 3, podManagementPolicy: 'Parallel' });
    const { model } = observeStatefulSetRevision(EMPTY, 'r1', s, ok);
    assert.deepEqual(settle(model, s).map(pods), ['', 'r1? r1? r1?', 'r1 r1 r1']);
  });

  it('a rolling update replaces pods from the highest ordinal down; currentRevision moves at the end', () => {
    const s = spec({ replicas: 3 });
    const { model } = observeStatefulSetRevision(atR1(3), 'r2', s, ok);
    const steps = settle(model, s);
    assert.deepEqual(steps.map(pods), ['r1 r1 r1', 'r1 r1 r2?', 'r1 r2? r2', 'r2? r2 r2', 'r2 r2 r2']);
    assert.deepEqual(
      steps.map((m) => m.currentRevision),
      ['r1', 'r1', 'r1', 'r1', 'r2'],
    );
    assert.deepEqual(statefulSetStatus(steps[2]!, 2), {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 2,
      currentReplicas: 1,
      updatedReplicas: 2,
      currentRevision: 'r1',
      updateRevision: 'r2',
      collisionCount: 0,
      availableReplicas: 2,
    });
    assert.deepEqual(statefulSetStatus(steps[4]!, 2), {
      observedGeneration: 2,
      replicas: 3,
      readyReplicas: 3,
      currentReplicas: 3,
      updatedReplicas: 3,
      currentRevision: 'r2',
      updateRevision: 'r2',
      collisionCount: 0,
      availableReplicas: 3,
    });
  });

  it('honours the partition: ordinals below it stay at the current revision, which stays current', () => {
    const s = spec({ replicas: 3, partition: 2 });
    const last = settle(observeStatefulSetRevision(atR1(3), 'r2', s, ok).model, s).pop()!;
    assert.equal(pods(last), 'r1 r1 r2');
    const st = statefulSetStatus(last, 2);
    assert.deepEqual(
      [st['currentRevision'], st['updateRevision'], st['currentReplicas'], st['updatedReplicas']],
      ['r1', 'r2', 2, 1],
    );
  });

  it('OnDelete: the update revision moves, no pod is replaced', () => {
    const s = spec({ replicas: 2, updateStrategy: 'OnDelete' });
    const last = settle(observeStatefulSetRevision(atR1(2), 'r2', s, ok).model, s).pop()!;
    assert.equal(pods(last), 'r1 r1');
    assert.deepEqual(
      [last.currentRevision, last.updateRevision, statefulSetStatus(last, 2)['updatedReplicas']],
      ['r1', 'r2', undefined],
    );
  });

  it('scales down from the highest ordinal, one at a time (OrderedReady)', () => {
    const s = spec({ replicas: 1 });
    assert.deepEqual(settle(atR1(3), s).map(pods), ['r1 r1 r1', 'r1 r1', 'r1']);
  });

  describe('a failing rollout', () => {
    it('stops at the first replaced pod, which stays unready', () => {
      const s = spec({ replicas: 3 });
      const last = settle(observeStatefulSetRevision(atR1(3), 'r2', s, bad).model, s).pop()!;
      assert.equal(pods(last), 'r1 r1 r2?');
    });

    it('OrderedReady: stays stuck after the template is reverted (upstream’s forced rollback)', () => {
      const s = spec({ replicas: 3 });
      const stuck = settle(observeStatefulSetRevision(atR1(3), 'r2', s, bad).model, s).pop()!;
      const reverted = settle(observeStatefulSetRevision(stuck, 'r1', s, ok).model, s).pop()!;
      assert.equal(pods(reverted), 'r1 r1 r2?');
    });

    it('Parallel: a reverted template replaces the broken pod and completes', () => {
      const s = spec({ replicas: 3, podManagementPolicy: 'Parallel' });
      const start = settle(observeStatefulSetRevision(EMPTY, 'r1', s, ok).model, s).pop()!;
      const stuck = settle(observeStatefulSetRevision(start, 'r2', s, bad).model, s).pop()!;
      assert.equal(pods(stuck), 'r1 r1 r2?');
      const reverted = settle(observeStatefulSetRevision(stuck, 'r1', s, ok).model, s).pop()!;
      assert.equal(pods(reverted), 'r1 r1 r1');
      assert.equal(reverted.currentRevision, 'r1');
    });

    it('a new StatefulSet whose first pod never becomes ready goes no further', () => {
      const s = spec({ replicas: 3 });
      const last = settle(observeStatefulSetRevision(EMPTY, 'r1', s, bad).model, s).pop()!;
      assert.equal(pods(last), 'r1?');
      assert.deepEqual(statefulSetStatus(last, 1), {
        observedGeneration: 1,
        replicas: 1,
        currentReplicas: 1,
        updatedReplicas: 1,
        currentRevision: 'r1',
        updateRevision: 'r1',
        collisionCount: 0,
        availableReplicas: 0,
      });
    });
  });

  it('0 replicas: complete at once, replicas and availableReplicas written as 0', () => {
    const s = spec({ replicas: 0 });
    const last = settle(observeStatefulSetRevision(EMPTY, 'r1', s, ok).model, s).pop()!;
    assert.deepEqual(statefulSetStatus(last, 1), {
      observedGeneration: 1,
      replicas: 0,
      currentRevision: 'r1',
      updateRevision: 'r1',
      collisionCount: 0,
      availableReplicas: 0,
    });
  });
});
