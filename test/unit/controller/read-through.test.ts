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
  const cache = new ReadThroughCache<Obj>(() => state.cache);
  const wrapped = {
    get: (k: ObjectKey) => cache.get(k, () => api.get(k)),
    replace: (obj: Obj) => cache.write(obj.metadata, () => api.replace(obj)),
  };
  return { state, wrapped };
}

const key = { namespace: 'ns', name: 'a' };
const at = (rv: string, data?: string): Obj => ({ metadata: { ...key, resourceVersion: rv }, data });

describe('ReadThroughCache (GETs answered by an informer cache holding the exact version)', () => {
  it('reads from the server until it has seen a version, then from a cache holding that version', async () => {
    const { state, wrapped } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    assert.equal((await wrapped.get(key)).data, 'x');
    assert.equal(state.gets, 1, 'the first read goes to the server');
    const copy = await wrapped.get(key);
    assert.equal(state.gets, 1, 'the cache holds the version just read');
    copy.data = 'changed by the caller';
    assert.equal(state.cache.data, 'x', 'callers get a copy');
  });

  it('reads from the server while the cache lags behind its own write, and after someone else wrote', async () => {
    const { state, wrapped } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    const read = await wrapped.get(key);
    await wrapped.replace({ ...read, data: 'y' });
    assert.equal((await wrapped.get(key)).data, 'y', 'cache at 1, we wrote 2: the server answers');
    assert.equal(state.gets, 2);
    state.cache = at('2', 'y');
    await wrapped.get(key);
    assert.equal(state.gets, 2, 'the cache caught up with our write');
    state.server = at('3', 'z');
    state.cache = at('3', 'z');
    assert.equal((await wrapped.get(key)).data, 'z', 'a version we never saw: the server answers');
    assert.equal(state.gets, 3);
  });

  it('forgets the version after a failed call, so a stale cache is not trusted', async () => {
    const { state, wrapped } = fixture();
    state.server = at('1', 'x');
    state.cache = at('1', 'x');
    const read = await wrapped.get(key);
    state.server = at('2', 'someone else');
    await assert.rejects(wrapped.replace({ ...read, data: 'y' }), /conflict/);
    assert.equal((await wrapped.get(key)).data, 'someone else');
    assert.equal(state.gets, 2);
  });
});
