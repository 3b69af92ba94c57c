import { clone, objectAt, type JsonObject } from './json.js';
import {
  finalizersOf,
  isDeleting,
  meta,
  nameOf,
  namespaceOf,
  ownerReferencesOf,
  uidOf,
} from './object-meta.js';
import type { Change, ObjectStore } from './object-store.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceApi } from './resource-api.js';
import { storageKey, type ResourceType } from './resource-type.js';
import { ApiError } from './status-error.js';

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';
const CRD_CLEANUP = 'customresourcecleanup.apiextensions.k8s.io';
const CRDS = 'apiextensions.k8s.io/customresourcedefinitions';
/** A bound on one settle pass, so that a bug can never spin the event loop forever. */
const MAX_ROUNDS = 1000;

function key(resource: string, namespace: string, name: string): string {
  return `${resource}\u0000${namespace}\u0000${name}`;
}

/**
 * The cluster's background controllers, in miniature: the garbage collector (ownerReferences with
 * Background, Orphan and Foreground propagation), the namespace controller (a terminating namespace is
 * emptied, then removed) and the CRD finalizer (a deleted CRD's objects go first). They run
 * asynchronously after writes, as the real ones do, through the same API as clients.
 */
export class Controllers {
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;
  /** Objects (`key()`) to look at in the next settle pass: written, deleting, or touched by a deletion. */
  private readonly dirty = new Set<string>();
  /** uid → key of every stored object */
  private readonly byUid = new Map<string, string>();
  /** owner uid → keys of the objects whose ownerReferences name it */
  private readonly dependents = new Map<string, Set<string>>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly api: () => ResourceApi,
  ) {
    this.unsubscribe = store.subscribe((c) => this.track(c));
  }

  /** Schedules a settle pass (coalesced) on the next turn of the event loop. */
  kick(): void {
    if (this.closed || this.scheduled || this.dirty.size === 0) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.settle();
    });
  }

  close(): void {
    this.closed = true;
    this.unsubscribe();
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  /** Keeps the owner index and marks what a change may concern: the object, its dependents, its owners, its namespace, its CRD. */
  private track(c: Change): void {
    const k = key(c.resource, namespaceOf(c.object), nameOf(c.object));
    const uid = uidOf(c.object);
    for (const r of c.prev ? ownerReferencesOf(c.prev) : []) this.dependents.get(r.uid)?.delete(k);
    if (c.type === 'DELETED') {
      this.byUid.delete(uid);
      for (const d of this.dependents.get(uid) ?? []) this.dirty.add(d);
      for (const r of ownerReferencesOf(c.object)) {
        const owner = this.byUid.get(r.uid);
        if (owner) this.dirty.add(owner);
      }
      const ns = namespaceOf(c.object);
      if (ns !== '') this.dirty.add(key('/namespaces', '', ns));
      const [group = '', plural = ''] = c.resource.split('/');
      if (group !== '') this.dirty.add(key(CRDS, '', `${plural}.${group}`));
    } else {
      this.byUid.set(uid, k);
      const refs = ownerReferencesOf(c.object);
      for (const r of refs) {
        let set = this.dependents.get(r.uid);
        if (!set) {
          set = new Set();
          this.dependents.set(r.uid, set);
        }
        set.add(k);
      }
      if (refs.length > 0 || isDeleting(c.object)) this.dirty.add(k);
      if (isDeleting(c.object)) for (const d of this.dependents.get(uid) ?? []) this.dirty.add(d);
    }
    this.kick();
  }

  private settle(): void {
    for (let round = 0; round < MAX_ROUNDS && !this.closed && this.dirty.size > 0; round++) this.step();
  }

  /** One pass over the dirty objects (writes during the pass mark more for the next one). */
  private step(): void {
    const batch = [...this.dirty];
    this.dirty.clear();
    for (const k of batch) {
      const [resource = '', namespace = '', name = ''] = k.split('\u0000');
      const obj = this.store.get(resource, namespace, name);
      const type = this.typeOfResource(resource);
      if (obj && type) this.collect(type, obj);
    }
  }

  private typeOfResource(resource: string): ResourceType | undefined {
    const [group = '', plural = ''] = resource.split('/');
    return this.registry.versionsOf(group, plural)[0];
  }

  private collect(type: ResourceType, obj: JsonObject): boolean {
    if (isDeleting(obj)) {
      const f = finalizersOf(obj);
      if (f.includes(ORPHAN)) return this.orphanDependents(type, obj);
      if (f.includes(FOREGROUND)) return this.deleteDependentsFirst(type, obj);
      if (f.includes(CRD_CLEANUP) && `${type.group}/${type.plural}` === CRDS)
        return this.cleanUpCrd(type, obj);
      if (type.plural === 'namespaces' && type.group === '') return this.emptyNamespace(type, obj);
    }
    return this.collectIfOrphaned(type, obj);
  }

  /** Deletes a dependent whose owners are all gone; drops references to gone owners when some remain. */
  private collectIfOrphaned(type: ResourceType, obj: JsonObject): boolean {
    const refs = ownerReferencesOf(obj);
    if (refs.length === 0) return false;
    const absent = refs.filter((r) => this.ownerState(r, namespaceOf(obj)) === 'absent');
    const foreground = refs.some((r) => this.ownerState(r, namespaceOf(obj)) === 'foreground');
    if (foreground && !isDeleting(obj)) return this.deleteQuietly(type, obj, 'Background');
    if (absent.length === 0) return false;
    if (absent.length === refs.length) {
      if (isDeleting(obj)) return false;
      return this.deleteQuietly(type, obj, 'Background');
    }
    return this.removeOwnerRefs(type, obj, new Set(absent.map((r) => r.uid)));
  }

  /** Whether an owner still exists (looked up by name in scope, and checked by uid, as the GC does). */
  private ownerState(
    ref: { apiVersion: string; kind: string; name: string; uid: string },
    namespace: string,
  ): 'present' | 'absent' | 'foreground' | 'unknown' {
    const ownerType =
      this.registry.byKind(ref.apiVersion, ref.kind) ?? this.anyVersionOfKind(ref.apiVersion, ref.kind);
    if (!ownerType) return 'unknown';
    const owner = this.store.get(storageKey(ownerType), ownerType.namespaced ? namespace : '', ref.name);
    if (!owner || uidOf(owner) !== ref.uid) return 'absent';
    if (isDeleting(owner) && finalizersOf(owner).includes(FOREGROUND)) return 'foreground';
    return 'present';
  }

  private anyVersionOfKind(apiVersion: string, kind: string): ResourceType | undefined {
    const group = apiVersion.includes('/') ? apiVersion.split('/')[0] : '';
    return this.registry.all().find((t) => t.group === group && t.kind === kind);
  }

  private dependentsOf(owner: JsonObject): Array<{ type: ResourceType; obj: JsonObject }> {
    const out: Array<{ type: ResourceType; obj: JsonObject }> = [];
    for (const k of this.dependents.get(uidOf(owner)) ?? []) {
      const [resource = '', namespace = '', name = ''] = k.split('\u0000');
      const obj = this.store.get(resource, namespace, name);
      const type = this.typeOfResource(resource);
      if (obj && type) out.push({ type, obj });
    }
    return out;
  }

  private orphanDependents(type: ResourceType, owner: JsonObject): boolean {
    for (const d of this.dependentsOf(owner)) this.removeOwnerRefs(d.type, d.obj, new Set([uidOf(owner)]));
    return this.removeFinalizer(type, owner, ORPHAN);
  }

  private deleteDependentsFirst(type: ResourceType, owner: JsonObject): boolean {
    const dependents = this.dependentsOf(owner);
    if (dependents.length === 0) return this.removeFinalizer(type, owner, FOREGROUND);
    let changed = false;
    for (const d of dependents)
      if (!isDeleting(d.obj)) changed = this.deleteQuietly(d.type, d.obj, 'Foreground') || changed;
    return changed;
  }

  private cleanUpCrd(type: ResourceType, crd: JsonObject): boolean {
    const spec = objectAt(crd, 'spec') ?? {};
    const names = objectAt(spec, 'names') ?? {};
    const resource = `${String(spec['group'])}/${String(names['plural'])}`;
    const remaining = this.store.list(resource);
    if (remaining.length === 0) return this.removeFinalizer(type, crd, CRD_CLEANUP);
    const crType = this.typeOfResource(resource);
    if (!crType) return false;
    let changed = false;
    for (const o of remaining)
      if (!isDeleting(o)) changed = this.deleteQuietly(crType, o, 'Background') || changed;
    return changed;
  }

  private emptyNamespace(type: ResourceType, ns: JsonObject): boolean {
    const name = nameOf(ns);
    let remaining = 0;
    let changed = false;
    for (const resource of this.store.resources()) {
      const t = this.typeOfResource(resource);
      if (!t?.namespaced) continue;
      for (const o of this.store.list(resource, name)) {
        remaining++;
        if (!isDeleting(o)) changed = this.deleteQuietly(t, o, 'Background') || changed;
      }
    }
    if (remaining > 0) return changed;
    const next = clone(ns);
    next['spec'] = { ...(objectAt(next, 'spec') ?? {}), finalizers: [] };
    if (finalizersOf(next).length > 0) {
      this.store.update(storageKey(type), next, ns);
      return true;
    }
    this.store.delete(storageKey(type), next, ns);
    return true;
  }

  private deleteQuietly(type: ResourceType, obj: JsonObject, propagationPolicy: string): boolean {
    try {
      this.api().delete(
        { type, namespace: namespaceOf(obj), name: nameOf(obj), query: new URLSearchParams() },
        { propagationPolicy },
      );
      return true;
    } catch (e) {
      if (e instanceof ApiError) return false;
      throw e;
    }
  }

  private removeOwnerRefs(type: ResourceType, obj: JsonObject, uids: Set<string>): boolean {
    const next = clone(obj);
    const m = meta(next);
    const kept = ownerReferencesOf(next).filter((r) => !uids.has(r.uid));
    if (kept.length === ownerReferencesOf(obj).length) return false;
    if (kept.length === 0) delete m['ownerReferences'];
    else m['ownerReferences'] = kept;
    this.store.update(storageKey(type), next, obj);
    return true;
  }

  private removeFinalizer(type: ResourceType, obj: JsonObject, finalizer: string): boolean {
    const next = clone(obj);
    const m = meta(next);
    const kept = finalizersOf(next).filter((f) => f !== finalizer);
    if (kept.length === 0) delete m['finalizers'];
    else m['finalizers'] = kept;
    if (kept.length === 0) this.store.delete(storageKey(type), next, obj);
    else this.store.update(storageKey(type), next, obj);
    return true;
  }
}
