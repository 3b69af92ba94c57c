import { strict as assert } from 'node:assert';
import { useOperatorEnv } from '../support/mocha-hooks.js';
import { scrapeMetric } from '../support/etcd-metrics.js';
import { newTenant, specFor, waitForExactSync } from '../support/scenario.js';
import { waitFor } from '../support/wait.js';

/** etcd's own gauges: watchers registered on the server, and open gRPC watch streams. */
const WATCHERS = 'etcd_debugging_mvcc_watcher_total';
const STREAMS = 'etcd_debugging_mvcc_watch_stream_total';

describe('operator e2e: sharing watches, and deleting a PrefixSync', function () {
  this.timeout(180_000);
  const e = useOperatorEnv();

  const metricsUrl = (): string => `${e().etcd.clientUrls[0]!}/metrics`;
  async function etcdGauge(name: string): Promise<number> {
    const v = await scrapeMetric(metricsUrl(), name);
    assert.notEqual(v, undefined, `etcd exports ${name}`);
    return v!;
  }

  // Runs first in this file: the only etcd watchers are then the operator's (the test's client never
  // watches), so etcd's gauges count exactly what the operator opened.
  it('two PrefixSyncs on one prefix share one etcd watch on one stream (etcd’s own watcher gauge)', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(t.namespace, 'first', specFor(t, { rollout: { mode: 'none' } }));
    await waitForExactSync(e(), t, { name: 'first' });
    const watchers1 = await etcdGauge(WATCHERS);
    const streams1 = await etcdGauge(STREAMS);
    assert.ok(watchers1 >= 1, `the operator watches (${WATCHERS} = ${watchers1})`);

    await e().kube.createPrefixSync(
      t.namespace,
      'second',
      specFor(t, { target: { name: 'second-config' }, rollout: { mode: 'none' } }),
    );
    await waitForExactSync(e(), t, { name: 'second', configMap: 'second-config' });
    assert.equal(
      await etcdGauge(WATCHERS),
      watchers1,
      'a second PrefixSync on the same prefix adds no etcd watcher',
    );
    assert.equal(await etcdGauge(STREAMS), streams1, 'and no watch stream');

    // Both follow changes through the shared watch.
    const put = await e().etcdClient.kv.put(`${t.prefix}a`, '2');
    await waitForExactSync(e(), t, { name: 'first', exactRevision: put.revision });
    await waitForExactSync(e(), t, {
      name: 'second',
      configMap: 'second-config',
      exactRevision: put.revision,
    });

    // The gauge is an honest observable: a PrefixSync on another prefix does add one watcher, on the same stream.
    const other = { ...t, prefix: t.prefix.replace(/\/$/, '-other/') };
    await e().kube.updateSource(t.source, (spec) => {
      spec.access = [{ namespaces: [t.namespace], prefixes: [t.prefix, other.prefix] }];
    });
    await e().etcdClient.kv.put(`${other.prefix}b`, '1');
    await e().kube.createPrefixSync(
      t.namespace,
      'third',
      specFor(other, { target: { name: 'third-config' }, rollout: { mode: 'none' } }),
    );
    await waitForExactSync(e(), other, { name: 'third', configMap: 'third-config' });
    await waitFor(`${WATCHERS} to be ${watchers1 + 1}`, async () => {
      const w = await etcdGauge(WATCHERS);
      return w === watchers1 + 1 || `${w}`;
    });
    assert.equal(await etcdGauge(STREAMS), streams1, 'still the same watch stream');
  });

  it('deletionPolicy Delete: deleting the PrefixSync deletes its ConfigMap', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(
      t.namespace,
      t.prefixSync,
      specFor(t, { deletionPolicy: 'Delete', rollout: { mode: 'none' } }),
    );
    await waitForExactSync(e(), t);
    await e().kube.deletePrefixSync(t.namespace, t.prefixSync);
    await waitFor('the PrefixSync and its ConfigMap to be gone', async () => {
      const ps = await e().kube.getPrefixSync(t.namespace, t.prefixSync);
      const cm = await e().kube.getConfigMap(t.namespace, t.configMap);
      return (!ps && !cm) || `PrefixSync ${ps ? 'present' : 'gone'}, ConfigMap ${cm ? 'present' : 'gone'}`;
    });
    assert.equal(
      (await e().etcdClient.kv.get(`${t.prefix}a`))?.value.toString(),
      '1',
      'etcd is never touched',
    );
  });

  it('deletionPolicy Retain: deleting the PrefixSync keeps its ConfigMap, without our ownerReference', async () => {
    const t = await newTenant(e());
    await e().etcdClient.kv.put(`${t.prefix}a`, '1');
    await e().kube.createPrefixSync(
      t.namespace,
      t.prefixSync,
      specFor(t, { deletionPolicy: 'Retain', rollout: { mode: 'none' } }),
    );
    const s = await waitForExactSync(e(), t);
    const uid = s.prefixSync.metadata.uid;
    await e().kube.deletePrefixSync(t.namespace, t.prefixSync);
    await waitFor(
      'the PrefixSync to be gone',
      async () => !(await e().kube.getPrefixSync(t.namespace, t.prefixSync)) || 'present',
    );
    const cm = await waitFor('the retained ConfigMap to lose our ownerReference', async () => {
      const c = await e().kube.getConfigMap(t.namespace, t.configMap);
      if (!c) throw new Error('the retained ConfigMap was deleted');
      const owned = (c.metadata?.ownerReferences ?? []).some((o) => o.uid === uid);
      return (!owned && c) || 'still owned';
    });
    assert.deepEqual(cm.data, { a: '1' }, 'the retained ConfigMap keeps its data');
  });
});
