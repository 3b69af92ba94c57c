import { parse as parseYaml } from 'yaml';
import { clone, isObject, jsonEqual, objectAt, stringAt, type JsonObject } from './json.js';
import {
  dropEmptyMetadata,
  finalizersOf,
  generatedSuffix,
  isDeleting,
  labelNameError,
  meta,
  nameOf,
  namespaceOf,
  newUid,
  subdomainError,
  timestamp,
  uidOf,
} from './object-meta.js';
import type { ObjectStore } from './object-store.js';
import { listObjects, type ListResult } from './list-objects.js';
import { jsonPatch, mergePatch, strategicMergePatch } from './patch.js';
import { apiVersionOf, storageKey, type ResourceType } from './resource-type.js';
import { normalizeTimes } from './time-fields.js';
import { present } from './present.js';
import { parseFieldSelector, parseLabelSelector, type Predicate } from './selectors.js';
import {
  alreadyExists,
  ApiError,
  badRequest,
  conflict,
  internalError,
  invalid,
  notFound,
  STALE_OBJECT,
  unsupportedMediaType,
  type FieldError,
} from './status-error.js';

/** One request on a resource, after routing. `namespace` is '' for cluster-scoped and cluster-wide requests. */
export interface ResourceRequest {
  type: ResourceType;
  namespace: string;
  name?: string;
  subresource?: string;
  query: URLSearchParams;
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

const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** The kinds whose deletion we answer with a Status, detailing what was deleted. */
function deletedStatus(type: ResourceType, obj: JsonObject): JsonObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    details: {
      name: nameOf(obj),
      ...(type.group ? { group: type.group } : {}),
      kind: type.plural,
      uid: uidOf(obj),
    },
  };
}

/**
 * The CRUD verbs of every resource, over one ObjectStore: resourceVersion preconditions (409),
 * generation rules, the status subresource, finalizers and deletionTimestamp, patches, selectors,
 * paging. Garbage collection and namespace/CRD teardown happen in `Controllers`, after the write.
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
    const obj = this.decodeBody(type, body);
    const m = meta(obj);
    this.checkNamespace(req, m);
    const warnings = this.prepareCreate(req, obj);
    const stored = this.writeCreate(req, obj);
    return { code: 201, body: present(type, stored), warnings };
  }

  /** Validates a new object and fills its server-set metadata; throws what a real server would. */
  private prepareCreate(req: ResourceRequest, obj: JsonObject): string[] {
    const type = req.type;
    const m = meta(obj);
    this.admission.checkCreatable(type);
    if (typeof m['resourceVersion'] === 'string' && m['resourceVersion'] !== '') {
      throw internalError('resourceVersion should not be set on objects to be created');
    }
    if (typeof m['name'] !== 'string' || m['name'] === '') {
      const generateName = stringAt(m, 'generateName');
      if (!generateName) {
        throw invalid(type.kind, type.group, '', [
          {
            field: 'metadata.name',
            reason: 'FieldValueRequired',
            message: 'Required value: name or generateName is required',
          },
        ]);
      }
      m['name'] = `${generateName}${generatedSuffix()}`;
    }
    const name = nameOf(obj);
    const nameError = type.plural === 'namespaces' ? labelNameError(name) : subdomainError(name);
    if (nameError) {
      throw invalid(type.kind, type.group, name, [
        {
          field: 'metadata.name',
          reason: 'FieldValueInvalid',
          message: `Invalid value: "${name}": ${nameError}`,
        },
      ]);
    }
    m['uid'] = newUid();
    m['creationTimestamp'] = timestamp();
    delete m['deletionTimestamp'];
    delete m['deletionGracePeriodSeconds'];
    delete m['managedFields'];
    if (type.generation === 'none') delete m['generation'];
    else m['generation'] = 1;
    if (type.hasStatus) {
      if (type.crdName !== undefined) delete obj['status'];
      else if (type.group === 'apps') obj['status'] = {};
    }
    if (type.plural === 'namespaces' && type.group === '') {
      obj['spec'] = { finalizers: ['kubernetes'] };
      obj['status'] = { phase: 'Active' };
      m['labels'] = { ...(objectAt(m, 'labels') ?? {}), 'kubernetes.io/metadata.name': name };
    }
    const warnings = this.admission.admit(type, obj, undefined, req.query.get('fieldValidation') ?? 'Warn');
    dropEmptyMetadata(obj);
    return warnings;
  }

  private writeCreate(req: ResourceRequest, obj: JsonObject): JsonObject {
    const type = req.type;
    const resource = storageKey(type);
    if (this.store.get(resource, namespaceOf(obj), nameOf(obj))) throw alreadyExists(type, nameOf(obj));
    if (type.namespaced) this.requireLiveNamespace(namespaceOf(obj));
    if (this.isDryRun(req)) return obj;
    const stored = this.store.create(resource, obj);
    this.onWrite();
    return stored;
  }

  private requireLiveNamespace(namespace: string): void {
    const ns = this.store.get('/namespaces', '', namespace);
    if (!ns) throw notFound({ group: '', plural: 'namespaces' }, namespace);
    if (isDeleting(ns)) {
      throw new ApiError(
        403,
        'Forbidden',
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          name: namespace,
          kind: 'namespaces',
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  update(req: ResourceRequest, body: unknown): ApiResult {
    const obj = this.decodeBody(req.type, body);
    const m = meta(obj);
    const name = req.name ?? '';
    if (nameOf(obj) !== name) {
      throw badRequest(
        `the name of the object (${nameOf(obj)}) does not match the name on the URL (${name})`,
      );
    }
    this.checkNamespace(req, m);
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
    return this.writeUpdate(req, obj, old);
  }

  /**
   * The shared tail of PUT and PATCH: the resourceVersion precondition, the status subresource split,
   * server-owned metadata, generation, finalizer rules and admission; a no-op change writes nothing
   * (the resourceVersion stays), as etcd3's GuaranteedUpdate does.
   */
  private writeUpdate(req: ResourceRequest, obj: JsonObject, old: JsonObject): ApiResult {
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
      if (type.plural === 'namespaces' && type.group === '') next['status'] = clone(old['status']);
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
      req.subresource === 'status' && type.crdName === undefined
        ? []
        : this.admission.admit(type, next, old, req.query.get('fieldValidation') ?? 'Warn');
    // After admission: a field that is pruned or defaulted back to what was stored changes nothing
    // (upstream prunes and defaults while decoding, before the strategy compares specs).
    if (typeof oldMeta['generation'] === 'number' && this.specChanged(type, next, old)) {
      nm['generation'] = oldMeta['generation'] + 1;
    }
    if (jsonEqual(next, old)) return { code: 200, body: present(type, old), warnings };
    if (this.isDryRun(req)) return { code: 200, body: present(type, next), warnings };
    const resource = storageKey(type);
    if (isDeleting(next) && finalizersOf(next).length === 0 && !this.namespaceHoldsFinalizers(type, next)) {
      const last = this.store.delete(resource, next, old);
      this.onWrite();
      return { code: 200, body: present(type, last), warnings };
    }
    const stored = this.store.update(resource, next, old);
    this.onWrite();
    return { code: 200, body: present(type, stored), warnings };
  }

  private namespaceHoldsFinalizers(type: ResourceType, obj: JsonObject): boolean {
    if (!(type.plural === 'namespaces' && type.group === '')) return false;
    const f = objectAt(obj, 'spec')?.['finalizers'];
    return Array.isArray(f) && f.length > 0;
  }

  /** Whether the change bumps metadata.generation under the kind's policy. */
  private specChanged(type: ResourceType, next: JsonObject, old: JsonObject): boolean {
    switch (type.generation) {
      case 'none':
        return false;
      case 'spec':
        return !jsonEqual(next['spec'], old['spec']);
      case 'spec-or-annotations':
        return (
          !jsonEqual(next['spec'], old['spec']) ||
          !jsonEqual(objectAt(next, 'metadata')?.['annotations'], objectAt(old, 'metadata')?.['annotations'])
        );
      case 'non-metadata': {
        const strip = (o: JsonObject): JsonObject => {
          const rest = { ...o };
          delete rest['metadata'];
          if (type.hasStatus) delete rest['status'];
          return rest;
        };
        return !jsonEqual(strip(next), strip(old));
      }
    }
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
    return this.writeUpdate(req, this.decodeBody(type, patched), old);
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
    const applied = this.decodeBody(type, body);
    if (nameOf(applied) !== (req.name ?? '')) {
      throw badRequest(
        `the name of the object (${nameOf(applied)}) does not match the name on the URL (${req.name ?? ''})`,
      );
    }
    if (!old) {
      const obj = clone(applied);
      this.checkNamespace(req, meta(obj));
      const warnings = this.prepareCreate(req, obj);
      if (req.subresource === 'status') throw notFound(type, req.name ?? '');
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
    const result = this.writeUpdate(req, merged, old);
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
    const isNamespace = type.plural === 'namespaces' && type.group === '';
    const isCrd = type.plural === 'customresourcedefinitions' && type.group === 'apiextensions.k8s.io';
    if (isCrd) extra.push('customresourcecleanup.apiextensions.k8s.io');
    const wanted = [...finalizers, ...extra.filter((f) => !finalizers.includes(f))];
    // DeleteOptions come in the body (kubectl delete --dry-run=server) or the query.
    const bodyDryRun = options['dryRun'];
    if (this.isDryRun(req) || (Array.isArray(bodyDryRun) && bodyDryRun.includes('All'))) {
      return { code: 200, body: present(type, old) };
    }
    if (wanted.length > 0 || isNamespace) {
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
      if (isNamespace) next['status'] = { ...(objectAt(next, 'status') ?? {}), phase: 'Terminating' };
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

  private isDryRun(req: ResourceRequest): boolean {
    return req.query.getAll('dryRun').includes('All');
  }

  private ns(req: ResourceRequest): string {
    return req.type.namespaced ? req.namespace : '';
  }

  /** Checks apiVersion/kind of a body against the URL and fills them in; returns a private copy. */
  private decodeBody(type: ResourceType, body: unknown): JsonObject {
    if (!isObject(body)) throw badRequest('the request body is not a JSON object');
    const obj = clone(body);
    const timeError = normalizeTimes(type, obj);
    if (timeError)
      throw badRequest(
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${timeError}`,
      );
    if (type.group === '' && type.plural === 'secrets' && isObject(obj['stringData'])) {
      // The apiserver folds write-only stringData into data.
      const data = isObject(obj['data']) ? obj['data'] : {};
      for (const [k, v] of Object.entries(obj['stringData'])) {
        data[k] = Buffer.from(typeof v === 'string' ? v : JSON.stringify(v), 'utf8').toString('base64');
      }
      obj['data'] = data;
      delete obj['stringData'];
    }
    const apiVersion = obj['apiVersion'];
    const kind = obj['kind'];
    if (apiVersion !== undefined && apiVersion !== apiVersionOf(type)) {
      throw badRequest(
        `the API version in the data (${JSON.stringify(apiVersion)}) does not match the expected API version (${apiVersionOf(type)})`,
      );
    }
    if (kind !== undefined && kind !== type.kind) {
      throw badRequest(
        `the kind in the data (${JSON.stringify(kind)}) does not match the expected kind (${type.kind})`,
      );
    }
    obj['apiVersion'] = apiVersionOf(type);
    obj['kind'] = type.kind;
    meta(obj);
    return type.storage ? type.storage.toStorage(obj) : obj;
  }

  /** Namespaced requests fix the namespace; a different one in the body is refused (400) as upstream. */
  private checkNamespace(req: ResourceRequest, m: JsonObject): void {
    if (!req.type.namespaced) {
      delete m['namespace'];
      return;
    }
    const inBody = stringAt(m, 'namespace') ?? '';
    if (inBody !== '' && inBody !== req.namespace) {
      throw badRequest(
        'the namespace of the provided object does not match the namespace sent on the request',
      );
    }
    m['namespace'] = req.namespace;
  }
}

/** Removes from `live` what `previous` applied and `next` no longer does (maps recursively; lists whole). */
function dropUnapplied(live: JsonObject, previous: JsonObject, next: JsonObject): void {
  for (const [k, v] of Object.entries(previous)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (!(k in next)) delete live[k];
    else if (isObject(v) && isObject(next[k]) && isObject(live[k])) dropUnapplied(live[k], v, next[k]);
  }
}

/** Field errors of a 422 in the shape `invalid()` takes, re-exported for admission code. */
export type { FieldError };
