import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { FakeClock } from '../../../src/base/index.js';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { ConfigMapClient, Informer } from '../../../src/kube/index.js';
import { waitFor } from './support.js';

const NS = 'default';

function cm(name: string, value = 'v'): V1ConfigMap {
  return { metadata: { name, namespace: NS, labels: { app: 'informer-test' } }, data: { k: value } };
}

/** name → data.k, in name order so that two states compare as JSON. */
function sortedEntries(items: V1ConfigMap[]): Record<string, string> {
  const pairs = items.map((o): [string, string] => [o.metadata!.name!, o.data?.['k'] ?? '']);
  return Object.fromEntries(pairs.sort((x, y) => x[0].localeCompare(y[0])));
}

describe('Informer (client-node over HTTP against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  let cms: ConfigMapClient;
  const informers: Informer<V1ConfigMap>[] = [];

  function newInformer(): Informer<V1ConfigMap> {
    const inf = new Informer<V1ConfigMap>({
      source: cms,
      kubeConfig: sim.kubeConfig(),
      namespace: NS,
      labelSelector: 'app=informer-test',
      backoff: { initialDelayMs: 20, maxDelayMs: 200 },
    });
    informers.push(inf);
    return inf;
  }

  /** What the server has, as name → data.k. */
  async function serverState(): Promise<Record<string, string>> {
    const { items } = await cms.list({ namespace: NS, labelSelector: 'app=informer-test' });
    return sortedEntries(items);
  }

  function cacheState(inf: Informer<V1ConfigMap>): Record<string, string> {
    return sortedEntries(inf.store.list());
  }

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
    cms = new ConfigMapClient(sim.kubeConfig());
  });

  afterEach(async () => {
    await Promise.all(informers.splice(0).map((i) => i.close()));
    await sim.close();
  });

  it('is not synced before its first list and is afterwards, with every object cached', async () => {
    await cms.create(cm('a'));
    await cms.create(cm('b'));
    await cms.create({ metadata: { name: 'other', namespace: NS }, data: {} });
    const inf = newInformer();
    assert.equal(inf.hasSynced(), false);
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(cacheState(inf), { a: 'v', b: 'v' }, 'the label selector is honoured');
    assert.equal(inf.store.get('a', NS)?.data?.['k'], 'v');
    assert.equal(inf.store.getByKey(`${NS}/b`)?.metadata?.name, 'b');
    assert.equal(inf.store.listByNamespace(NS).length, 2);
  });

  it('caches objects without the managedFields the server returns (listed and watched)', async () => {
    await cms.create(cm('listed'));
    const inf = newInformer();
    const added: V1ConfigMap[] = [];
    inf.addHandlers({ onAdd: (o) => added.push(o) });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    const watched = await cms.create(cm('watched'));
    assert.ok(watched.metadata?.managedFields?.length, 'the server returns managedFields');
    await waitFor('the watched object cached', () => inf.store.get('watched', NS) ?? 'not cached');
    for (const name of ['listed', 'watched']) {
      const cached = inf.store.get(name, NS);
      assert.equal(cached?.metadata?.managedFields, undefined, name);
      assert.equal(cached?.metadata?.resourceVersion !== undefined, true, name);
      assert.equal(cached?.data?.['k'], 'v', name);
    }
    assert.deepEqual(
      added.map((o) => [o.metadata?.name, o.metadata?.managedFields]),
      [
        ['listed', undefined],
        ['watched', undefined],
      ],
      'handlers see the cached objects',
    );
  });

  it('calls add, update and delete handlers as the objects change', async () => {
    const inf = newInformer();
    const seen: string[] = [];
    inf.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata?.name}`),
      onUpdate: (old, cur) => seen.push(`update ${cur.metadata?.name} ${old.data?.['k']}→${cur.data?.['k']}`),
      onDelete: (o) => seen.push(`delete ${o.metadata?.name}`),
    });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    const created = await cms.create(cm('x', '1'));
    await cms.replace({ ...created, data: { k: '2' } });
    await cms.delete({ namespace: NS, name: 'x' });
    await waitFor('three events', () => seen.length >= 3);
    assert.deepEqual(seen, ['add x', 'update x 1→2', 'delete x']);
    assert.equal(inf.store.size, 0);
  });

  it('keeps retrying with backoff after its list fails with 500', async () => {
    await cms.create(cm('a'));
    sim.faults.failNext({ verb: 'list', resource: 'configmaps', count: 3, status: 500 });
    const inf = newInformer();
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    assert.ok(inf.restarts >= 3, `restarted ${inf.restarts} times`);
    assert.deepEqual(cacheState(inf), { a: 'v' });
  });

  it('restarts its watch after the watch fails with 500 and misses nothing', async () => {
    const inf = newInformer();
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    sim.faults.failNext({ verb: 'watch', resource: 'configmaps', count: 3, status: 500 });
    sim.faults.cutWatches();
    await cms.create(cm('during-outage'));
    await waitFor(
      'the object created during the outage',
      () => inf.store.get('during-outage', NS) !== undefined,
    );
    assert.ok(inf.restarts >= 3, `restarted ${inf.restarts} times`);
    assert.equal(inf.lists, 1, 'the watch resumed from its resourceVersion without a relist');
    await cms.create(cm('after'));
    await waitFor('an object created after recovery', () => inf.store.get('after', NS) !== undefined);
  });

  it('relists after the history is compacted (410 Gone) and reports the objects deleted meanwhile', async () => {
    await cms.create(cm('keep'));
    await cms.create(cm('gone'));
    const inf = newInformer();
    const deleted: string[] = [];
    inf.addHandlers({ onDelete: (o) => deleted.push(o.metadata!.name!) });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    // Hold the re-watch back while the world changes and the history is dropped, so that it resumes from
    // a resourceVersion the server no longer has.
    sim.faults.delay({ verb: 'watch', resource: 'configmaps', ms: 500 });
    sim.faults.cutWatches();
    await cms.delete({ namespace: NS, name: 'gone' });
    await cms.create(cm('new'));
    sim.faults.compactHistory();
    await waitFor('a relist', () => inf.lists >= 2);
    sim.faults.clear();
    await waitFor(
      'the cache to match the server',
      async () => JSON.stringify(cacheState(inf)) === JSON.stringify(await serverState()),
    );
    assert.deepEqual(cacheState(inf), { keep: 'v', new: 'v' });
    assert.deepEqual(deleted, ['gone']);
  });

  it('keeps a correct cache while watches are cut again and again', async () => {
    const inf = newInformer();
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    for (let i = 0; i < 20; i++) {
      const name = `cm-${i % 5}`;
      const existing = await cms.get({ namespace: NS, name }).catch(() => undefined);
      if (existing) await cms.replace({ ...existing, data: { k: String(i) } });
      else await cms.create(cm(name, String(i)));
      if (i % 3 === 0) sim.faults.cutWatches();
      if (i % 7 === 6) await cms.delete({ namespace: NS, name: 'cm-0' });
    }
    const expected = await serverState();
    await waitFor(
      'the cache to match the server',
      () => JSON.stringify(cacheState(inf)) === JSON.stringify(expected),
    );
  });

  it('hands every cached object to onResync each resync period, and stops on close()', async () => {
    await cms.create(cm('a'));
    await cms.create(cm('b'));
    const clock = new FakeClock(Date.now());
    const inf = new Informer<V1ConfigMap>({
      source: cms,
      kubeConfig: sim.kubeConfig(),
      namespace: NS,
      labelSelector: 'app=informer-test',
      resyncPeriodMs: 60_000,
      clock,
    });
    informers.push(inf);
    const resynced: string[] = [];
    inf.addHandlers({ onResync: (o) => resynced.push(o.metadata!.name!) });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    clock.advance(59_999);
    assert.deepEqual(resynced, []);
    clock.advance(1);
    assert.deepEqual(resynced.sort(), ['a', 'b']);
    clock.advance(60_000);
    assert.equal(resynced.length, 4);
    await inf.close();
    clock.advance(600_000);
    assert.equal(resynced.length, 4, 'no resync after close()');
    assert.equal(clock.pendingTimers, 0);
  });

  it('closes its watch and stops retrying on close()', async () => {
    const inf = newInformer();
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    await waitFor('one open watch', () => sim.openWatchCount === 1);
    await inf.close();
    await inf.close();
    await waitFor('no open watch', () => sim.openWatchCount === 0);
    assert.equal(inf.currentState, 'closed');
  });

  it('rejects waitForSync when closed before syncing', async () => {
    sim.faults.failNext({ verb: 'list', resource: 'configmaps', count: 1000, status: 503 });
    const inf = newInformer();
    inf.start();
    const waiting = inf.waitForSync();
    await inf.close();
    await assert.rejects(waiting, /closed before it synced/);
  });
});
