// spec.sources on real etcd and the simulator: several prefixes overlaid into one ConfigMap (a later
// source wins), filtered and renamed; the sources of one cluster read at one revision (a transaction
// over two prefixes is never published half applied); every source checked against its access rules;
// a removed source's watch ended; a pin and a force-sync read every source at one revision; sources on
// two etcd clusters reported one by one in status.sources.
import { strict as assert } from 'node:assert';
import { Watch, type V1ConfigMap } from '@kubernetes/client-node';
import type { PrefixSyncSource } from '../../../src/api/index.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import { EtcdCluster } from '../../../src/envtest/etcd/index.js';
import type { Manager } from '../../../src/operator/index.js';
import type { TestEnv } from './support.js';
import { useTestEnv, waitFor } from './support.js';

describe('PrefixSync spec.sources (real etcd + simulator)', function () {
  this.timeout(60_000);
  let env: TestEnv;
  let manager: Manager;

  useTestEnv(async (e) => {
    env = e;
    manager = await env.startManager();
  });

  /** A fresh namespace and PrefixSync `app` of `sources` (source `main`) into ConfigMap `cfg`. */
  async function overlay(sources: (ns: string) => PrefixSyncSource[]): Promise<string> {
    const ns = await env.namespace();
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      sources: sources(ns),
      target: { name: 'cfg' },
      debounce: '0s',
    });
    return ns;
  }

  async function data(ns: string): Promise<Record<string, string> | undefined> {
    return (await env.configMap(ns, 'cfg'))?.data;
  }

  async function conditionMessage(ns: string): Promise<string> {
    const ready = (await env.prefixSync(ns, 'app'))?.status?.conditions?.find((c) => c.type === 'Ready');
    return `${ready?.status}/${ready?.reason}: ${ready?.message}`;
  }

  async function openMirrors(): Promise<number> {
    const gauge = manager.metrics.registry.getSingleMetric('etcdconfig_prefix_mirrors');
    return (await gauge?.get())?.values[0]?.value ?? -1;
  }

  it('overlays in order: the later source wins, and deleting its key shows the default again', async () => {
    const ns = await env.namespace();
    await env.put(`/${ns}/defaults/log`, 'info');
    await env.put(`/${ns}/defaults/db/host`, 'db.default');
    await env.put(`/${ns}/prod/log`, 'warn');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      sources: [{ prefix: `/${ns}/defaults/` }, { prefix: `/${ns}/prod/` }],
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor(
      'the overlay',
      async () =>
        JSON.stringify(await data(ns)) === '{"db.host":"db.default","log":"warn"}' ||
        JSON.stringify(await data(ns)),
    );
    await env.etcdClient.kv.delete({ key: `/${ns}/prod/log` });
    await waitFor(
      'the default back',
      async () => (await data(ns))?.['log'] === 'info' || JSON.stringify(await data(ns)),
    );
    assert.equal(await env.condition(ns, 'app'), 'True/Synced');
  });

  it('takes only the included paths of a source, excluded ones left out (exclude wins)', async () => {
    const ns = await overlay((n) => [
      { prefix: `/${n}/a/`, include: ['*.conf', 'db/**'], exclude: ['db/secret/**'] },
    ]);
    await env.put(`/${ns}/a/app.conf`, '1');
    await env.put(`/${ns}/a/readme`, '2');
    await env.put(`/${ns}/a/db/host`, '3');
    await env.put(`/${ns}/a/db/secret/pw`, '4');
    await waitFor(
      'filtered',
      async () =>
        JSON.stringify(await data(ns)) === '{"app.conf":"1","db.host":"3"}' || JSON.stringify(await data(ns)),
    );
  });

  it('refuses a rewrite that lands two keys of one source on one name (KeyCollision naming both), keeping the last good ConfigMap', async () => {
    const ns = await overlay((n) => [
      { prefix: `/${n}/a/`, rewrite: [{ replace: { regex: '^v[0-9]+/', with: '' } }] },
    ]);
    await env.put(`/${ns}/a/v1/host`, 'one');
    await waitFor('synced', async () => (await data(ns))?.['host'] === 'one');
    await env.put(`/${ns}/a/v2/host`, 'two');
    await waitFor('KeyCollision', async () => (await env.condition(ns, 'app')) === 'False/KeyCollision');
    const message = await conditionMessage(ns);
    assert.match(message, new RegExp(`/${ns}/a/v1/host`));
    assert.match(message, new RegExp(`/${ns}/a/v2/host`));
    assert.deepEqual(await data(ns), { host: 'one' });
  });

  it('never publishes a transaction over two sources half applied', async () => {
    const ns = await overlay((n) => [{ prefix: `/${n}/a/` }, { prefix: `/${n}/b/` }]);
    const seen: Record<string, string>[] = [];
    const watch = await new Watch(env.kc).watch(
      `/api/v1/namespaces/${ns}/configmaps`,
      {},
      (_type: string, cm: V1ConfigMap) => {
        if (cm.metadata?.name === 'cfg' && cm.data) seen.push({ ...cm.data });
      },
      () => undefined,
    );
    try {
      const ROUNDS = 20;
      // Large values: each watch response spans several reads of the stream, so a reconcile can run
      // between the two mirrors' updates — where a snapshot per mirror would tear the transaction.
      const big = (i: number): string => `${i}:`.padEnd(120_000, '.');
      for (let i = 1; i <= ROUNDS; i++) {
        await env.etcdClient.kv.txn({
          success: [
            { type: 'put', key: `/${ns}/a/x`, value: big(i) },
            { type: 'put', key: `/${ns}/b/y`, value: big(i) },
          ],
        });
      }
      await waitFor(
        'the last round',
        () => seen.some((d) => d['x'] === big(ROUNDS) && d['y'] === big(ROUNDS)) || `${seen.length} versions`,
      );
      const torn = seen
        .filter((d) => d['x'] !== d['y'])
        .map((d) => `${d['x']?.split(':')[0]}/${d['y']?.split(':')[0]}`);
      assert.deepEqual(torn, [], `${torn.length} of ${seen.length} versions mixed two transactions`);
      assert.ok(seen.length > 1, 'the ConfigMap changed more than once');
    } finally {
      watch.abort();
    }
  });

  it('refuses a PrefixSync one of whose sources is forbidden (PrefixForbidden naming it): nothing published', async () => {
    const ns = await env.namespace();
    await env.createSource(`narrow-${ns}`, { access: [{ namespaces: [ns], prefixes: [`/${ns}/ok/`] }] });
    await env.put(`/${ns}/ok/k`, 'v');
    await env.put(`/${ns}/no/k`, 'w');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: `narrow-${ns}` },
      sources: [{ prefix: `/${ns}/ok/` }, { prefix: `/${ns}/no/` }],
      target: { name: 'cfg' },
      debounce: '0s',
    });
    await waitFor(
      'PrefixForbidden',
      async () => (await env.condition(ns, 'app')) === 'False/PrefixForbidden',
    );
    assert.match(await conditionMessage(ns), new RegExp(`spec\\.sources\\[1\\].*/${ns}/no/`));
    assert.equal(await env.configMap(ns, 'cfg'), undefined);
  });

  it('ends the watch of a source removed from the list, and follows the sources that stay', async () => {
    const ns = await overlay((n) => [{ prefix: `/${n}/a/` }, { prefix: `/${n}/b/` }]);
    await env.put(`/${ns}/a/x`, '1');
    await env.put(`/${ns}/b/y`, '2');
    await waitFor('both', async () => (await data(ns))?.['y'] === '2');
    // b moves on while a stays idle: status reaches a revision a's mirror has no reason to reach.
    await env.put(`/${ns}/b/z`, '3');
    await waitFor('b moved on', async () => (await data(ns))?.['z'] === '3');
    const before = await openMirrors();
    await env.patchPrefixSync(ns, 'app', { spec: { sources: [{ prefix: `/${ns}/a/` }] } });
    await waitFor(
      'b gone',
      async () => (await data(ns))?.['y'] === undefined && (await data(ns))?.['z'] === undefined,
    );
    await waitFor(
      'its mirror closed',
      async () => (await openMirrors()) === before - 1 || `${await openMirrors()} mirrors, ${before} before`,
    );
    await env.put(`/${ns}/a/x`, '3');
    await waitFor('a followed', async () => (await data(ns))?.['x'] === '3');
  });

  it('pinned, serves both sources as they were at that revision; a force-sync re-reads both at one revision', async () => {
    const ns = await env.namespace();
    await env.put(`/${ns}/a/x`, '1');
    await env.put(`/${ns}/b/y`, '1');
    const pin = await env.put(`/${ns}/a/x`, '2');
    await env.put(`/${ns}/b/y`, '2');
    await env.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      sources: [{ prefix: `/${ns}/a/` }, { prefix: `/${ns}/b/` }],
      target: { name: 'cfg' },
      debounce: '0s',
      pinRevision: Number(pin),
    });
    // At the pin, a had its second value and b still its first: each read at that revision.
    await waitFor(
      'pinned',
      async () =>
        (await env.prefixSync(ns, 'app'))?.status?.pinnedRevision === pin.toString() ||
        JSON.stringify((await env.prefixSync(ns, 'app'))?.status),
    );
    assert.deepEqual(await data(ns), { x: '2', y: '1' });
    assert.equal(await env.condition(ns, 'app'), 'True/Synced');

    await env.patchPrefixSync(ns, 'app', { spec: { pinRevision: null } });
    await waitFor(
      'following etcd',
      async () => (await data(ns))?.['y'] === '2' || JSON.stringify(await data(ns)),
    );
    assert.equal((await env.prefixSync(ns, 'app'))?.status?.pinnedRevision, undefined);

    // A write elsewhere first: only a fresh read of etcd, not the prefixes' idle mirrors, reports a
    // revision at or after it — for both sources at once, as one revision.
    const other = await env.put(`/unrelated-${ns}/x`, 'y');
    await env.patchPrefixSync(ns, 'app', { metadata: { annotations: { 'etcdconfig.dev/force-sync': '1' } } });
    await waitFor(
      'forced sync',
      async () => BigInt((await env.prefixSync(ns, 'app'))?.status?.syncedRevision ?? '0') >= other,
    );
    assert.deepEqual(await data(ns), { x: '2', y: '2' });
  });

  describe('on two etcd clusters', () => {
    let second: EtcdCluster;
    let secondClient: EtcdClient;

    before(async () => {
      second = await EtcdCluster.start();
      secondClient = new EtcdClient({ endpoints: second.endpoints });
      await env.createSource('second', {
        endpoints: second.endpoints,
        access: [{ namespaceSelector: {}, prefixes: ['/'] }],
      });
    });

    after(async () => {
      await secondClient?.close();
      await second?.close();
    });

    it("overlays a source of another cluster and reports each source's revision in status.sources", async () => {
      const ns = await env.namespace();
      await env.put(`/${ns}/d/log`, 'info');
      await env.put(`/${ns}/d/db`, 'main-db');
      // Several writes, so that the two clusters' revisions differ.
      for (let i = 0; i < 5; i++) await secondClient.kv.put(`/${ns}/e/noise`, String(i));
      const eRevision = (await secondClient.kv.put(`/${ns}/e/log`, 'debug')).revision;
      await env.createPrefixSync(ns, 'app', {
        sourceRef: { name: 'main' },
        sources: [
          { prefix: `/${ns}/d/` },
          { prefix: `/${ns}/e/`, sourceRef: { name: 'second' }, exclude: ['noise'] },
        ],
        target: { name: 'cfg' },
        debounce: '0s',
      });
      await waitFor(
        'the overlay',
        async () =>
          JSON.stringify(await data(ns)) === '{"db":"main-db","log":"debug"}' ||
          JSON.stringify(await data(ns)),
      );
      const status = (await env.prefixSync(ns, 'app'))?.status;
      const mainRevision = status?.sources?.find((s) => s.sourceRef.name === 'main')?.revision;
      assert.equal(status?.syncedRevision, mainRevision);
      assert.deepEqual(
        status?.sources?.map((s) => [s.sourceRef.name, s.prefix]),
        [
          ['main', `/${ns}/d/`],
          ['second', `/${ns}/e/`],
        ],
      );
      assert.ok(BigInt(status?.sources?.[1]?.revision ?? '0') >= eRevision);
      await secondClient.kv.put(`/${ns}/e/log`, 'trace');
      await waitFor('a change on the second cluster', async () => (await data(ns))?.['log'] === 'trace');
    });
  });
});
