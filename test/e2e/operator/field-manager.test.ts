// Issue 16 item 3: the operator's writes are credited to `etcd-config-operator` in managedFields (the
// simulator records them as the API server does: fieldManager, else the User-Agent's first token) and
// its requests carry a User-Agent naming it and its version.
import { strict as assert } from 'node:assert';
import { CONFIG_HASH_ANNOTATION, PrefixSyncConditionType, PrefixSyncReason } from '../../../src/api/index.js';
import { conditionOf } from '../support/kube-api.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import { newTenant, specFor, waitForExactSync } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

const OPERATOR = 'etcd-config-operator';

interface Entry {
  manager?: string;
  subresource?: string;
  fieldsV1?: Record<string, Record<string, unknown>>;
}
interface Raw {
  metadata?: { name?: string; managedFields?: Entry[] };
  items?: Raw[];
}

describe('operator e2e: field manager and User-Agent', function () {
  this.timeout(120_000);
  // Started by the test with leader election, so that there is a Lease to look at.
  const e = useOperatorEnv({ startOperator: false });

  async function raw(path: string): Promise<Raw> {
    const res = await fetch(`${e().sim.url}${path}`, { headers: { Accept: 'application/json' } });
    assert.equal(res.status, 200, path);
    return (await res.json()) as Raw;
  }

  const managers = (o: Raw): string[] => (o.metadata?.managedFields ?? []).map((m) => m.manager ?? '');

  it('credits every write of a sync and a rollout to etcd-config-operator', async () => {
    await e().startOperator([], { leaderElect: true });
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createDeployment(t.namespace, t.deployment, t.configMap);
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
    await waitForExactSync(e(), t);
    await e().etcdClient.kv.put(`${t.prefix}a`, '2');
    await waitFor('the rollout of the change', async () => {
      const ps = await e().kube.getPrefixSync(t.namespace, t.prefixSync);
      const c = conditionOf(ps, PrefixSyncConditionType.RolledOut);
      return (
        (c?.status === 'True' && c.reason !== PrefixSyncReason.InitialSync) ||
        `RolledOut ${JSON.stringify(c)}`
      );
    });

    const ns = `/api/v1/namespaces/${t.namespace}`;
    const cm = await raw(`${ns}/configmaps/${t.configMap}`);
    assert.ok(managers(cm).length > 0, 'the ConfigMap has managedFields');
    assert.deepEqual(new Set(managers(cm)), new Set([OPERATOR]), 'the operator made the ConfigMap');

    // The test created the Deployment (client-node: node-fetch); the rollout's annotation is the operator's.
    const d = await raw(`/apis/apps/v1/namespaces/${t.namespace}/deployments/${t.deployment}`);
    const annotationOwner = d.metadata?.managedFields?.find(
      (m) =>
        m.fieldsV1?.['f:spec']?.['f:template'] !== undefined &&
        JSON.stringify(m.fieldsV1).includes(`"f:${CONFIG_HASH_ANNOTATION}"`),
    );
    assert.equal(annotationOwner?.manager, OPERATOR, JSON.stringify(d.metadata?.managedFields));
    // Besides the status kube-controller-manager writes (the simulator's workload controller).
    assert.deepEqual(
      new Set(managers(d).filter((m) => m !== 'kube-controller-manager')),
      new Set(['node-fetch', OPERATOR]),
    );

    const ps = await raw(
      `/apis/etcdconfig.dev/v1alpha1/namespaces/${t.namespace}/prefixsyncs/${t.prefixSync}`,
    );
    const statusWriters = (ps.metadata?.managedFields ?? []).filter((m) => m.subresource === 'status');
    assert.deepEqual(
      statusWriters.map((m) => m.manager),
      [OPERATOR],
      'the PrefixSync status',
    );

    const events = (await raw(`${ns}/events`)).items ?? [];
    assert.ok(events.length > 0, 'the operator recorded Events in the namespace');
    for (const ev of events) assert.deepEqual(managers(ev), [OPERATOR], `Event ${ev.metadata?.name}`);

    const leases = (await raw('/apis/coordination.k8s.io/v1/leases')).items ?? [];
    const ours = leases.filter((l) => managers(l).includes(OPERATOR));
    assert.ok(ours.length > 0, 'the leader Lease');
    for (const l of ours) assert.deepEqual(managers(l), [OPERATOR], `Lease ${l.metadata?.name}`);

    // It said at start which Lease it competes for (docs/configuration.md, running next to the chart).
    const started = e()
      .operatorLog.split('\n')
      .find((l) => l.includes('"message":"manager started"'));
    const lease = (JSON.parse(started ?? '{}') as { lease?: string }).lease ?? '';
    assert.match(lease, /^[a-z0-9-]+\/etcd-config-operator$/, started);

    const agents = [...e().sim.userAgents].filter((a) => a.startsWith(`${OPERATOR}/`));
    assert.equal(agents.length, 1, [...e().sim.userAgents].join(' | '));
    assert.match(
      agents[0] ?? '',
      /^etcd-config-operator\/\d+\.\d+\.\d+\S* \([a-z0-9]+\/[a-z0-9]+; node \d+\.\d+\.\d+\)$/,
    );
  });
});
