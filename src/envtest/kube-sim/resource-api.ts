import { parse as parseYaml } from 'yaml';
import { clone, isObject, jsonEqual, objectAt, stringAt, type JsonObject } from './json.js';
import {
  dropEmptyMetadata,
  finalizersOf,
  isDeleting,
  meta,
  nameOf,
  namespaceOf,
  timestamp,
  uidOf,
} from './object-meta.js';
import type { ObjectStore } from './object-store.js';
import { listObjects, type ListResult } from './list-objects.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, storageKey, type ResourceType } from './resource-type.js';
import { present } from './present.js';
import { checkNamespace, decodeBody, dropUnapplied, PATCH_TYPES } from './request-body.js';
import { parseFieldSelector, parseLabelSelector, type Predicate } from './selectors.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  invalid,
  notFound,
  STALE_OBJECT,
  unsupportedMediaType,
  type FieldError,
} from './status-error.js';
import { bumpsGeneration, deletedStatus, prepareCreate, requireLiveNamespace } from './write-rules.js';
import { managerOf, recordWrite, type FieldWriter, type ManagedOperation } from './managed-fields.js';

/** One request on a resource, after routing. `namespace` is '' for cluster-scoped and cluster-wide requests. */
export interface ResourceRequest {
  type: ResourceType;
  namespace: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
  /** The request's User-Agent header ('' when absent): the field manager when no fieldManager is given. */
  userAgent?: string;
}

/** A response: HTTP code, body, and `Warning` headers. */
export interface ApiResult {
  code: number;
  body: JsonObject;
  warnings?: string[];
}

/**
 * Kind-specific admission: defaulting and validation run on every create and update (CRD schemas,
 * CRD objects). Mutates `obj`; throws ApiError to refuse; returns warnings for the `Warning` header.
 */
export interface Admission {
  admit(type: ResourceType, obj: JsonObject, old: JsonObject | undefined, fieldValidation: string): string[];
  /** Throws when the kind cannot take new objects (its CRD is being deleted). */
  checkCreatable(type: ResourceType): void;
}

/**
 * The CRUD verbs of every resource, over one ObjectStore: resourceVersion preconditions (409),
 * generation rules, the status subresource, finalizers and deletionTimestamp, patches, selectors,
 * paging. Generic: what a kind does differently is its `type.strategy` (strategy.ts, strategies/),
 * called at the points kube-apiserver's registry calls a kind's strategy. Garbage collection and
 * namespace/CRD teardown happen in `Controllers`, after the write.
 */
export class ResourceApi {
  /** `uid\0fieldManager` → the configuration that manager last applied (server-side apply). */
  private readonly appliedBy = new Map<string, JsonObject>();

  constructor(
    private readonly store: ObjectStore,
    private readonly admission: Admission,
    private readonly onWrite: () => void,
    /** Aborted when the simulator closes: ends waits for a future resourceVersion. */
    private readonly signal: AbortSignal,
  ) {}

  get(req: ResourceRequest): JsonObject {
    const obj = this.store.get(storageKey(req.type), this.ns(req), req.name ?? '');
    if (!obj) throw notFound(req.type, req.name ?? '');
    return present(req.type, obj);
  }

  /** The selector predicates of a list or watch request. */
  selectors(req: ResourceRequest): Predicate {
    const labels = parseLabelSelector(req.query.get('labelSelector'));
    const fields = parseFieldSelector(req.query.get('fieldSelector'), req.type.fieldSelectors);
    return (o) => labels(o) && fields(o);
  }

  /** A list of the request's objects; see `listObjects`. */
  list(req: ResourceRequest): Promise<ListResult> {
    return listObjects(this.store, req, this.selectors(req), this.signal);
  }

  create(req: ResourceRequest, body: unknown): ApiResult {
    const type = req.type;
    const obj = decodeBody(type, body);
    const m = meta(obj);
    checkNamespace(req, m);
    const writer = this.writer(req, 'Update', 'CreateOptions');
    const warnings = prepareCreate(req, obj, this.admission);
    recordWrite(undefined, obj, writer);
    const stored = this.writeCreate(req, obj);
    return { code: 201, body: present(type, stored), warnings };
  }

  private writeCreate(req: ResourceRequest, obj: JsonObject): JsonObject {
    const type = req.type;
    const resource = storageKey(type);
    if (this.store.get(resource, namespaceOf(obj), nameOf(obj))) throw alreadyExists(type, nameOf(obj));
    if (type.namespaced) requireLiveNamespace(this.store, namespaceOf(obj));
    if (this.isDryRun(req)) return obj;
    const stored = this.store.create(resource, obj);
    this.onWrite();
    return stored;
  }

  update(req: ResourceRequest, body: unknown): ApiResult {
    const obj = decodeBody(req.type, body);
    const m = meta(obj);
    const name = req.name ?? '';
    if (nameOf(obj) !== name) {
      throw badRequest(
        `the name of the object (${nameOf(obj)}) does not match the name on the URL (${name})`,
      );
    }
    checkNamespace(req, m);
    const old = this.store.get(storageKey(req.type), this.ns(req), name);
    if (!old) {
      if (req.type.allowCreateOnUpdate && req.subresource === undefined) {
        delete m['resourceVersion'];
        return this.create(req, obj);
      }
      throw notFound(req.type, name);
    }
    const rv = stringAt(m, 'resourceVersion') ?? '';
    if (rv === '' && !req.type.allowUnconditionalUpdate) {
      throw invalid(req.type.kind, req.type.group, name, [
        {
          field: 'metadata.resourceVersion',
          reason: 'FieldValueInvalid',
          message: 'Invalid value: 0x0: must be specified for an update',
        },
      ]);
    }
    return this.writeUpdate(req, obj, old, this.writer(req, 'Update', 'UpdateOptions'));
  }

  /**
   * The shared tail of PUT and PATCH: the resourceVersion precondition, the status subresource split,
   * server-owned metadata, generation, finalizer rules and admission; a no-op change writes nothing
   * (the resourceVersion stays), as etcd3's GuaranteedUpdate does.
   */
  private writeUpdate(
    req: ResourceRequest,
    obj: JsonObject,
    old: JsonObject,
    writer: FieldWriter,
    applied?: JsonObject,
  ): ApiResult {
    const type = req.type;
    const name = nameOf(old);
    const m = meta(obj);
    const oldMeta = meta(old);
    const rv = stringAt(m, 'resourceVersion') ?? '';
    if (rv !== '' && rv !== oldMeta['resourceVersion']) throw conflict(type, name, STALE_OBJECT);
    const uid = stringAt(m, 'uid') ?? '';
    if (uid !== '' && uid !== oldMeta['uid']) {
      throw conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${uid}, UID in object meta: ${String(oldMeta['uid'])}`,
      );
    }
    let next: JsonObject;
    if (req.subresource === 'status') {
      // The status endpoint changes status only (upstream statusStrategy.PrepareForUpdate).
      next = clone(old);
      if (obj['status'] === undefined) delete next['status'];
      else next['status'] = clone(obj['status']);
    } else {
      next = obj;
      if (type.hasStatus) {
        if (old['status'] === undefined) delete next['status'];
        else next['status'] = clone(old['status']);
      }
      const nm = meta(next);
      for (const k of [
        'uid',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'generation',
      ]) {
        if (oldMeta[k] === undefined) delete nm[k];
        else nm[k] = oldMeta[k];
      }
      delete nm['managedFields'];
      type.strategy.prepareForUpdate?.(next, old);
      if (isDeleting(old)) {
        const added = finalizersOf(next).filter((f) => !finalizersOf(old).includes(f));
        if (added.length > 0) {
          throw invalid(type.kind, type.group, name, [
            {
              field: 'metadata.finalizers',
              reason: 'FieldValueForbidden',
              message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{${added.map((f) => `"${f}"`).join(', ')}}`,
            },
          ]);
        }
      }
    }
    const nm = meta(next);
    nm['resourceVersion'] = oldMeta['resourceVersion'];
    dropEmptyMetadata(next);
    const warnings =
      req.subresource === 'status' && type.strategy.admitStatusUpdates !== true
        ? []
        : this.admission.admit(type, next, old, req.query.get('fieldValidation') ?? 'Warn');
    // After admission: a field that is pruned or defaulted back to what was stored changes nothing
    // (upstream prunes and defaults while decoding, before the strategy compares specs).
    if (typeof oldMeta['generation'] === 'number' && bumpsGeneration(type, next, old)) {
      nm['generation'] = oldMeta['generation'] + 1;
    }
    // The client's managedFields are not taken: the server keeps them (a reset is not simulated).
    if (oldMeta['managedFields'] === undefined) delete nm['managedFields'];
    else nm['managedFields'] = clone(oldMeta['managedFields']);
    if (jsonEqual(next, old)) return { code: 200, body: present(type, old), warnings };
    recordWrite(old, next, writer, applied);
    if (this.isDryRun(req)) return { code: 200, body: present(type, next), warnings };
    const resource = storageKey(type);
    if (isDeleting(next) && finalizersOf(next).length === 0 && type.strategy.holdsDeletion?.(next) !== true) {
      const last = this.store.delete(resource, next, old);
      this.onWrite();
      return { code: 200, body: present(type, last), warnings };
    }
    const stored = this.store.update(resource, next, old);
    this.onWrite();
    return { code: 200, body: present(type, stored), warnings };
  }

  patch(req: ResourceRequest, rawBody: string, contentType: string): ApiResult {
    const type = req.type;
    const mediaType = contentType.split(';')[0]?.trim() ?? '';
    if (!PATCH_TYPES.includes(mediaType)) throw unsupportedMediaType(PATCH_TYPES);
    if (mediaType === 'application/strategic-merge-patch+json' && !type.strategicMerge) {
      throw unsupportedMediaType(PATCH_TYPES.filter((t) => !t.startsWith('application/strategic')));
    }
    let patchBody: unknown;
    try {
      patchBody = mediaType === 'application/apply-patch+yaml' ? parseYaml(rawBody) : JSON.parse(rawBody);
    } catch (e) {
      throw badRequest(`error decoding patch: ${e instanceof Error ? e.message : String(e)}`);
    }
    const name = req.name ?? '';
    const old = this.store.get(storageKey(type), this.ns(req), name);
    if (mediaType === 'application/apply-patch+yaml') return this.apply(req, patchBody, old);
    if (!old) throw notFound(type, name);
    const base = present(type, old);
    let patched: unknown;
    if (mediaType === 'application/json-patch+json') patched = jsonPatch(base, patchBody);
    else if (mediaType === 'application/merge-patch+json') patched = mergePatch(base, patchBody);
    else patched = strategicMergePatch(base, patchBody);
    if (!isObject(patched)) throw badRequest('the patch did not produce an object');
    if (nameOf(patched) !== name)
      throw badRequest(
        `the name of the object (${nameOf(patched)}) does not match the name on the URL (${name})`,
      );
    return this.writeUpdate(req, decodeBody(type, patched), old, this.writer(req, 'Update', 'PatchOptions'));
  }

  /**
   * Server-side apply without field ownership: an upsert that merges the applied configuration into the
   * live object (strategic merge rules for built-ins, merge patch for CRs). `fieldManager` is required.
   */
  private apply(req: ResourceRequest, body: unknown, old: JsonObject | undefined): ApiResult {
    const type = req.type;
    const manager = req.query.get('fieldManager') ?? '';
    if (manager === '')
      throw badRequest(
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
      );
    if (!isObject(body)) throw badRequest('the applied configuration is not an object');
    const applied = decodeBody(type, body);
    if (nameOf(applied) !== (req.name ?? '')) {
      throw badRequest(
        `the name of the object (${nameOf(applied)}) does not match the name on the URL (${req.name ?? ''})`,
      );
    }
    if (!old) {
      const obj = clone(applied);
      checkNamespace(req, meta(obj));
      const warnings = prepareCreate(req, obj, this.admission);
      if (req.subresource === 'status') throw notFound(type, req.name ?? '');
      recordWrite(undefined, obj, this.writer(req, 'Apply', 'PatchOptions'), applied);
      const created = this.writeCreate(req, obj);
      if (!this.isDryRun(req)) this.appliedBy.set(`${uidOf(created)}\u0000${manager}`, applied);
      return { code: 201, body: present(type, created), warnings };
    }
    // Fields this manager applied before and no longer applies are removed, as server-side apply does
    // for fields a manager owns (ownership shared with other managers is not tracked).
    const live = clone(old);
    const previous = this.appliedBy.get(`${uidOf(old)}\u0000${manager}`);
    if (previous) dropUnapplied(live, previous, applied);
    // Both in the stored form (decodeBody converted the applied configuration).
    const merged = type.strategicMerge ? strategicMergePatch(live, applied) : mergePatch(live, applied);
    if (!isObject(merged)) throw badRequest('the applied configuration did not produce an object');
    const result = this.writeUpdate(req, merged, old, this.writer(req, 'Apply', 'PatchOptions'), applied);
    if (!this.isDryRun(req)) this.appliedBy.set(`${uidOf(old)}\u0000${manager}`, applied);
    return result;
  }

  /**
   * DELETE: with finalizers (or an Orphan/Foreground policy, which add theirs) the object is marked with
   * deletionTimestamp and stays until the last finalizer goes; otherwise it is removed at once.
   */
  delete(req: ResourceRequest, body: unknown): ApiResult {
    const type = req.type;
    const name = req.name ?? '';
    const old = this.store.get(storageKey(type), this.ns(req), name);
    if (!old) throw notFound(type, name);
    const options = isObject(body) ? body : {};
    const pre = objectAt(options, 'preconditions');
    const preUid = stringAt(pre, 'uid');
    const preRv = stringAt(pre, 'resourceVersion');
    if (preUid !== undefined && preUid !== uidOf(old)) {
      throw conflict(
        type,
        name,
        `Precondition failed: UID in precondition: ${preUid}, UID in object meta: ${uidOf(old)}`,
      );
    }
    if (preRv !== undefined && preRv !== stringAt(objectAt(old, 'metadata'), 'resourceVersion')) {
      throw conflict(
        type,
        name,
        `Precondition failed: ResourceVersion in precondition: ${preRv}, ResourceVersion in object meta: ${String(stringAt(objectAt(old, 'metadata'), 'resourceVersion'))}`,
      );
    }
    const policy = stringAt(options, 'propagationPolicy') ?? req.query.get('propagationPolicy') ?? '';
    const orphan = options['orphanDependents'] === true || policy === 'Orphan';
    const finalizers = finalizersOf(old);
    const extra = orphan ? ['orphan'] : policy === 'Foreground' ? ['foregroundDeletion'] : [];
    extra.push(...(type.strategy.deletionFinalizers ?? []));
    const alwaysGraceful = type.strategy.markDeleting !== undefined;
    const wanted = [...finalizers, ...extra.filter((f) => !finalizers.includes(f))];
    // DeleteOptions come in the body (kubectl delete --dry-run=server) or the query.
    const bodyDryRun = options['dryRun'];
    if (this.isDryRun(req) || (Array.isArray(bodyDryRun) && bodyDryRun.includes('All'))) {
      return { code: 200, body: present(type, old) };
    }
    if (wanted.length > 0 || alwaysGraceful) {
      if (isDeleting(old) && wanted.length === finalizers.length)
        return { code: 200, body: present(type, old) };
      const next = clone(old);
      const m = meta(next);
      if (!isDeleting(old)) {
        m['deletionTimestamp'] = timestamp();
        m['deletionGracePeriodSeconds'] = 0;
        if (typeof m['generation'] === 'number' && m['generation'] > 0) m['generation'] = m['generation'] + 1;
      }
      if (wanted.length > 0) m['finalizers'] = wanted;
      type.strategy.markDeleting?.(next);
      const stored = this.store.update(storageKey(type), next, old);
      this.onWrite();
      return { code: 200, body: present(type, stored) };
    }
    const last = this.store.delete(storageKey(type), old, old);
    this.onWrite();
    return { code: 200, body: type.returnDeletedObject ? present(type, last) : deletedStatus(type, last) };
  }

  /** DELETE on a collection: deletes every matching object; answers with the list of what was affected. */
  async deleteCollection(req: ResourceRequest, body: unknown): Promise<ApiResult> {
    const { items } = await this.list(req);
    const affected: JsonObject[] = [];
    for (const item of items) {
      try {
        const r = this.delete({ ...req, namespace: namespaceOf(item), name: nameOf(item) }, body);
        affected.push(r.body['kind'] === 'Status' ? item : r.body);
      } catch (e) {
        if (!(e instanceof ApiError && e.code === 404)) throw e;
      }
    }
    return {
      code: 200,
      body: {
        kind: req.type.listKind,
        apiVersion: apiVersionOf(req.type),
        metadata: { resourceVersion: this.store.currentRv.toString() },
        items: affected,
      },
    };
  }

  /** Who makes this write, for managedFields; throws 422 for a fieldManager the API server refuses. */
  private writer(req: ResourceRequest, operation: ManagedOperation, optionsKind: string): FieldWriter {
    return {
      manager: managerOf(req.query, req.userAgent ?? '', optionsKind),
      operation,
      apiVersion: apiVersionOf(req.type),
      ...(req.subresource !== undefined ? { subresource: req.subresource } : {}),
    };
  }

  private isDryRun(req: ResourceRequest): boolean {
    return req.query.getAll('dryRun').includes('All');
  }

  private ns(req: ResourceRequest): string {
    return req.type.namespaced ? req.namespace : '';
  }
}

/** Field errors of a 422 in the shape `invalid()` takes, re-exported for admission code. */
export type { FieldError };
