import { clone, objectAt, stringAt, type JsonObject } from './json.js';
import { seal } from './json-text.js';

/** The kind of a committed write, named as watch events name it. */
export type ChangeType = 'ADDED' | 'MODIFIED' | 'DELETED';

/** One committed write, as watchers and the history see it. Objects are never mutated once stored. */
export interface Change {
  rv: bigint;
  /** storage key `group/plural` */
  resource: string;
  type: ChangeType;
  /** The new state; for DELETED the last state, stamped with the deletion's resourceVersion. */
  object: JsonObject;
  /** The state before this write (absent for ADDED). */
  prev?: JsonObject;
}

/** Called synchronously after each commit, in commit order. */
export type ChangeListener = (change: Change) => void;

/** Dropped history entries are cut off the array once this many (and half of it) have piled up. */
const HISTORY_TRIM_AT = 1_024;

/** The outcome of asking for history older than what is kept. */
export const EXPIRED = Symbol('expired');

function metaOf(o: JsonObject): { namespace: string; name: string } {
  const m = objectAt(o, 'metadata');
  return { namespace: stringAt(m, 'namespace') ?? '', name: stringAt(m, 'name') ?? '' };
}

/** The key objects sort by: namespace then name, as etcd's `/registry/<resource>/<ns>/<name>` keys do. */
export function objectKey(namespace: string, name: string): string {
  return namespace === '' ? name : `${namespace}/${name}`;
}

/**
 * The simulator's etcd: objects by resource, one global monotonic resourceVersion counter bumped by
 * every write, and a bounded history of changes that watches replay from. Listeners are called
 * synchronously, in commit order, after each write.
 */
export class ObjectStore {
  /** The resourceVersion of the last write (0 before any). */
  private rv = 0n;
  /** resource → objectKey → stored object (its metadata.resourceVersion is the rv of its last write). */
  private readonly objects = new Map<string, Map<string, JsonObject>>();
  /**
   * Changes in rv order from index `head` on (never more than historyLimit of them); the entries
   * before `head` have left the history and are cut off in bulk, so that a write costs O(1).
   */
  private history: Change[] = [];
  /** Index of the oldest kept change in `history`. */
  private head = 0;
  /** Highest rv whose change is no longer in `history`: a watch from an rv below it is 410 Gone. */
  private compactedThrough = 0n;
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly historyLimit: number) {}

  get currentRv(): bigint {
    return this.rv;
  }

  /** The oldest rv a watch may still start from. */
  get oldestWatchableRv(): bigint {
    return this.compactedThrough;
  }

  get(resource: string, namespace: string, name: string): JsonObject | undefined {
    return this.objects.get(resource)?.get(objectKey(namespace, name));
  }

  /** Current objects of a resource (all namespaces when `namespace` is undefined), in key order. */
  list(resource: string, namespace?: string): JsonObject[] {
    const all = this.objects.get(resource);
    if (!all) return [];
    const out: JsonObject[] = [];
    for (const [key, obj] of [...all].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (namespace === undefined || key.startsWith(`${namespace}/`)) out.push(obj);
    }
    return out;
  }

  /** Every resource that holds objects. */
  resources(): string[] {
    return [...this.objects.keys()];
  }

  /** Stores `obj` (copied) at a new resourceVersion; the caller checked it does not exist. */
  create(resource: string, obj: JsonObject): JsonObject {
    return this.commit(resource, 'ADDED', obj, undefined);
  }

  update(resource: string, obj: JsonObject, prev: JsonObject): JsonObject {
    return this.commit(resource, 'MODIFIED', obj, prev);
  }

  /**
   * Removes the object; `last` is its final state (the stored one, or the update that removed its last
   * finalizer). Returns it stamped with the deletion's resourceVersion.
   */
  delete(resource: string, last: JsonObject, prev: JsonObject): JsonObject {
    return this.commit(resource, 'DELETED', last, prev);
  }

  private commit(
    resource: string,
    type: ChangeType,
    obj: JsonObject,
    prev: JsonObject | undefined,
  ): JsonObject {
    this.rv += 1n;
    const stored = clone(obj);
    const meta = objectAt(stored, 'metadata') ?? {};
    stored['metadata'] = meta;
    meta['resourceVersion'] = this.rv.toString();
    const { namespace, name } = metaOf(stored);
    const key = objectKey(namespace, name);
    let bucket = this.objects.get(resource);
    if (!bucket) {
      bucket = new Map();
      this.objects.set(resource, bucket);
    }
    seal(stored);
    if (type === 'DELETED') bucket.delete(key);
    else bucket.set(key, stored);
    const change: Change = { rv: this.rv, resource, type, object: stored, ...(prev ? { prev } : {}) };
    this.history.push(change);
    if (this.history.length - this.head > this.historyLimit) {
      this.compactedThrough = this.history[this.head]?.rv ?? this.compactedThrough;
      this.head++;
      if (this.head >= HISTORY_TRIM_AT && this.head * 2 >= this.history.length) {
        this.history = this.history.slice(this.head);
        this.head = 0;
      }
    }
    for (const l of [...this.listeners]) l(change);
    return stored;
  }

  /** Changes of `resource` after `rv`, or EXPIRED when some of them have left the history. */
  changesSince(resource: string, rv: bigint): Change[] | typeof EXPIRED {
    if (rv < this.compactedThrough) return EXPIRED;
    const out: Change[] = [];
    for (let i = this.head; i < this.history.length; i++) {
      const c = this.history[i]!;
      if (c.rv > rv && c.resource === resource) out.push(c);
    }
    return out;
  }

  /** The objects of `resource` as they were at `rv`, or EXPIRED when that is older than the history. */
  stateAt(resource: string, rv: bigint, namespace?: string): JsonObject[] | typeof EXPIRED {
    if (rv < this.compactedThrough || rv > this.rv) return EXPIRED;
    const state = new Map<string, JsonObject>(this.list(resource).map((o) => [keyOf(o), o]));
    for (let i = this.history.length - 1; i >= this.head; i--) {
      const c = this.history[i];
      if (!c || c.rv <= rv) break;
      if (c.resource !== resource) continue;
      if (c.type === 'ADDED') state.delete(keyOf(c.object));
      else if (c.prev) state.set(keyOf(c.prev), c.prev);
    }
    return [...state]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, o]) => o)
      .filter((o) => namespace === undefined || metaOf(o).namespace === namespace);
  }

  /** Drops all history: a watch or an Exact list from any rv below the current one gets 410 Gone. */
  compact(): void {
    this.history = [];
    this.head = 0;
    this.compactedThrough = this.rv;
  }

  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

function keyOf(o: JsonObject): string {
  const { namespace, name } = metaOf(o);
  return objectKey(namespace, name);
}
