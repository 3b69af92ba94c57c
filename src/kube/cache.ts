import type { KubernetesObject } from '@kubernetes/client-node';
import { objectKey } from './types.js';

/** Read access to an informer's objects. Objects are shared: treat them as read-only. */
export interface ObjectStore<T extends KubernetesObject> {
  /** The object stored under `namespace/name` (or `name` when cluster-scoped). */
  getByKey(key: string): T | undefined;
  /** The object with this name (and namespace, for namespaced kinds). */
  get(name: string, namespace?: string): T | undefined;
  /** Every object. */
  list(): T[];
  /** The objects of one namespace. */
  listByNamespace(namespace: string): T[];
  /** The objects of one namespace with an ownerReference to `ownerUid` (an index: no scan). */
  listByOwner(namespace: string, ownerUid: string): T[];
  /** Every key. */
  keys(): string[];
  /** Number of objects. */
  readonly size: number;
}

/** What changed when a full list replaced the cache. */
export interface ReplaceDelta<T> {
  readonly added: T[];
  readonly updated: { old: T; current: T }[];
  readonly deleted: T[];
}

function sameVersion(a: KubernetesObject, b: KubernetesObject): boolean {
  const rv = a.metadata?.resourceVersion;
  return rv !== undefined && rv === b.metadata?.resourceVersion;
}

/** An indexed object cache (by key and by namespace), written only by its informer. */
export class ObjectCache<T extends KubernetesObject> implements ObjectStore<T> {
  /** key → object; the source of truth. */
  private readonly byKey = new Map<string, T>();
  /** namespace ('' for cluster-scoped) → keys; always consistent with `byKey`. */
  private readonly byNamespace = new Map<string, Set<string>>();
  /**
   * owner uid → keys of the objects it owns; always consistent with `byKey`. Reconcilers look for
   * what one object owns on every pass: a scan of the namespace made that O(objects) each time.
   */
  private readonly byOwner = new Map<string, Set<string>>();

  get size(): number {
    return this.byKey.size;
  }

  getByKey(key: string): T | undefined {
    return this.byKey.get(key);
  }

  get(name: string, namespace?: string): T | undefined {
    return this.byKey.get(namespace ? `${namespace}/${name}` : name);
  }

  list(): T[] {
    return [...this.byKey.values()];
  }

  listByNamespace(namespace: string): T[] {
    const keys = this.byNamespace.get(namespace);
    if (!keys) return [];
    return [...keys].map((k) => this.byKey.get(k)).filter((o): o is T => o !== undefined);
  }

  listByOwner(namespace: string, ownerUid: string): T[] {
    const out: T[] = [];
    for (const key of this.byOwner.get(ownerUid) ?? []) {
      const obj = this.byKey.get(key);
      if (obj && (obj.metadata?.namespace ?? '') === namespace) out.push(obj);
    }
    return out;
  }

  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /**
   * Stores `obj`. Returns `{ kind: 'added' }`, `{ kind: 'updated', old }`, or `{ kind: 'unchanged' }`
   * when the stored object already has the same `resourceVersion`.
   */
  upsert(obj: T): { kind: 'added' } | { kind: 'updated'; old: T } | { kind: 'unchanged' } {
    const key = objectKey(obj);
    const old = this.byKey.get(key);
    if (old && sameVersion(old, obj)) return { kind: 'unchanged' };
    if (old) this.unindexOwners(key, old);
    this.byKey.set(key, obj);
    this.indexOwners(key, obj);
    const ns = obj.metadata?.namespace ?? '';
    let keys = this.byNamespace.get(ns);
    if (!keys) {
      keys = new Set();
      this.byNamespace.set(ns, keys);
    }
    keys.add(key);
    return old ? { kind: 'updated', old } : { kind: 'added' };
  }

  /** Removes the object with `obj`'s key; returns the stored object, if there was one. */
  remove(obj: KubernetesObject): T | undefined {
    const key = objectKey(obj);
    const old = this.byKey.get(key);
    if (!old) return undefined;
    this.byKey.delete(key);
    this.unindexOwners(key, old);
    const ns = old.metadata?.namespace ?? '';
    const keys = this.byNamespace.get(ns);
    keys?.delete(key);
    if (keys && keys.size === 0) this.byNamespace.delete(ns);
    return old;
  }

  private indexOwners(key: string, obj: T): void {
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      let keys = this.byOwner.get(ref.uid);
      if (!keys) {
        keys = new Set();
        this.byOwner.set(ref.uid, keys);
      }
      keys.add(key);
    }
  }

  private unindexOwners(key: string, obj: T): void {
    for (const ref of obj.metadata?.ownerReferences ?? []) {
      const keys = this.byOwner.get(ref.uid);
      keys?.delete(key);
      if (keys && keys.size === 0) this.byOwner.delete(ref.uid);
    }
  }

  /** Makes the cache hold exactly `items` and says what changed. */
  replace(items: readonly T[]): ReplaceDelta<T> {
    const delta: ReplaceDelta<T> = { added: [], updated: [], deleted: [] };
    const listed = new Set(items.map((o) => objectKey(o)));
    for (const [key, old] of [...this.byKey]) {
      if (!listed.has(key)) {
        this.remove(old);
        delta.deleted.push(old);
      }
    }
    for (const item of items) {
      const result = this.upsert(item);
      if (result.kind === 'added') delta.added.push(item);
      else if (result.kind === 'updated') delta.updated.push({ old: result.old, current: item });
    }
    return delta;
  }
}
