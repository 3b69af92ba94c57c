// Reads that an informer cache can answer exactly. Two objects with one resourceVersion are the same
// object, so when the cache holds the very version this client last got back from the server (its own
// write, or a read), that copy is what a GET would return — and the GET is skipped. An object this
// client never read nor wrote is answered by the cache too: the informer's copy is then the newest this
// process knows (a stale one fails the write's resourceVersion precondition, and the key is then read
// from the server). Any other version (the cache behind our write, or after a failed call) is read from
// the server as before.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { cloneJson } from '../../base/index.js';
import type { CallOptions, ObjectKey } from '../../kube/index.js';
import type { ConfigMapApi, ResourceApi } from './resources.js';

/** namespace/name of an object (not the kube layer's ObjectKey: a cache lookup is no API call). */
interface CacheKey {
  readonly namespace?: string | undefined;
  readonly name: string;
}

interface Versioned {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

function keyText(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

function keyOfObject(obj: Versioned): CacheKey {
  return { namespace: obj.metadata?.namespace, name: obj.metadata?.name ?? '' };
}

/** A `seen` value that means: the server moved past what this client knows; read from the server. */
const STALE = '';

/** Options of {@link ReadThroughCache}. */
export interface ReadThroughOptions {
  /**
   * The error a GET of an object the cache does not hold throws, when the cache holds every object
   * that exists (the informers watch all of them): no request is made. Undefined: read from the server.
   */
  absent?: (key: CacheKey) => Error | undefined;
}

/**
 * The versions this client last got back from the server, by object, and the informer cache to
 * answer GETs from when it holds exactly that version (or the object was never read nor written here).
 * The explicit adapters below route an API client's calls through it.
 */
export class ReadThroughCache<T extends Versioned> {
  /** Last resourceVersion the server returned, or {@link STALE}, by `namespace/name`. */
  private readonly seen = new Map<string, string>();

  constructor(
    private readonly cached: (key: CacheKey) => T | undefined,
    private readonly options: ReadThroughOptions = {},
  ) {}

  /**
   * The object at `key`: a deep copy of the cache's when it holds the version last seen, or when
   * nothing was seen of it (callers cannot change the cache); else `read()` from the server. A failed
   * read marks the key stale.
   */
  async get(key: CacheKey, read: () => Promise<T>): Promise<T> {
    const version = this.seen.get(keyText(key.namespace, key.name));
    if (version === undefined) {
      const hit = this.cached(key);
      if (hit) return cloneJson(hit);
      const absent = this.options.absent?.(key);
      if (absent) throw absent;
    } else if (version !== STALE) {
      const hit = this.cached(key);
      if (hit && hit.metadata?.resourceVersion === version) return cloneJson(hit);
    }
    return this.write(key, read);
  }

  /**
   * Runs a call that resolves with the object as the server now has it (a read or a write) and
   * records its version; a failed call (a 409 says the server moved on) marks the key stale.
   */
  async write<R extends Versioned>(key: CacheKey, call: () => Promise<R>): Promise<R> {
    try {
      const obj = await call();
      const meta = obj.metadata;
      if (meta?.resourceVersion) this.seen.set(keyText(meta.namespace, meta.name), meta.resourceVersion);
      return obj;
    } catch (err) {
      this.forget(key);
      throw err;
    }
  }

  /** Stops trusting the cache for `key` until the server is read again (deleted, or a failed call). */
  forget(key: CacheKey): void {
    this.seen.set(keyText(key.namespace, key.name), STALE);
  }

  /**
   * The informer saw `obj` deleted: what the cache says of its key is the server's truth again (and
   * the entry goes, so that deleted objects do not accumulate).
   */
  deleted(obj: Versioned): void {
    this.seen.delete(keyText(obj.metadata?.namespace, obj.metadata?.name));
  }

  /**
   * Whether `obj` is the very version this client last got back from its own call — an informer event
   * about it reports what this client already knows (its own write), so it needs no reconcile.
   */
  isOwnVersion(obj: Versioned): boolean {
    const version = obj.metadata?.resourceVersion;
    return (
      version !== undefined &&
      version !== STALE &&
      this.seen.get(keyText(obj.metadata?.namespace, obj.metadata?.name)) === version
    );
  }
}

/** `api` with GETs answered by `cache` when it holds the version last seen (see ReadThroughCache). */
export function readThroughResourceApi<T extends Versioned>(
  api: ResourceApi<T>,
  cache: ReadThroughCache<T>,
): ResourceApi<T> {
  return {
    get: (key: ObjectKey, options?: CallOptions) => cache.get(key, () => api.get(key, options)),
    replaceStatus: (obj: T, options?: CallOptions) =>
      cache.write(keyOfObject(obj), () => api.replaceStatus(obj, options)),
    patchMerge: (key: ObjectKey, patch: object, options?: CallOptions) =>
      cache.write(key, () => api.patchMerge(key, patch, options)),
  };
}

/** `api` with GETs answered by `cache` when it holds the version last seen (see ReadThroughCache). */
export function readThroughConfigMaps(api: ConfigMapApi, cache: ReadThroughCache<V1ConfigMap>): ConfigMapApi {
  return {
    get: (key, options) => cache.get(key, () => api.get(key, options)),
    create: (cm, options) => cache.write(keyOfObject(cm), () => api.create(cm, options)),
    replace: (cm, options) => cache.write(keyOfObject(cm), () => api.replace(cm, options)),
    delete: (key, options) => {
      cache.forget(key);
      return api.delete(key, options);
    },
  };
}
