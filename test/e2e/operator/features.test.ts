import { strict as assert } from 'node:assert';
import { parse as parseYaml } from 'yaml';
import {
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  FORCE_SYNC_ANNOTATION,
  PrefixSyncConditionType,
  PrefixSyncReason,
} from '../../../src/api/index.js';
import { conditionOf, describeConditions } from '../support/kube-api.js';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import { newTenant, rolloutState, specFor, waitForCondition, waitForExactSync } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

/** How long a suspended PrefixSync is watched for a write it must not make (an observation window). */
const SUSPENDED_WINDOW_MS = 2_000;

describe('operator e2e: formats, rollout modes, suspend, force-sync, source status, endpoints', function () {
  this.timeout(180_000);
  const e = useOperatorEnv();

  it('reports the ClusterEtcdSource as Ready with etcd’s cluster id and member count', async () => {
    const t = await newTenant(e());
    const status = await e().etcd.etcdctl(['endpoint', 'status', '-w', 'json']);
    // uint64 ids do not survive JSON.parse as numbers: take the digits.
    const clusterId = BigInt(/"cluster_id":(\d+)/.exec(status)![1]!).toString(16);
    const src = await waitFor('ClusterEtcdSource Ready=True', async () => {
      const s = await e().kube.getSource(t.source);
      const c = conditionOf(s, ClusterEtcdSourceConditionType.Ready);
      return (c?.status === 'True' && s) || describeConditions(s);
    });
    assert.equal(
      conditionOf(src, ClusterEtcdSourceConditionType.Ready)?.reason,
      ClusterEtcdSourceReason.Connected,
    );
    assert.equal(src.status?.clusterId, clusterId, 'clusterId is etcd’s, in hex as etcdctl prints it');
    assert.equal(src.status?.memberCount, 1);
  });

  it('format yaml renders the key tree as one document; non-UTF-8 values go to binaryData in files format', async () => {
    const t = await newTenant(e());
    const kv = e().etcdClient.kv;
    await kv.put(`${t.prefix}db/host`, 'db.internal');
    await kv.put(`${t.prefix}db/port`, '5432');
    await kv.put(`${t.prefix}name`, 'payments');
    await e().kube.createPrefixSync(
      t.namespace,
      'yaml',
      specFor(t, {
        target: { name: 'yaml-config', format: 'yaml', key: 'config.yaml' },
        rollout: { mode: 'none' },
      }),
    );
    const cm = await waitFor('the yaml ConfigMap', async () => {
      const c = await e().kube.getConfigMap(t.namespace, 'yaml-config');
      return (c?.data?.['config.yaml'] !== undefined && c) || 'absent';
    });
    const doc = parseYaml(cm.data!['config.yaml']!) as { db: { host: string; port: unknown }; name: string };
    assert.equal(doc.db.host, 'db.internal');
    assert.equal(String(doc.db.port), '5432');
    assert.equal(doc.name, 'payments');

    const t2 = await newTenant(e());
    await kv.put(`${t2.prefix}text`, 'plain');
    await kv.put(`${t2.prefix}blob`, Buffer.from([0xff, 0xfe, 0x00, 0x80]));
    await e().kube.createPrefixSync(t2.namespace, t2.prefixSync, specFor(t2, { rollout: { mode: 'none' } }));
    const bin = await waitFor('the binaryData ConfigMap', async () => {
      const c = await e().kube.getConfigMap(t2.namespace, t2.configMap);
      return (c?.binaryData?.['blob'] !== undefined && c) || JSON.stringify(c?.data ?? null);
    });
    assert.equal(bin.binaryData!['blob'], Buffer.from([0xff, 0xfe, 0x00, 0x80]).toString('base64'));
    assert.deepEqual(bin.data, { text: 'plain' });
  });

  it('rollout mode auto restarts the workloads that mount or reference the ConfigMap, and only those', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createDeployment(t.namespace, 'mounts', t.configMap);
    await e().kube.createDeployment(t.namespace, 'unrelated', 'some-other-config');
    await e().kube.apps.createNamespacedDeployment({
      namespace: t.namespace,
      body: {
        metadata: { name: 'env-from' },
        spec: {
          selector: { matchLabels: { app: 'env-from' } },
          template: {
            metadata: { labels: { app: 'env-from' } },
            spec: {
              containers: [
                { name: 'c', image: 'busybox', envFrom: [{ configMapRef: { name: t.configMap } }] },
              ],
            },
          },
        },
      },
    });
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'auto' } }));
    await waitForExactSync(e(), t);
    const generation = async (name: string): Promise<number> =>
      (await rolloutState(e(), { ...t, deployment: name })).generation;
    const before = {
      mounts: await generation('mounts'),
      envFrom: await generation('env-from'),
      unrelated: await generation('unrelated'),
    };

    const put = await e().etcdClient.kv.put(`${t.prefix}a`, '2');
    const synced = await waitForExactSync(e(), t, { exactRevision: put.revision });
    for (const name of ['mounts', 'env-from']) {
      await waitFor(`Deployment ${name} to be rolled`, async () => {
        const r = await rolloutState(e(), { ...t, deployment: name });
        return r.hash === synced.prefixSync.status?.contentHash || `annotation ${r.hash}`;
      });
    }
    assert.equal(await generation('mounts'), before.mounts + 1);
    assert.equal(await generation('env-from'), before.envFrom + 1);
    assert.equal(
      await generation('unrelated'),
      before.unrelated,
      'a Deployment not using the ConfigMap is left alone',
    );
  });

  it('suspend leaves the ConfigMap as it is until resumed, then syncs the latest content', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
    const good = (await waitForExactSync(e(), t)).configMap;
    await e().kube.updatePrefixSync(t.namespace, t.prefixSync, (ps) => {
      ps.spec.suspend = true;
    });
    await waitForCondition(
      e(),
      t.namespace,
      t.prefixSync,
      PrefixSyncConditionType.Ready,
      'False',
      PrefixSyncReason.Suspended,
    );
    await e().etcdClient.kv.put(`${t.prefix}a`, 'while suspended');
    await new Promise((r) => setTimeout(r, SUSPENDED_WINDOW_MS));
    const cm = await e().kube.getConfigMap(t.namespace, t.configMap);
    assert.equal(
      cm?.metadata?.resourceVersion,
      good.metadata?.resourceVersion,
      'a suspended PrefixSync writes nothing',
    );
    await e().kube.updatePrefixSync(t.namespace, t.prefixSync, (ps) => {
      ps.spec.suspend = false;
    });
    const s = await waitForExactSync(e(), t);
    assert.equal(s.configMap.data?.['a'], 'while suspended');
  });

  it('a change of the force-sync annotation takes a fresh snapshot and rolls nothing when content is unchanged', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createDeployment(t.namespace, t.deployment, t.configMap);
    await e().kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
    await waitForExactSync(e(), t);
    const gen0 = (await rolloutState(e(), t)).generation;
    const elsewhere = await e().etcdClient.kv.put(`/unrelated-${t.namespace}/x`, 'y');
    await e().kube.updatePrefixSync(t.namespace, t.prefixSync, (ps) => {
      ps.metadata.annotations = { ...ps.metadata.annotations, [FORCE_SYNC_ANNOTATION]: 'now' };
    });
    await waitFor('a fresh snapshot at or after the unrelated write', async () => {
      const ps = await e().kube.getPrefixSync(t.namespace, t.prefixSync);
      const rev = BigInt(ps?.status?.syncedRevision ?? '0');
      return rev >= elsewhere.revision || `syncedRevision ${rev} < ${elsewhere.revision}`;
    });
    assert.equal((await rolloutState(e(), t)).generation, gen0, 'unchanged content restarts nothing');
  });

  it('serves /healthz, /readyz and Prometheus /metrics', async () => {
    const op = e().operator!;
    await op.waitReady();
    assert.equal((await op.httpGet(op.probePort, '/healthz')).status, 200);
    const metrics = await op.httpGet(op.metricsPort, '/metrics');
    assert.equal(metrics.status, 200);
    assert.match(metrics.body, /^# HELP /m, 'Prometheus text format');
  });
});
