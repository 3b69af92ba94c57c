// One kind watched in a fixed list of namespaces (controller-runtime's multiNamespaceCache): one
// Informer per namespace behind the interface of a single one, so that a namespace-scoped operator
// lists and watches only there and its readers do not know the difference.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectStore } from './cache.js';
import type { Informer } from './informer.js';
import type { InformerHandlers } from './informer-handlers.js';
import { parseObjectKey } from './types.js';

/**
 * What readers and the manager need of a list+watch cache of one kind, however many list-watches feed
 * it: {@link Informer} (one namespace or all) and {@link MultiNamespaceInformer} (several) both have it.
 */
export interface KindInformer<T extends KubernetesObject> {
  /** The cache; complete once {@link hasSynced} is true. */
  readonly store: ObjectStore<T>;
  /** Registers handlers (before start(), so that none misses the first list); returns an unregister function. */
  addHandlers(handlers: InformerHandlers<T>): () => void;
  start(): void;
  hasSynced(): boolean;
  /** Resolves once synced; rejects if `signal` aborts or the informer closes first. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  /** Stops every list-watch; resolves once all have ended. Idempotent. */
  close(): Promise<void>;
}

/** The stores of several namespaces read as one; an object of another namespace is never there. */
class MultiNamespaceStore<T extends KubernetesObject> implements ObjectStore<T> {
  constructor(private readonly byNamespace: ReadonlyMap<string, ObjectStore<T>>) {}

  get size(): number {
    let n = 0;
    for (const s of this.byNamespace.values()) n += s.size;
    return n;
  }

  getByKey(key: string): T | undefined {
    const { name, namespace } = parseObjectKey(key);
    return namespace === undefined ? undefined : this.get(name, namespace);
  }

  get(name: string, namespace?: string): T | undefined {
    return namespace === undefined ? undefined : this.byNamespace.get(namespace)?.get(name, namespace);
  }

  list(): T[] {
    return [...this.byNamespace.values()].flatMap((s) => s.list());
  }

  listByNamespace(namespace: string): T[] {
    return this.byNamespace.get(namespace)?.listByNamespace(namespace) ?? [];
  }

  listByOwner(namespace: string, ownerUid: string): T[] {
    return this.byNamespace.get(namespace)?.listByOwner(namespace, ownerUid) ?? [];
  }

  keys(): string[] {
    return [...this.byNamespace.values()].flatMap((s) => s.keys());
  }
}

/**
 * A namespaced kind watched in each of a fixed set of namespaces, one {@link Informer} each (made
 * by the caller with `namespace` set), read through one store. Handlers are added to every one; each
 * informer calls them on its own loop, in the order its server sent the changes. Owns the informers:
 * start() and close() start and close them all.
 */
export class MultiNamespaceInformer<T extends KubernetesObject> implements KindInformer<T> {
  /** namespace → its informer; fixed at construction. */
  private readonly informers: ReadonlyMap<string, Informer<T>>;
  readonly store: ObjectStore<T>;

  /** `informers` maps each namespace to an Informer of that namespace only. Throws on an empty map. */
  constructor(informers: ReadonlyMap<string, Informer<T>>) {
    if (informers.size === 0) throw new TypeError('MultiNamespaceInformer: give at least one namespace');
    this.informers = informers;
    this.store = new MultiNamespaceStore(new Map([...informers].map(([ns, i]) => [ns, i.store])));
  }

  /** The namespaces watched. */
  get namespaces(): string[] {
    return [...this.informers.keys()];
  }

  addHandlers(handlers: InformerHandlers<T>): () => void {
    const removers = [...this.informers.values()].map((i) => i.addHandlers(handlers));
    return () => {
      for (const remove of removers) remove();
    };
  }

  start(): void {
    for (const i of this.informers.values()) i.start();
  }

  hasSynced(): boolean {
    return [...this.informers.values()].every((i) => i.hasSynced());
  }

  async waitForSync(signal?: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }

  async close(): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.close()));
  }
}
