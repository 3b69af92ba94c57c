import { strict as assert } from 'node:assert';
import { ReadThroughCache } from '../../../src/controller/index.js';
import type { ObjectKey } from '../../../src/kube/index.js';

interface Obj {
  metadata: { namespace: string; name: string; resourceVersion: string };
  data?: string;
}

/** A fake server client counting its GETs, with a settable "server" object and "cache" object. */
function fixture() {
  const state: { server: Obj | undefined; cache: Obj | undefined; gets: number } = {
    server: undefined,
    cache: undefined,
    gets: 0,
  };
  const api = {
    get(key: ObjectKey): Promise<Obj> {
      state.gets++;
      if (!state.server) return Promise.reject(new Error(`${key.name} not found`));
      return Promise.resolve(structuredClone(state.server));
    },
    replace(obj: Obj): Promise<Obj> {
      if (obj.metadata.resourceVersion !== state.server?.metadata.resourceVersion)
        return Promise.reject(new Error('conflict'));
      const rv = String(Number(obj.metadata.resourceVersion) + 1);
      state.server = { ...obj, metadata: { ...obj.metadata, resourceVersion: rv } };
      return Promise.resolve(structuredClone(state.server));
    },
  };
  const cache = new ReadThroughCache<Obj>(() => state.cache, {
    absent: (k) => new Error(`${k.name} not in the cache`),
  });
  const wrapped = {
    get: (k: ObjectKey) => cache.get(k, () => api.get(k)),
    replace: (obj: Obj) => cache.write(obj.metadata, () => api.replace(obj)),
  };
  return { state, wrapped, cache };
}

const key = { namespace: 'ns', name: 'a' };
const at = (rv: string, data?: string): Obj => ({ metadata: { ...key, resourceVersion: rv }, data });

describe('ReadThroughCache (GETs answered by an informer cache holding the exact version)', () => {
  it('answers an object never read nor written here from the cache, as a copy', async () => {
    const { state, wrapped } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    const copy = await wrapped.get(key);
    assert.equal(copy.data, 'x');
    assert.equal(state.gets, 0, 'the informer copy is the newest this process knows');
    copy.data = 'changed by the caller';
    assert.equal(state.cache.data, 'x', 'callers get a copy');
  });

  it('says absent without a request when the cache holds every object and not this one', async () => {
    const { state, wrapped } = fixture();
    await assert.rejects(wrapped.get(key), /a not in the cache/);
    assert.equal(state.gets, 0);
  });

  it('reads from the server while the cache lags behind its own write, and after someone else wrote', async () => {
    const { state, wrapped } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    const read = await wrapped.get(key);
    await wrapped.replace({ ...read, data: 'y' });
    assert.equal((await wrapped.get(key)).data, 'y', 'cache at 1, we wrote 2: the server answers');
    assert.equal(state.gets, 1);
    state.cache = at('2', 'y');
    await wrapped.get(key);
    assert.equal(state.gets, 1, 'the cache caught up with our write');
    state.server = at('3', 'z');
    state.cache = at('3', 'z');
    assert.equal((await wrapped.get(key)).data, 'z', 'a version we never saw: the server answers');
    assert.equal(state.gets, 2);
  });

  it('forgets the version after a failed call, so a stale cache is not trusted', async () => {
    const { state, wrapped } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    const read = await wrapped.get(key);
    state.server = at('2', 'someone else');
    await assert.rejects(wrapped.replace({ ...read, data: 'y' }), /conflict/);
    assert.equal((await wrapped.get(key)).data, 'someone else', 'the cache still at 1 is not trusted');
    assert.equal(state.gets, 1);
  });

  it('trusts the cache for a key again once the informer saw it deleted', async () => {
    const { state, wrapped, cache } = fixture();
    state.server = at('1', 'x');
    await assert.rejects(wrapped.replace(at('0', 'y')), /conflict/);
    assert.equal((await wrapped.get(key)).data, 'x', 'stale after the failure: the server answers');
    assert.equal(state.gets, 1);
    state.server = undefined;
    cache.deleted(at('1'));
    await assert.rejects(wrapped.get(key), /not in the cache/);
    assert.equal(state.gets, 1, 'no request for a deleted object');
  });

  it("tells an informer event of this client's own last version from any other", async () => {
    const { state, wrapped, cache } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    const read = await wrapped.get(key);
    assert.equal(cache.isOwnVersion(at('1')), false, 'a cache answer is no call of ours');
    await wrapped.replace(read);
    assert.equal(cache.isOwnVersion(at('2')), true, 'the version our write made');
    assert.equal(cache.isOwnVersion(at('1')), false);
    assert.equal(cache.isOwnVersion(at('3')), false, "someone else's");
    assert.equal(
      cache.isOwnVersion({ metadata: { namespace: 'ns', name: 'b', resourceVersion: '2' } }),
      false,
    );
  });
});
