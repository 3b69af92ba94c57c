// `run --watch-namespaces`: the namespaces of a namespace-scoped install, checked before starting.
import { strict as assert } from 'node:assert';
import { KubeConfig } from '@kubernetes/client-node';
import { RunUsageError, parseRunArgs, type RunArgs } from '../../../src/cli/run.js';
import { Manager } from '../../../src/operator/index.js';

function parse(argv: string[], env: NodeJS.ProcessEnv = {}): RunArgs {
  const args = parseRunArgs(argv, env);
  assert.ok(args !== 'help');
  return args;
}

describe('run --watch-namespaces', () => {
  it('watches every namespace by default, and when given nothing', () => {
    assert.equal(parse([]).watchNamespaces, undefined);
    assert.equal(parse(['--watch-namespaces=']).watchNamespaces, undefined);
    assert.equal(parse([], { ETCD_CONFIG_OPERATOR_WATCH_NAMESPACES: ' ' }).watchNamespaces, undefined);
  });

  it('takes a comma-separated list, by flag or environment, the flag winning', () => {
    assert.deepEqual(parse(['--watch-namespaces', 'shop, pay']).watchNamespaces, ['shop', 'pay']);
    assert.deepEqual(parse([], { ETCD_CONFIG_OPERATOR_WATCH_NAMESPACES: 'a-1' }).watchNamespaces, ['a-1']);
    assert.deepEqual(
      parse(['--watch-namespaces=b'], { ETCD_CONFIG_OPERATOR_WATCH_NAMESPACES: 'a' }).watchNamespaces,
      ['b'],
    );
  });

  it('refuses a name that cannot be a namespace, an empty item or a repeat, naming the flag or variable', () => {
    for (const [argv, env, message] of [
      [['--watch-namespaces=Shop'], {}, /--watch-namespaces: 'Shop' is not a namespace name/],
      [['--watch-namespaces=shop,,pay'], {}, /'' is not a namespace name/],
      [['--watch-namespaces=shop-'], {}, /'shop-' is not a namespace name/],
      [['--watch-namespaces', 'x'.repeat(64)], {}, /is not a namespace name/],
      [['--watch-namespaces=shop,pay,shop'], {}, /'shop' is listed twice/],
      [
        [],
        { ETCD_CONFIG_OPERATOR_WATCH_NAMESPACES: 'a_b' },
        /ETCD_CONFIG_OPERATOR_WATCH_NAMESPACES \(for --watch-namespaces\)/,
      ],
    ] as const) {
      assert.throws(
        () => parseRunArgs(argv, env),
        (err: unknown) => err instanceof RunUsageError && message.test(err.message),
        argv.join(' '),
      );
    }
    assert.doesNotThrow(() => parse(['--watch-namespaces', 'x'.repeat(63)]));
  });

  it('is refused by the Manager too when not unique DNS-1123 labels (for callers that skip the flag parser)', () => {
    const kubeConfig = new KubeConfig();
    for (const watchNamespaces of [['a', 'a'], ['A']]) {
      assert.throws(
        () => new Manager({ kubeConfig, namespace: 'ops', watchNamespaces, leaderElection: false }),
        /watchNamespaces must be unique namespace names/,
      );
    }
  });
});
