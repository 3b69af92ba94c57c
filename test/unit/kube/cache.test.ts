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

  it('indexes by owner uid through updates, owner changes, removals and relists', () => {
    const owned = (ns: string, name: string, rv: string, ...uids: string[]) => ({
      metadata: {
        namespace: ns,
        name,
        resourceVersion: rv,
        ownerReferences: uids.map((uid) => ({ apiVersion: 'v1', kind: 'X', name: uid, uid })),
      },
    });
    const cache = new ObjectCache();
    const names = (ns: string, uid: string): string[] =>
      cache
        .listByOwner(ns, uid)
        .map((o) => o.metadata?.name ?? '')
        .sort();
    cache.upsert(owned('a', 'x', '1', 'u1'));
    cache.upsert(owned('a', 'y', '2', 'u1', 'u2'));
    cache.upsert(owned('b', 'z', '3', 'u1'));
    cache.upsert(cm('a', 'plain', '4'));
    assert.deepEqual(names('a', 'u1'), ['x', 'y']);
    assert.deepEqual(names('b', 'u1'), ['z'], 'only the namespace asked for');
    assert.deepEqual(names('a', 'u2'), ['y']);
    cache.upsert(owned('a', 'y', '5', 'u2'));
    assert.deepEqual(names('a', 'u1'), ['x'], 'an update that drops an owner leaves its index');
    cache.remove(owned('a', 'x', '1', 'u1'));
    assert.deepEqual(names('a', 'u1'), []);
    cache.replace([owned('a', 'y', '6', 'u3')]);
    assert.deepEqual(names('a', 'u2'), []);
    assert.deepEqual(names('a', 'u3'), ['y']);
    assert.deepEqual(names('b', 'u1'), [], 'a relist removes what it no longer lists');
  });
});
