// What a user sees of a failing PrefixSync: one Event when a condition changes, none for retries of
// the same failure; metrics per PrefixSync from its first reconcile (condition gauge, revision lag,
// failures by reason), suspended and never-synced ones included.
import { strict as assert } from 'node:assert';
import type { Manager } from '../../../src/operator/index.js';
import { metricValue } from '../../support/metrics.js';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

describe('PrefixSync Events and metrics (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  let manager: Manager;

  useTestEnv(async (e) => {
    env = e;
    manager = await env.startManager();
  });

  const failures = (ns: string, reason: string): Promise<number | undefined> =>
    metricValue(manager, 'etcdconfig_prefixsync_sync_failures_total', { namespace: ns, name: 'app', reason });
  const condition = (ns: string, type: string, status: string, reason: string): Promise<number | undefined> =>
    metricValue(manager, 'etcdconfig_prefixsync_status_condition', {
      namespace: ns,
      name: 'app',
      type,
      status,
      reason,
    });

  it('50 reconciles of one failure give one Event; the fix gives one more', async () => {
    // A space cannot be in a ConfigMap key.
    const { ns, prefix } = await env.freshApp({}, { good: 'v', 'bad key': 'v' });
    await waitFor(
      'InvalidKey',
      async () => (await env.condition(ns, 'app')) === 'False/InvalidKey' || undefined,
    );
    // Each annotation change queues a reconcile, which meets the same failure again.
    for (let i = 0; i < 50; i++) {
      await env.patchPrefixSync(ns, 'app', { metadata: { annotations: { 'test/poke': String(i) } } });
    }
    await waitFor(
      '50 more attempts',
      async () => ((await failures(ns, 'InvalidKey')) ?? 0) >= 50 || undefined,
    );
    const warnings = (await env.eventRecords(ns, 'app')).filter((e) => e.reason === 'InvalidKey');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]?.count, 1, `the Event was repeated: ${JSON.stringify(warnings)}`);
    assert.equal(await condition(ns, 'Ready', 'False', 'InvalidKey'), 1);

    await env.etcdClient.kv.delete({ key: `${prefix}bad key` });
    await waitFor('synced', async () => (await env.condition(ns, 'app')) === 'True/Synced' || undefined);
    assert.equal(await condition(ns, 'Ready', 'True', 'Synced'), 1);
    assert.equal(
      await condition(ns, 'Ready', 'False', 'InvalidKey'),
      undefined,
      'a stale condition series stayed',
    );
    const synced = (await env.eventRecords(ns, 'app')).filter((e) => e.reason === 'Synced');
    assert.equal(synced.length, 1);
  });

  it('retries of a failing rollout (TargetNotFound) record one Warning', async () => {
    const { ns, prefix } = await env.freshApp(
      { rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: 'missing' }] } },
      { k: '1' },
    );
    await waitFor(
      'first sync',
      async () => (await env.configMap(ns, 'cfg'))?.data?.['k'] === '1' || undefined,
    );
    await env.put(`${prefix}k`, '2');
    await waitFor('retried', async () => ((await failures(ns, 'TargetNotFound')) ?? 0) >= 5 || undefined);
    const warnings = (await env.eventRecords(ns, 'app')).filter((e) => e.reason === 'TargetNotFound');
    assert.equal(warnings.length, 1, JSON.stringify(warnings));
    assert.equal(warnings[0]?.count, 1, JSON.stringify(warnings));
  });

  it('a suspended PrefixSync has its condition series and lag from the first reconcile', async () => {
    const { ns } = await env.freshApp({ suspend: true }, { k: '1' });
    await waitFor(
      'Suspended series',
      async () => (await condition(ns, 'Ready', 'False', 'Suspended')) === 1 || undefined,
    );
    const lag = await waitFor('lag series', async () => {
      const v = await metricValue(manager, 'etcdconfig_prefixsync_revision_lag', {
        namespace: ns,
        name: 'app',
      });
      return v === undefined ? undefined : { v };
    });
    assert.ok(lag.v > 0, `a never-synced PrefixSync lags etcd, got ${lag.v}`);
  });
});
