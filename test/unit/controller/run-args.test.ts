// `run` flag parsing lives in src/cli/run.ts (owned with the operator); tested here beside it.
import { strict as assert } from 'node:assert';
import { KubeConfig } from '@kubernetes/client-node';
import { RunUsageError, operatorNamespace, parseRunArgs, selectorProblem } from '../../../src/cli/run.js';

describe('run flags', () => {
  it('has the documented defaults', () => {
    const args = parseRunArgs([], {});
    assert.notEqual(args, 'help');
    if (args === 'help') return;
    assert.deepEqual(args, {
      leaderElect: true,
      leaseName: 'etcd-config-operator',
      leaseDurationMs: 15_000,
      renewDeadlineMs: 10_000,
      retryPeriodMs: 2_000,
      metricsAddr: ':8080',
      metricsSecure: true,
      probeAddr: ':8081',
      logLevel: 'info',
      workers: 4,
      resyncPeriodMs: 600_000,
      sourceProbePeriodMs: 10_000,
      rolloutNonConsumers: false,
      secretTargets: false,
      rolloutCronJobs: false,
      rolloutArgoRollouts: false,
      maxConcurrentRollouts: 0,
    });
  });

  it('takes flags over environment over defaults', () => {
    const env = {
      ETCD_CONFIG_OPERATOR_WORKERS: '8',
      ETCD_CONFIG_OPERATOR_LEADER_ELECT: 'false',
      POD_NAMESPACE: 'pod-ns',
      ETCD_CONFIG_OPERATOR_METRICS_ADDR: '0',
    };
    const fromEnv = parseRunArgs([], env);
    assert.ok(fromEnv !== 'help');
    assert.equal(fromEnv.workers, 8);
    assert.equal(fromEnv.leaderElect, false);
    assert.equal(fromEnv.namespace, 'pod-ns');
    assert.equal(fromEnv.metricsAddr, '0');
    const flags = parseRunArgs(
      [
        '--workers=2',
        '--leader-elect',
        '--namespace',
        'ops',
        '--shard-selector',
        'shard=a',
        '--resync-period',
        '30s',
        '--kubeconfig',
        '/k',
      ],
      env,
    );
    assert.ok(flags !== 'help');
    assert.equal(flags.workers, 2);
    assert.equal(flags.leaderElect, true);
    assert.equal(flags.namespace, 'ops');
    assert.equal(flags.shardSelector, 'shard=a');
    assert.equal(flags.resyncPeriodMs, 30_000);
    assert.equal(flags.kubeconfig, '/k');
  });

  it('takes --secret-targets as a flag or from ETCD_CONFIG_OPERATOR_SECRET_TARGETS, refusing a non-boolean', () => {
    assert.equal(
      (parseRunArgs(['--secret-targets=true'], {}) as { secretTargets: boolean }).secretTargets,
      true,
    );
    assert.equal(
      (parseRunArgs([], { ETCD_CONFIG_OPERATOR_SECRET_TARGETS: 'true' }) as { secretTargets: boolean })
        .secretTargets,
      true,
    );
    assert.throws(() => parseRunArgs(['--secret-targets=yes please'], {}), /--secret-targets/);
  });

  it('refuses bad values with a message naming the flag or variable', () => {
    assert.throws(
      () => parseRunArgs(['--workers', '0'], {}),
      (e: Error) => e instanceof RunUsageError && /--workers/.test(e.message),
    );
    assert.throws(() => parseRunArgs(['--leader-elect=maybe'], {}), /--leader-elect/);
    assert.throws(
      () => parseRunArgs([], { ETCD_CONFIG_OPERATOR_LOG_LEVEL: 'loud' }),
      /ETCD_CONFIG_OPERATOR_LOG_LEVEL/,
    );
    assert.throws(() => parseRunArgs(['--metrics-addr', 'nope'], {}), /--metrics-addr/);
    assert.throws(() => parseRunArgs(['--resync-period', 'soon'], {}), /--resync-period/);
    assert.throws(() => parseRunArgs(['--bogus'], {}), /unknown flag/);
    assert.equal(parseRunArgs(['--help'], {}), 'help');
  });

  describe('--shard-selector', () => {
    it('takes every form of kubectl selector', () => {
      for (const ok of [
        'shard=a',
        'shard==a,tier!=b',
        'shard in (a, b),env notin (dev)',
        '!legacy,shard',
        'example.com/shard=a',
        'weight>1,weight<10',
        'shard=',
      ]) {
        assert.equal(selectorProblem(ok), undefined, ok);
        const args = parseRunArgs(['--shard-selector', ok], {});
        assert.ok(args !== 'help' && args.shardSelector === ok);
      }
    });

    it('refuses an unparseable selector before starting, naming the flag and why', () => {
      assert.throws(
        () => parseRunArgs(['--shard-selector', 'a in (b'], {}),
        (e: Error) =>
          e instanceof RunUsageError &&
          /--shard-selector.*'a in \(b'.*unbalanced parentheses/.test(e.message),
      );
      assert.throws(
        () => parseRunArgs([], { ETCD_CONFIG_OPERATOR_SHARD_SELECTOR: 'a in ()' }),
        /ETCD_CONFIG_OPERATOR_SHARD_SELECTOR.*values set can't be empty/,
      );
      for (const bad of [
        'a in (b))',
        'a=b=c',
        'a,,b',
        '=a',
        'a b',
        'bad key!=x',
        'a=b c',
        'a=' + 'x'.repeat(64),
      ])
        assert.notEqual(selectorProblem(bad), undefined, bad);
    });
  });

  it("defaults the namespace to the pod's own, then the kubeconfig context's, then etcd-config-operator", () => {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u', namespace: 'ctx-ns' }],
      currentContext: 'x',
    });
    assert.equal(
      operatorNamespace(kc, () => 'own-ns\n'),
      'own-ns',
    );
    assert.equal(
      operatorNamespace(kc, () => undefined),
      'ctx-ns',
    );
    const bare = new KubeConfig();
    bare.loadFromOptions({
      clusters: [{ name: 'c', server: 'http://127.0.0.1:1' }],
      users: [{ name: 'u' }],
      contexts: [{ name: 'x', cluster: 'c', user: 'u' }],
      currentContext: 'x',
    });
    assert.equal(
      operatorNamespace(bare, () => undefined),
      'etcd-config-operator',
    );
  });
});
