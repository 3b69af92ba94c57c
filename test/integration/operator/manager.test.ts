// The Manager in-process: leader election gating the controllers, /metrics, /healthz and /readyz, and a
// start before the CRDs exist.
import { strict as assert } from 'node:assert';
import type { Manager } from '../../../src/operator/index.js';
import type { TestEnv } from '../controller/support.js';
import { OPEN_SOURCE, useTestEnv, installCrds, waitFor } from '../controller/support.js';
import { openMirrors } from '../../support/metrics.js';

async function get(port: number | undefined, path: string): Promise<{ status: number; body: string }> {
  assert.ok(port, 'endpoint not bound');
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** Fast lease timings for tests (a standby takes over within ~2 s of a crash, at once after a release). */
const FAST_LEASE = { leaseDurationMs: 2_000, renewDeadlineMs: 1_500, retryPeriodMs: 250 };

describe('Manager (real etcd + simulator)', function () {
  this.timeout(60_000);

  describe('with leader election', () => {
    let env: TestEnv;
    useTestEnv((e) => {
      env = e;
    });

    it('only the leader acts; both are ready; the standby takes over when the leader stops', async () => {
      const options = {
        leaderElection: true,
        probeAddr: '127.0.0.1:0',
        metricsAddr: '127.0.0.1:0',
        ...FAST_LEASE,
      };
      const a = await env.startManager({ ...options, identity: 'a' });
      await waitFor('a leads', () => a.isActing);
      const b = await env.startManager({ ...options, identity: 'b' });
      await waitFor(
        'both ready',
        async () =>
          (await get(a.boundPorts.probes, '/readyz')).status === 200 &&
          (await get(b.boundPorts.probes, '/readyz')).status === 200,
      );
      assert.equal(b.isActing, false, 'the standby acts');
      assert.match(
        (await get(a.boundPorts.metrics, '/metrics')).body,
        /leader_election_master_status\{name="etcd-config-operator"\} 1/,
      );

      const ns = await env.namespace();
      await env.put(`/${ns}/a`, '1');
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/`,
        target: { name: 'cfg' },
        debounce: '0s',
      });
      await waitFor(
        'synced by the leader',
        async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1',
      );

      const stoppedAt = Date.now();
      await a.close();
      const closeMs = Date.now() - stoppedAt;
      assert.ok(closeMs < 10_000, `close took ${closeMs} ms`);
      await waitFor('b takes over', () => b.isActing, 10_000);
      const rev = await env.put(`/${ns}/a`, '2');
      await waitFor(
        'synced by the new leader',
        async () => (await env.prefixSync(ns, 'app'))?.status?.syncedRevision === rev.toString(),
      );
      assert.equal((await env.configMap(ns, 'cfg'))?.data?.['a'], '2');
    });
    it('stops acting at once when it cannot renew the lease (dropping its per-PrefixSync series), and resumes when it can', async () => {
      await env.closeManagers();
      const m = await env.startManager({
        leaderElection: true,
        identity: 'solo',
        leaseName: 'solo-lease',
        metricsAddr: '127.0.0.1:0',
        ...FAST_LEASE,
      });
      /** The leader-only series on /metrics: per PrefixSync, and each source's readiness. */
      const leaderSeries = async (): Promise<string[]> =>
        (await get(m.boundPorts.metrics, '/metrics')).body
          .split('\n')
          .filter((line) => /^etcdconfig_(prefixsync_\w+|source_ready)\{/.test(line));
      await waitFor('leads', () => m.isActing);
      const ns = await env.namespace();
      await env.put(`/${ns}/a`, '1');
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/`,
        target: { name: 'cfg' },
        debounce: '0s',
      });
      await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
      const namesApp = (line: string): boolean => line.includes(`namespace="${ns}",name="app"`);
      await waitFor('series of the PrefixSync', async () => (await leaderSeries()).some(namesApp));

      env.sim.faults.failNext({ resource: 'leases', count: 1_000_000, status: 500 });
      const failingSince = Date.now();
      await waitFor('stops acting', () => !m.isActing, 10_000);
      assert.ok(Date.now() - failingSince < FAST_LEASE.renewDeadlineMs + 2_000);
      // Dropped once the session has closed (shortly after it stops acting).
      await waitFor('no leader-only series', async () => {
        const left = await leaderSeries();
        return left.length === 0 || left.join('; ');
      });
      await env.put(`/${ns}/a`, '2');
      // A write that the operator would mirror at once while acting: give it a moment to prove it does not.
      await env.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'marker' } } });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal((await env.configMap(ns, 'cfg'))?.data?.['a'], '1', 'a process without the lease wrote');

      env.sim.faults.clear();
      await waitFor('leads again', () => m.isActing, 10_000);
      await waitFor('catches up', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '2');
      await waitFor('series set afresh', async () => (await leaderSeries()).some(namesApp));
    });
  });

  describe('/metrics', () => {
    let env: TestEnv;
    let manager: Manager;
    useTestEnv(async (e) => {
      env = e;
      manager = await env.startManager({ metricsAddr: '127.0.0.1:0', probeAddr: '127.0.0.1:0' });
    });

    it('exports controller-runtime style and operator metrics', async () => {
      const ns = await env.namespace();
      await env.put(`/${ns}/a`, '1');
      await env.createDeployment(ns, 'web', {
        containers: [{ name: 'c', image: 'x', envFrom: [{ configMapRef: { name: 'cfg' } }] }],
      });
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/`,
        target: { name: 'cfg' },
        rollout: { mode: 'auto' },
        debounce: '0s',
      });
      await waitFor('synced', async () => (await env.condition(ns, 'app')) === 'True/Synced');
      await env.put(`/${ns}/a`, '2');
      await waitFor('rolled', async () => (await env.condition(ns, 'app', 'RolledOut')) === 'True/RolledOut');
      const { status, body } = await get(manager.boundPorts.metrics, '/metrics');
      assert.equal(status, 200);
      for (const pattern of [
        /controller_runtime_reconcile_total\{controller="prefixsync",result="requeue_after"\} [1-9]/,
        /controller_runtime_reconcile_total\{controller="clusteretcdsource",result="requeue_after"\} [1-9]/,
        /controller_runtime_reconcile_time_seconds_bucket\{le="[^"]+",controller="prefixsync"\}/,
        /controller_runtime_reconcile_errors_total/,
        /workqueue_depth\{name="prefixsync"\} \d/,
        /workqueue_adds_total\{name="prefixsync"\} [1-9]/,
        /workqueue_retries_total/,
        /etcdconfig_etcd_watch_events_total\{source="main"\} [1-9]/,
        /etcdconfig_sync_latency_seconds_count [1-9]/,
        /etcdconfig_rollouts_total\{kind="Deployment"\} 1\b/,
        /etcdconfig_prefixsync_revision_lag\{namespace="[^"]+",name="app"\} 0/,
        /etcdconfig_prefix_mirrors [1-9]/,
        /etcdconfig_source_ready\{source="main"\} 1/,
      ]) {
        assert.match(body, pattern);
      }
      assert.equal((await get(manager.boundPorts.probes, '/healthz')).status, 200);
      assert.equal((await get(manager.boundPorts.probes, '/readyz')).status, 200);
    });
  });

  describe('sharding by label selector', () => {
    let env: TestEnv;
    useTestEnv((e) => {
      env = e;
    });

    it('each replica handles only the PrefixSyncs its selector matches', async () => {
      const a = await env.startManager({ shardSelector: 'shard=a' });
      const b = await env.startManager({ shardSelector: 'shard=b' });
      await waitFor('both ready', () => a.isReady() && b.isReady());
      const ns = await env.namespace();
      await env.put(`/${ns}/k`, '1');
      await env.createPrefixSync(
        ns,
        'in-a',
        { sourceRef: { name: 'main' }, prefix: `/${ns}/`, target: { name: 'cfg-a' }, debounce: '0s' },
        { labels: { shard: 'a' } },
      );
      await env.createPrefixSync(ns, 'unsharded', {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/`,
        target: { name: 'cfg-none' },
        debounce: '0s',
      });
      await waitFor('shard a synced', async () => (await env.configMap(ns, 'cfg-a'))?.data?.['k'] === '1');
      assert.equal(await openMirrors(a), 1);
      assert.equal(await openMirrors(b), 0, 'shard b opened a watch for shard a');
      // Moving the PrefixSync to shard b hands it over: b syncs the next change, a lets go of its watch.
      await env.patchPrefixSync(ns, 'in-a', { metadata: { labels: { shard: 'b' } } });
      await waitFor('b took it', async () => (await openMirrors(b)) === 1);
      await waitFor('a let go', async () => (await openMirrors(a)) === 0);
      const rev = await env.put(`/${ns}/k`, '2');
      await waitFor(
        'synced by b',
        async () => (await env.prefixSync(ns, 'in-a'))?.status?.syncedRevision === rev.toString(),
      );
      assert.equal(
        await env.configMap(ns, 'cfg-none'),
        undefined,
        'a PrefixSync outside every shard was synced',
      );
    });
  });

  describe('started before the CRDs exist', () => {
    let env: TestEnv;
    useTestEnv(
      (e) => {
        env = e;
      },
      { crds: false },
    );

    it('is not ready, keeps retrying, and works once the CRDs are installed', async () => {
      const manager = await env.startManager({ probeAddr: '127.0.0.1:0' });
      await waitFor(
        'healthz up',
        async () => (await get(manager.boundPorts.probes, '/healthz')).status === 200,
      );
      const early = await get(manager.boundPorts.probes, '/readyz');
      assert.equal(early.status, 503);
      assert.match(early.body, /informers not synced/);
      await installCrds(env.sim);
      await waitFor(
        'ready',
        async () => (await get(manager.boundPorts.probes, '/readyz')).status === 200,
        40_000,
      );
      await env.createSource('main', OPEN_SOURCE);
      const ns = await env.namespace();
      await env.put(`/${ns}/a`, '1');
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        prefix: `/${ns}/`,
        target: { name: 'cfg' },
        debounce: '0s',
      });
      await waitFor('synced', async () => (await env.configMap(ns, 'cfg'))?.data?.['a'] === '1');
    });
  });
});
