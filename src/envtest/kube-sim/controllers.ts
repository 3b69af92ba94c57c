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
import type { ObjectStore } from './object-store.js';
import type { ResourceRegistry } from './registry.js';
import type { ResourceApi } from './resource-api.js';
import { storageKey, type ResourceType } from './resource-type.js';
import { ApiError } from './status-error.js';

const ORPHAN = 'orphan';
const FOREGROUND = 'foregroundDeletion';
const CRD_CLEANUP = 'customresourcecleanup.apiextensions.k8s.io';
const CRDS = 'apiextensions.k8s.io/customresourcedefinitions';
/** A bound on one settle pass, so that a bug can never spin the event loop forever. */
const MAX_ROUNDS = 100;

/**
 * The cluster's background controllers, in miniature: the garbage collector (ownerReferences with
 * Background, Orphan and Foreground propagation), the namespace controller (a terminating namespace is
 * emptied, then removed) and the CRD finalizer (a deleted CRD's objects go first). They run
 * asynchronously after writes, as the real ones do, through the same API as clients.
 */
export class Controllers {
  private scheduled: NodeJS.Immediate | undefined;
  private closed = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly registry: ResourceRegistry,
    private readonly api: () => ResourceApi,
  ) {}

  /** Schedules a settle pass (coalesced) on the next turn of the event loop. */
  kick(): void {
    if (this.closed || this.scheduled) return;
    this.scheduled = setImmediate(() => {
      this.scheduled = undefined;
      this.settle();
    });
  }

  close(): void {
    this.closed = true;
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
  }

  private settle(): void {
    for (let round = 0; round < MAX_ROUNDS && !this.closed; round++) {
      if (!this.step()) return;
    }
  }

  /** One round over every object; true when it changed something. */
  private step(): boolean {
    let changed = false;
    for (const resource of this.store.resources()) {
      const type = this.typeOfResource(resource);
      if (!type) continue;
      for (const obj of this.store.list(resource)) {
        if (!this.store.get(resource, namespaceOf(obj), nameOf(obj))) continue;
        changed = this.collect(type, obj) || changed;
      }
    }
    return changed;
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
    const uid = uidOf(owner);
    const out: Array<{ type: ResourceType; obj: JsonObject }> = [];
    for (const resource of this.store.resources()) {
      const type = this.typeOfResource(resource);
      if (!type) continue;
      for (const obj of this.store.list(resource)) {
        if (ownerReferencesOf(obj).some((r) => r.uid === uid)) out.push({ type, obj });
      }
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
