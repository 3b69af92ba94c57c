import { strict as assert } from 'node:assert';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import type { OperatorProcess } from '../support/operator-process.js';
import { newTenant, rolloutState, specFor, waitForExactSync, type Tenant } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

/** `run`'s default Lease name; in the kubeconfig context's namespace (default). */
const LEASE = { name: 'etcd-config-operator', namespace: 'default' };
/** Lease duration (15 s) plus generous slack for a loaded machine. */
const TAKEOVER_DEADLINE_MS = 60_000;

describe('operator e2e: two replicas with leader election (the default)', function () {
  this.timeout(240_000);
  const e = useOperatorEnv({ startOperator: false });

  async function holder(): Promise<string | undefined> {
    const lease = await e().kc.makeApiClient(CoordinationV1Api).readNamespacedLease(LEASE);
    return lease.spec?.holderIdentity ?? undefined;
  }

  async function rolledTo(t: Tenant, hash: string | undefined): Promise<number> {
    const r = await waitFor('the Deployment to carry the current hash', async () => {
      const s = await rolloutState(e(), t);
      return (s.hash === hash && s) || `annotation ${s.hash}, want ${hash}`;
    });
    return r.generation;
  }

  it('only the leader acts; after the leader is SIGKILLed the standby takes over within the lease, rolling only changes', async () => {
    const a: OperatorProcess = await e().startOperator(['--identity', 'op-a'], { leaderElect: true });
    await waitFor(
      'op-a to hold the Lease',
      async () => (await holder()) === 'op-a' || `holder ${await holder()}`,
    );
    const b: OperatorProcess = await e().startOperator(['--identity', 'op-b'], { leaderElect: true });
    await b.waitReady();

    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createDeployment(t.namespace, t.deployment, t.configMap);
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
    await waitForExactSync(e(), t);
    const gen0 = (await rolloutState(e(), t)).generation;
    assert.equal(await holder(), 'op-a', 'the first replica still leads');

    const p1 = await e().etcdClient.kv.put(`${t.prefix}a`, '2');
    const s1 = await waitForExactSync(e(), t, { exactRevision: p1.revision });
    assert.equal(await rolledTo(t, s1.prefixSync.status?.contentHash), gen0 + 1, 'one change, one rollout');

    const killedAt = Date.now();
    await a.kill();
    const p2 = await e().etcdClient.kv.put(`${t.prefix}a`, '3');
    await waitFor(
      'op-b to take the Lease',
      async () => (await holder()) === 'op-b' || `holder ${await holder()}`,
      TAKEOVER_DEADLINE_MS,
    );
    const s2 = await waitForExactSync(e(), t, {
      exactRevision: p2.revision,
      timeoutMs: TAKEOVER_DEADLINE_MS,
    });
    console.log(`      standby took over and synced ${Date.now() - killedAt} ms after the leader was killed`);
    assert.equal(
      await rolledTo(t, s2.prefixSync.status?.contentHash),
      gen0 + 2,
      'the change made during the takeover rolled once; the takeover itself rolled nothing',
    );
  });
});
