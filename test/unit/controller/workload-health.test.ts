// The health of an opt-in workload kind, as a table: a CronJob has nothing to follow; an Argo Rollout is
// judged from its own status, as `kubectl argo rollouts status` judges it.
import { strict as assert } from 'node:assert';
import type { V1CronJob } from '@kubernetes/client-node';
import { workloadHealth } from '../../../src/controller/prefixsync/workload-health.js';
import type { ArgoRollout, ArgoRolloutCondition } from '../../../src/kube/index.js';

function rollout(generation: number, status: ArgoRollout['status']): ArgoRollout {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'checkout', namespace: 'shop', generation },
    spec: { template: { spec: { containers: [{ name: 'app', image: 'shop' }] } } },
    ...(status ? { status } : {}),
  };
}

const progressing = (reason: string, message = ''): ArgoRolloutCondition => ({
  type: 'Progressing',
  status: reason === 'NewReplicaSetAvailable' ? 'True' : 'False',
  reason,
  message,
});

describe('workload health of the opt-in kinds', () => {
  it('a CronJob is done at once: its next Job runs the new content, running Jobs keep theirs', () => {
    const cronJob: V1CronJob = {
      metadata: { name: 'nightly', generation: 7 },
      spec: { schedule: '0 3 * * *', jobTemplate: { spec: { template: { spec: { containers: [] } } } } },
      status: { active: [{ name: 'nightly-1' }] },
    };
    const health = workloadHealth('CronJob', cronJob);
    assert.equal(health.state, 'done');
    assert.match(health.message, /next Job runs the new content/);
  });

  describe('an Argo Rollout', () => {
    const cases: Array<[string, ArgoRollout, 'done' | 'progressing' | 'failed', RegExp]> = [
      [
        'no status yet',
        rollout(2, undefined),
        'progressing',
        /observe generation 2 \(status.observedGeneration unset\)/,
      ],
      [
        'an older generation observed (a string, as most Argo releases write it)',
        rollout(3, { observedGeneration: '2', phase: 'Healthy' }),
        'progressing',
        /observe generation 3 \(status.observedGeneration "2"\)/,
      ],
      [
        'a non-numeric observedGeneration (Argo before 1.0 wrote a hash) never matches',
        rollout(3, { observedGeneration: '7c9f5d', phase: 'Healthy' }),
        'progressing',
        /"7c9f5d"/,
      ],
      [
        'Healthy at the generation (a string)',
        rollout(3, { observedGeneration: '3', phase: 'Healthy' }),
        'done',
        /Healthy/,
      ],
      [
        'Healthy at the generation (a number)',
        rollout(3, { observedGeneration: 3, phase: 'Healthy' }),
        'done',
        /Healthy/,
      ],
      [
        'Progressing',
        rollout(3, {
          observedGeneration: '3',
          phase: 'Progressing',
          message: 'more replicas need to be updated',
        }),
        'progressing',
        /is progressing: more replicas need to be updated/,
      ],
      [
        'Paused at a canary step or an analysis',
        rollout(3, { observedGeneration: '3', phase: 'Paused', message: 'CanaryPauseStep' }),
        'progressing',
        /paused \(canary step \/ analysis\): CanaryPauseStep/,
      ],
      [
        'Degraded, with its message',
        rollout(3, {
          observedGeneration: '3',
          phase: 'Degraded',
          message: 'RolloutAborted: analysis error-rate failed',
        }),
        'failed',
        /is Degraded \(RolloutAborted: analysis error-rate failed\)/,
      ],
      [
        'the Progressing condition says RolloutAborted (whatever the phase)',
        rollout(3, {
          observedGeneration: '3',
          phase: 'Progressing',
          conditions: [progressing('RolloutAborted', 'Rollout aborted update to revision 4')],
        }),
        'failed',
        /reports RolloutAborted \(Rollout aborted update to revision 4\)/,
      ],
      [
        'the Progressing condition says ProgressDeadlineExceeded',
        rollout(3, {
          observedGeneration: 3,
          phase: 'Progressing',
          conditions: [
            progressing('ProgressDeadlineExceeded', 'ReplicaSet "checkout-5d" has timed out progressing.'),
          ],
        }),
        'failed',
        /reports ProgressDeadlineExceeded/,
      ],
      [
        'an InvalidSpec condition',
        rollout(3, {
          observedGeneration: '3',
          phase: 'Degraded',
          conditions: [{ type: 'InvalidSpec', status: 'True', message: 'The Rollout is invalid' }],
        }),
        'failed',
        /invalid spec \(The Rollout is invalid\)/,
      ],
      [
        'a failure condition of an earlier generation does not count before the new one is observed',
        rollout(4, {
          observedGeneration: '3',
          phase: 'Degraded',
          conditions: [progressing('RolloutAborted')],
        }),
        'progressing',
        /observe generation 4/,
      ],
      [
        'no phase (Argo Rollouts before 1.0)',
        rollout(1, { observedGeneration: '1' }),
        'progressing',
        /no status.phase yet/,
      ],
    ];
    for (const [what, r, state, message] of cases) {
      it(`${what}: ${state}`, () => {
        const health = workloadHealth('Rollout', r);
        assert.equal(health.state, state, health.message);
        assert.match(health.message, message);
      });
    }
  });
});
