// Request bodies as the apiserver decodes them before any rule runs: apiVersion/kind checked against the
// URL, times normalised, the kind's decoding (strategy.decode), the namespace fixed by the URL; and the
// patch media types and server-side apply's removal of fields a manager stopped applying.
import { clone, isObject, stringAt, type JsonObject } from './json.js';
import { meta } from './object-meta.js';
import type { ResourceRequest } from './resource-api.js';
import { apiVersionOf, type ResourceType } from './resource-type.js';
import { normalizeTimes } from './time-fields.js';
import { badRequest } from './status-error.js';

export const PATCH_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
];

/** Checks apiVersion/kind of a body against the URL and fills them in; returns a private copy. */
export function decodeBody(type: ResourceType, body: unknown): JsonObject {
  if (!isObject(body)) throw badRequest('the request body is not a JSON object');
  const obj = clone(body);
  const timeError = normalizeTimes(type, obj);
  if (timeError)
    throw badRequest(
      `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: ${timeError}`,
    );
  type.strategy.decode?.(obj);
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
export function checkNamespace(req: ResourceRequest, m: JsonObject): void {
  if (!req.type.namespaced) {
    delete m['namespace'];
    return;
  }
  const inBody = stringAt(m, 'namespace') ?? '';
  if (inBody !== '' && inBody !== req.namespace) {
    throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
  }
  m['namespace'] = req.namespace;
}

/** Removes from `live` what `previous` applied and `next` no longer does (maps recursively; lists whole). */
export function dropUnapplied(live: JsonObject, previous: JsonObject, next: JsonObject): void {
  for (const [k, v] of Object.entries(previous)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    if (!(k in next)) delete live[k];
    else if (isObject(v) && isObject(next[k]) && isObject(live[k])) dropUnapplied(live[k], v, next[k]);
  }
}
