// Reads that an informer cache can answer exactly. Two objects with one resourceVersion are the same
// object, so when the cache holds the very version this client last got back from the server (its own
// write, or a read), that copy is what a GET would return — and the GET is skipped. Any other version
// (the cache behind our write, or someone else's newer change) is read from the server as before.
import type { CallOptions, ObjectKey } from '../../kube/index.js';

/** namespace/name of an object (not the kube layer's ObjectKey: a cache lookup is no API call). */
interface CacheKey {
  readonly namespace?: string | undefined;
  readonly name: string;
}

interface Versioned {
  metadata?: { name?: string; namespace?: string; resourceVersion?: string };
}

interface Api<T> {
  get(key: ObjectKey, options?: CallOptions): Promise<T>;
}

function keyText(namespace: string | undefined, name: string | undefined): string {
  return `${namespace ?? ''}/${name ?? ''}`;
}

/**
 * Wraps `api` (a typed client whose methods resolve with the object they read or wrote): every object
 * it returns records its resourceVersion; `get` answers from `cached` when that holds the recorded
 * version (a deep copy, so that callers cannot change the cache), and from the server otherwise.
 * `delete` and any failed call (a 409 says the server moved on) forget the key. Every method otherwise
 * behaves exactly as `api`'s.
 */
export function readThrough<A extends Api<T>, T extends Versioned>(
  api: A,
  cached: (key: CacheKey) => T | undefined,
): A {
  /** Last resourceVersion the server returned, by `namespace/name`. */
  const seen = new Map<string, string>();
  const note = (obj: unknown): void => {
    const meta = (obj as Versioned | undefined)?.metadata;
    if (meta?.resourceVersion) seen.set(keyText(meta.namespace, meta.name), meta.resourceVersion);
  };
  return new Proxy(api, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      if (property === 'get') {
        return async (key: ObjectKey, ...rest: unknown[]): Promise<T> => {
          const version = seen.get(keyText(key.namespace, key.name));
          const hit = version === undefined ? undefined : cached(key);
          if (hit && hit.metadata?.resourceVersion === version) return structuredClone(hit);
          try {
            const obj = (await method.call(target, key, ...rest)) as T;
            note(obj);
            return obj;
          } catch (err) {
            seen.delete(keyText(key.namespace, key.name));
            throw err;
          }
        };
      }
      if (property === 'delete') {
        return (key: ObjectKey, ...rest: unknown[]): unknown => {
          seen.delete(keyText(key.namespace, key.name));
          return method.call(target, key, ...rest);
        };
      }
      return async (...args: unknown[]): Promise<unknown> => {
        try {
          const result = await method.apply(target, args);
          note(result);
          return result;
        } catch (err) {
          const first = args[0] as (ObjectKey & Versioned) | undefined;
          const meta = first?.metadata;
          seen.delete(meta ? keyText(meta.namespace, meta.name) : keyText(first?.namespace, first?.name));
          throw err;
        }
      };
    },
  });
}
