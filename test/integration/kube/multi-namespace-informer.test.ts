// MultiNamespaceInformer: one kind watched in a fixed list of namespaces (a namespace-scoped operator),
// read as one cache; objects of other namespaces are never listed, cached or handed to handlers.
import { strict as assert } from 'node:assert';
import { CoreV1Api, type V1ConfigMap } from '@kubernetes/client-node';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { ConfigMapClient, Informer, MultiNamespaceInformer } from '../../../src/kube/index.js';
import { waitFor } from './support.js';

describe('MultiNamespaceInformer (per-namespace informers against the simulator)', function () {
  this.timeout(60_000);
  let sim: KubeSim;
  let cms: ConfigMapClient;
  let informer: MultiNamespaceInformer<V1ConfigMap> | undefined;

  function cm(namespace: string, name: string, value = 'v'): V1ConfigMap {
    return { metadata: { name, namespace }, data: { k: value } };
  }

  beforeEach(async () => {
    sim = await KubeSim.start({ port: 0 });
    cms = new ConfigMapClient(sim.kubeConfig());
    const core = sim.kubeConfig().makeApiClient(CoreV1Api);
    for (const name of ['a', 'b', 'c']) await core.createNamespace({ body: { metadata: { name } } });
  });
  afterEach(async () => {
    await informer?.close();
    informer = undefined;
    await sim.close();
  });

  function watching(namespaces: string[]): MultiNamespaceInformer<V1ConfigMap> {
    informer = new MultiNamespaceInformer(
      new Map(
        namespaces.map((namespace) => [
          namespace,
          new Informer<V1ConfigMap>({ source: cms, kubeConfig: sim.kubeConfig(), namespace }),
        ]),
      ),
    );
    return informer;
  }

  it('caches only the watched namespaces and reads them as one store', async () => {
    for (const ns of ['a', 'b', 'c']) await cms.create(cm(ns, 'x'));
    await cms.create(cm('a', 'y'));
    const inf = watching(['a', 'b']);
    assert.deepEqual(inf.namespaces, ['a', 'b']);
    assert.equal(inf.hasSynced(), false);
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    assert.equal(inf.hasSynced(), true);
    assert.deepEqual(inf.store.keys().sort(), ['a/x', 'a/y', 'b/x']);
    assert.equal(inf.store.size, 3);
    assert.equal(inf.store.get('x', 'b')?.metadata?.namespace, 'b');
    assert.equal(inf.store.getByKey('a/y')?.metadata?.name, 'y');
    assert.equal(inf.store.get('x', 'c'), undefined, 'an unwatched namespace is never there');
    assert.equal(inf.store.getByKey('c/x'), undefined);
    assert.equal(inf.store.get('x'), undefined, 'a namespaced kind has no cluster-scoped keys');
    assert.deepEqual(inf.store.listByNamespace('c'), []);
    assert.equal(inf.store.listByNamespace('a').length, 2);
  });

  it('hands the changes of every watched namespace to the handlers, and none of the others', async () => {
    const inf = watching(['a', 'b']);
    const seen: string[] = [];
    const remove = inf.addHandlers({
      onAdd: (o) => seen.push(`add ${o.metadata?.namespace}/${o.metadata?.name}`),
      onDelete: (o) => seen.push(`delete ${o.metadata?.namespace}/${o.metadata?.name}`),
    });
    inf.start();
    await inf.waitForSync(AbortSignal.timeout(15_000));
    await cms.create(cm('c', 'unseen'));
    await cms.create(cm('b', 'n'));
    await cms.create(cm('a', 'm'));
    await cms.delete({ namespace: 'b', name: 'n' });
    await waitFor('the changes of a and b', () => (seen.length >= 3 ? true : seen.join(', ')), 15_000);
    assert.deepEqual([...seen].sort(), ['add a/m', 'add b/n', 'delete b/n']);
    remove();
    await cms.create(cm('a', 'after'));
    await waitFor('the cache to catch up', () => (inf.store.get('after', 'a') ? true : 'not yet'), 15_000);
    assert.equal(seen.length, 3, 'removed handlers are called no more');
    assert.equal(inf.store.get('unseen', 'c'), undefined);
  });

  it('refuses an empty set of namespaces (that would be "watch nothing", never "all")', () => {
    assert.throws(() => new MultiNamespaceInformer(new Map()), /at least one namespace/);
  });
});
