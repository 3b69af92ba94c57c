// `run --rollout-cronjobs` / `--rollout-argo-rollouts`: the opt-in workload kinds, and what reaches the
// manager.
import { strict as assert } from 'node:assert';
import { RunUsageError, parseRunArgs, rolloutKinds, type RunArgs } from '../../../src/cli/run.js';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): RunArgs {
  const args = parseRunArgs(argv, env);
  assert.ok(args !== 'help');
  return args;
}

describe('run --rollout-cronjobs and --rollout-argo-rollouts', () => {
  it('rolls only the apps kinds by default', () => {
    const args = parse([]);
    assert.equal(args.rolloutCronJobs, false);
    assert.equal(args.rolloutArgoRollouts, false);
    assert.deepEqual(rolloutKinds(args), ['Deployment', 'StatefulSet', 'DaemonSet']);
  });

  it('adds CronJob and Rollout when switched on, by flag or environment', () => {
    assert.deepEqual(rolloutKinds(parse(['--rollout-cronjobs=true'])), [
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'CronJob',
    ]);
    assert.deepEqual(rolloutKinds(parse(['--rollout-argo-rollouts', 'true'])), [
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'Rollout',
    ]);
    const fromEnv = parse([], {
      ETCD_CONFIG_OPERATOR_ROLLOUT_CRONJOBS: '1',
      ETCD_CONFIG_OPERATOR_ROLLOUT_ARGO_ROLLOUTS: 'yes',
    });
    assert.deepEqual(rolloutKinds(fromEnv), ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Rollout']);
    assert.equal(
      parse(['--rollout-cronjobs=false'], { ETCD_CONFIG_OPERATOR_ROLLOUT_CRONJOBS: 'true' }).rolloutCronJobs,
      false,
      'the flag wins',
    );
  });

  it('refuses a value that is not a boolean, naming the flag or variable', () => {
    assert.throws(
      () => parseRunArgs(['--rollout-cronjobs=maybe'], {}),
      (err: unknown) =>
        err instanceof RunUsageError && /--rollout-cronjobs: 'maybe' is not true or false/.test(err.message),
    );
    assert.throws(
      () => parseRunArgs([], { ETCD_CONFIG_OPERATOR_ROLLOUT_ARGO_ROLLOUTS: 'Rollout' }),
      (err: unknown) =>
        err instanceof RunUsageError &&
        /ETCD_CONFIG_OPERATOR_ROLLOUT_ARGO_ROLLOUTS \(for --rollout-argo-rollouts\): 'Rollout' is not true or false/.test(
          err.message,
        ),
    );
    assert.throws(
      () => parseRunArgs(['--rollout-kinds=CronJob'], {}),
      /unknown flag '--rollout-kinds=CronJob'/,
    );
  });
});
