import { strict as assert } from 'node:assert';
import { ObjectCache } from '../../../src/kube/index.js';

describe('ObjectCache', () => {
  const cm = (ns: string, name: string, rv: string) => ({
    metadata: { namespace: ns, name, resourceVersion: rv },
  });

  it('indexes by key and namespace, and reports what a relist changed', () => {
    const cache = new ObjectCache();
    cache.upsert(cm('a', 'x', '1'));
    cache.upsert(cm('a', 'y', '2'));
    cache.upsert(cm('b', 'x', '3'));
    assert.deepEqual(cache.keys().sort(), ['a/x', 'a/y', 'b/x']);
    assert.equal(cache.listByNamespace('a').length, 2);
    assert.equal(cache.get('x', 'b')?.metadata?.resourceVersion, '3');
    const delta = cache.replace([cm('a', 'x', '1'), cm('a', 'y', '5'), cm('c', 'z', '6')]);
    assert.deepEqual(
      delta.deleted.map((o) => o.metadata?.name),
      ['x'],
    );
    assert.deepEqual(
      delta.added.map((o) => o.metadata?.name),
      ['z'],
    );
    assert.deepEqual(
      delta.updated.map((u) => u.current.metadata?.resourceVersion),
      ['5'],
    );
    assert.deepEqual(cache.listByNamespace('b'), []);
    assert.equal(cache.size, 3);
  });
});
