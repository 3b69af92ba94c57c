// A target write when the informer caches have not seen a ConfigMap the server holds (created a moment
// ago by someone else, or by a previous leader): the create that the caches' "absent" leads to fails
// with AlreadyExists, the key is read from the server from then on, and the write goes on from what
// the server holds — someone else's object is still never written.
import { strict as assert } from 'node:assert';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { ReadThroughCache, readThroughConfigMaps } from '../../../src/controller/index.js';
import { TargetConfigMaps } from '../../../src/controller/prefixsync/target-configmaps.js';
import { ReconcileFailure } from '../../../src/controller/shared/reconcile-failure.js';
import { desiredConfigMap } from '../../../src/controller/prefixsync/desired-configmap.js';
import { AlreadyExistsError, NotFoundError, type ObjectKey } from '../../../src/kube/index.js';
import { silentLogger } from '../../../src/observability/index.js';
import { content, prefixSync } from './fixtures.js';

/** A server holding one ConfigMap, recording the calls it gets. */
function server(held: V1ConfigMap | undefined) {
  const calls: string[] = [];
  let stored = held;
  const api = {
    get(key: ObjectKey): Promise<V1ConfigMap> {
      calls.push(`get ${key.name}`);
      return stored
        ? Promise.resolve(structuredClone(stored))
        : Promise.reject(new NotFoundError('nf', 404, 'NotFound'));
    },
    create(cm: V1ConfigMap): Promise<V1ConfigMap> {
      calls.push(`create ${cm.metadata?.name}`);
      if (stored) return Promise.reject(new AlreadyExistsError('taken', 409, 'AlreadyExists'));
      stored = { ...cm, metadata: { ...cm.metadata, resourceVersion: '1' } };
      return Promise.resolve(structuredClone(stored));
    },
    replace(cm: V1ConfigMap): Promise<V1ConfigMap> {
      calls.push(`replace ${cm.metadata?.name}`);
      stored = {
        ...cm,
        metadata: { ...cm.metadata, resourceVersion: String(Number(cm.metadata?.resourceVersion) + 1) },
      };
      return Promise.resolve(structuredClone(stored));
    },
    delete(): Promise<void> {
      return Promise.reject(new Error('not expected'));
    },
  };
  // The informers know nothing of it: every ConfigMap they do not hold is absent to them.
  const cache = new ReadThroughCache<V1ConfigMap>(() => undefined, {
    absent: (k) => new NotFoundError(`${k.name} not cached`, 404, 'NotFound'),
  });
  const targets = new TargetConfigMaps(readThroughConfigMaps(api, cache), () => []);
  return { calls, targets, stored: () => stored };
}

const ctx = { signal: new AbortController().signal, logger: silentLogger, reconcileId: 'r' };

describe('TargetConfigMaps.write with informer caches behind the server', () => {
  it("refuses someone else's ConfigMap that the caches had not seen yet", async () => {
    const psync = prefixSync();
    const theirs: V1ConfigMap = {
      metadata: { namespace: 'team', name: 'cfg', resourceVersion: '7' },
      data: { x: '1' },
    };
    const { calls, targets, stored } = server(theirs);
    await assert.rejects(
      targets.write(psync, 'cfg', content({ a: '1' }), 5n, ctx),
      (err: unknown) => err instanceof ReconcileFailure && err.reason === 'TargetConflict',
    );
    assert.deepEqual(calls, ['create cfg', 'get cfg'], 'created at once, then read from the server');
    assert.deepEqual(stored()?.data, { x: '1' }, 'left untouched');
  });

  it('replaces its own ConfigMap written by a previous leader, from the version the server holds', async () => {
    const psync = prefixSync();
    const before = { ...desiredConfigMap(psync, 'cfg', content({ a: '0' }), 4n) };
    const { calls, targets, stored } = server({
      ...before,
      metadata: { ...before.metadata, resourceVersion: '7' },
    });
    assert.equal(await targets.write(psync, 'cfg', content({ a: '1' }), 5n, ctx), true);
    assert.deepEqual(calls, ['create cfg', 'get cfg', 'replace cfg']);
    assert.deepEqual(stored()?.data, { a: '1' });
    assert.equal(stored()?.metadata?.resourceVersion, '8');
  });

  it('creates an absent target with one request', async () => {
    const { calls, targets } = server(undefined);
    assert.equal(await targets.write(prefixSync(), 'cfg', content({ a: '1' }), 5n, ctx), true);
    assert.deepEqual(calls, ['create cfg']);
  });
});
