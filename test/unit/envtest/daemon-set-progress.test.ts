import { strict as assert } from 'node:assert';
import {
  daemonSetBudgets,
  daemonSetProgress,
  daemonSetSpecOf,
  daemonSetStatus,
  observeDaemonSetTemplate,
  stepDaemonSet,
  type DaemonSetModel,
  type DaemonSetSpec,
} from '../../../src/envtest/kube-sim/daemon-set-progress.js';

const ok = (): boolean => false;
const bad = (): boolean => true;

function spec(over: Partial<DaemonSetSpec> = {}): DaemonSetSpec {
  return { ...daemonSetSpecOf({}), ...over };
}

function empty(nodes: number): DaemonSetModel {
  return daemonSetProgress(nodes).initial();
}

/** Pods per node as `<hash><ready ? '' : '?'>`, a node's pods joined by '+', nodes by ' '. */
const pods = (m: DaemonSetModel): string =>
  m.nodes.map((ps) => ps.map((p) => `${p.hash}${p.ready ? '' : '?'}`).join('+') || '-').join(' ');

function settle(model: DaemonSetModel, s: DaemonSetSpec, max = 200): DaemonSetModel[] {
  const seen = [model];
  for (let i = 0; i < max; i++) {
    const next = stepDaemonSet(seen[seen.length - 1]!, s);
    if (JSON.stringify(next) === JSON.stringify(seen[seen.length - 1])) return seen;
    seen.push(next);
  }
  return assert.fail('the rollout never settled');
}

function atA(nodes: number): DaemonSetModel {
  return settle(observeDaemonSetTemplate(empty(nodes), 'a', ok).model, spec()).pop()!;
}

describe('DaemonSet progress (the simulator’s daemonset controller)', () => {
  it('reads an empty spec as the apiserver defaults it, and resolves its budgets like upstream', () => {
    assert.deepEqual(daemonSetSpecOf({}), {
      updateStrategy: 'RollingUpdate',
      maxUnavailable: 1,
      maxSurge: 0,
    });
    assert.deepEqual(daemonSetBudgets(spec({ maxUnavailable: '10%' }), 5), {
      maxSurge: 0,
      maxUnavailable: 1,
    });
    assert.deepEqual(daemonSetBudgets(spec({ maxUnavailable: 0, maxSurge: 0 }), 5), {
      maxSurge: 0,
      maxUnavailable: 1,
    });
    assert.deepEqual(daemonSetBudgets(spec({ maxUnavailable: 0, maxSurge: '50%' }), 3), {
      maxSurge: 2,
      maxUnavailable: 0,
    });
  });

  it('a new DaemonSet: a pod on every node at once, ready a step later', () => {
    const { model } = observeDaemonSetTemplate(empty(3), 'a', ok);
    const steps = settle(model, spec());
    assert.deepEqual(steps.map(pods), ['- - -', 'a? a? a?', 'a a a']);
    assert.deepEqual(daemonSetStatus(steps[1]!, 1), {
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 0,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberUnavailable: 3,
    });
    assert.deepEqual(daemonSetStatus(steps[2]!, 1), {
      currentNumberScheduled: 3,
      numberMisscheduled: 0,
      desiredNumberScheduled: 3,
      numberReady: 3,
      observedGeneration: 1,
      updatedNumberScheduled: 3,
      numberAvailable: 3,
    });
  });

  it('RollingUpdate with maxUnavailable 1 replaces one node at a time', () => {
    const { model } = observeDaemonSetTemplate(atA(3), 'b', ok);
    assert.deepEqual(settle(model, spec()).map(pods), ['a a a', 'b? a a', 'b b? a', 'b b b?', 'b b b']);
  });

  it('RollingUpdate with maxUnavailable 2 replaces two nodes at a time', () => {
    const { model } = observeDaemonSetTemplate(atA(3), 'b', ok);
    assert.deepEqual(settle(model, spec({ maxUnavailable: 2 })).map(pods), [
      'a a a',
      'b? b? a',
      'b b b?',
      'b b b',
    ]);
  });

  it('maxSurge starts the new pod beside the old one and removes the old one once the new is ready', () => {
    const { model } = observeDaemonSetTemplate(atA(2), 'b', ok);
    const steps = settle(model, spec({ maxSurge: 1, maxUnavailable: 0 }));
    assert.deepEqual(steps.map(pods), ['a a', 'a+b? a', 'b a+b?', 'b b']);
    const st = daemonSetStatus(steps[1]!, 2);
    assert.deepEqual(
      [st['numberReady'], st['updatedNumberScheduled'], st['numberUnavailable']],
      [2, undefined, undefined],
      'a node counts by its oldest pod: the old one, ready, not updated',
    );
  });

  it('OnDelete replaces nothing', () => {
    const { model } = observeDaemonSetTemplate(atA(2), 'b', ok);
    const last = settle(model, spec({ updateStrategy: 'OnDelete' })).pop()!;
    assert.equal(pods(last), 'a a');
    assert.equal(daemonSetStatus(last, 2)['updatedNumberScheduled'], undefined);
  });

  it('a failing rollout stops at maxUnavailable unready nodes; reverting the template replaces them', () => {
    const s = spec();
    const stuck = settle(observeDaemonSetTemplate(atA(3), 'b', bad).model, s).pop()!;
    assert.equal(pods(stuck), 'b? a a');
    assert.deepEqual(
      [daemonSetStatus(stuck, 2)['numberUnavailable'], daemonSetStatus(stuck, 2)['updatedNumberScheduled']],
      [1, 1],
    );
    const reverted = settle(observeDaemonSetTemplate(stuck, 'a', ok).model, s).pop()!;
    assert.equal(pods(reverted), 'a a a');
  });

  it('0 nodes: nothing desired, nothing to do', () => {
    const last = settle(observeDaemonSetTemplate(empty(0), 'a', ok).model, spec()).pop()!;
    assert.deepEqual(daemonSetStatus(last, 1), {
      currentNumberScheduled: 0,
      numberMisscheduled: 0,
      desiredNumberScheduled: 0,
      numberReady: 0,
      observedGeneration: 1,
    });
  });
});
