import { strict as assert } from 'node:assert';
import { RUN_USAGE, RunUsageError, parseRunArgs, type RunArgs } from '../../../src/cli/run.js';

// The leader-election timing flags of `run`: parsed as Go durations, checked against each other with
// the same rules as the elector, so a bad combination is refused at start with a message naming the flags.
function parse(argv: string[], env: NodeJS.ProcessEnv = {}): RunArgs {
  const args = parseRunArgs(argv, env);
  assert.notEqual(args, 'help');
  return args as RunArgs;
}

describe('run: --lease-duration, --renew-deadline, --retry-period', () => {
  it('defaults to 15s / 10s / 2s', () => {
    const args = parse([]);
    assert.deepEqual(
      [args.leaseDurationMs, args.renewDeadlineMs, args.retryPeriodMs],
      [15_000, 10_000, 2_000],
    );
  });

  it('reads Go durations from flags, and from the environment when no flag is given', () => {
    const args = parse(['--lease-duration=1m', '--renew-deadline', '40s'], {
      ETCD_CONFIG_OPERATOR_RENEW_DEADLINE: '5s',
      ETCD_CONFIG_OPERATOR_RETRY_PERIOD: '1500ms',
    });
    assert.deepEqual(
      [args.leaseDurationMs, args.renewDeadlineMs, args.retryPeriodMs],
      [60_000, 40_000, 1_500],
    );
  });

  const refused: [string[], NodeJS.ProcessEnv, RegExp][] = [
    [
      ['--lease-duration=4s', '--renew-deadline=4s', '--retry-period=1s'],
      {},
      /--renew-deadline = 4s must be less than --lease-duration = 4s/,
    ],
    [
      ['--lease-duration=4s', '--renew-deadline=3s', '--retry-period=2600ms'],
      {},
      /--renew-deadline = 3s must exceed --retry-period = 2.6s × 1.2/,
    ],
    [['--lease-duration=2500ms'], {}, /--lease-duration: must be whole seconds/],
    [['--lease-duration=500ms'], {}, /--lease-duration: must be at least 1000 ms/],
    [['--retry-period=soon'], {}, /--retry-period: 'soon' is not a duration/],
    [
      [],
      { ETCD_CONFIG_OPERATOR_LEASE_DURATION: '8s' },
      /--renew-deadline \(default\) = 10s must be less than ETCD_CONFIG_OPERATOR_LEASE_DURATION \(for --lease-duration\) = 8s/,
    ],
  ];
  for (const [argv, env, message] of refused) {
    it(`refuses ${[...argv, ...Object.entries(env).map(([k, v]) => `${k}=${v}`)].join(' ')}`, () => {
      assert.throws(
        () => parseRunArgs(argv, env),
        (err: unknown) => err instanceof RunUsageError && message.test(err.message),
      );
    });
  }

  it('shows each in --help with its environment variable', () => {
    for (const [flag, env] of [
      ['--lease-duration', 'ETCD_CONFIG_OPERATOR_LEASE_DURATION'],
      ['--renew-deadline', 'ETCD_CONFIG_OPERATOR_RENEW_DEADLINE'],
      ['--retry-period', 'ETCD_CONFIG_OPERATOR_RETRY_PERIOD'],
    ] as const) {
      assert.match(RUN_USAGE, new RegExp(`^  ${flag} DUR[\\s\\S]*?\\[${env}\\]`, 'm'));
    }
  });
});
