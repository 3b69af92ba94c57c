import { badRequest, ApiError } from './status-error.js';
import { clone, isObject, jsonEqual, type JsonObject } from './json.js';

/** RFC 7386 JSON merge patch: objects merge recursively, `null` deletes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return clone(patch);
  const out: JsonObject = isObject(target) ? clone(target) : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

function pointerTokens(path: string): string[] {
  if (path === '') return [];
  if (!path.startsWith('/')) throw badRequest(`JSON pointer "${path}" must start with /`);
  return path.slice(1).split('/').map(unescapePointer);
}

function jsonPatchFailure(message: string): ApiError {
  // The apiserver reports a failed JSON patch operation as 422 Invalid (e.g. a failed "test").
  return new ApiError(422, 'Invalid', message);
}

/** Walks to the parent container of `path`; returns it and the last token. */
function parentOf(doc: unknown, path: string): { parent: unknown; key: string } {
  const tokens = pointerTokens(path);
  const key = tokens.pop();
  if (key === undefined) throw jsonPatchFailure('cannot operate on the whole document');
  let cur = doc;
  for (const t of tokens) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else cur = undefined;
    if (cur === undefined) throw jsonPatchFailure(`doc is missing path: "${path}": missing value`);
  }
  return { parent: cur, key };
}

function getAt(doc: unknown, path: string): unknown {
  let cur = doc;
  for (const t of pointerTokens(path)) {
    if (Array.isArray(cur)) cur = cur[Number(t)];
    else if (isObject(cur)) cur = cur[t];
    else return undefined;
  }
  return cur;
}

function arrayIndex(arr: unknown[], key: string, forInsert: boolean, path: string): number {
  if (key === '-' && forInsert) return arr.length;
  const i = Number(key);
  if (!/^\d+$/.test(key) || i > arr.length || (!forInsert && i === arr.length)) {
    throw jsonPatchFailure(`Unable to access invalid index: ${key}: ${path}`);
  }
  return i;
}

function addAt(doc: unknown, path: string, value: unknown): void {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) parent.splice(arrayIndex(parent, key, true, path), 0, clone(value));
  else if (isObject(parent)) parent[key] = clone(value);
  else throw jsonPatchFailure(`doc is missing path: "${path}"`);
}

function removeAt(doc: unknown, path: string): unknown {
  const { parent, key } = parentOf(doc, path);
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, key, false, path), 1)[0];
  if (isObject(parent) && key in parent) {
    const v = parent[key];
    delete parent[key];
    return v;
  }
  throw jsonPatchFailure(`Unable to remove nonexistent key: ${key}: missing value`);
}

/** RFC 6902 JSON patch (add, remove, replace, move, copy, test). */
export function jsonPatch(target: JsonObject, ops: unknown): JsonObject {
  if (!Array.isArray(ops)) throw badRequest('the JSON patch is not an array of operations');
  const doc = clone(target);
  for (const raw of ops) {
    if (!isObject(raw) || typeof raw['op'] !== 'string' || typeof raw['path'] !== 'string') {
      throw badRequest('a JSON patch operation needs "op" and "path"');
    }
    const path = raw['path'];
    const from = typeof raw['from'] === 'string' ? raw['from'] : '';
    switch (raw['op']) {
      case 'add':
        addAt(doc, path, raw['value']);
        break;
      case 'remove':
        removeAt(doc, path);
        break;
      case 'replace':
        removeAt(doc, path);
        addAt(doc, path, raw['value']);
        break;
      case 'move':
        addAt(doc, path, removeAt(doc, from));
        break;
      case 'copy':
        addAt(doc, path, getAt(doc, from));
        break;
      case 'test':
        if (!jsonEqual(getAt(doc, path), raw['value']))
          throw jsonPatchFailure(`testing value ${path} failed: test failed`);
        break;
      default:
        throw badRequest(`Unexpected kind: ${String(raw['op'])}`);
    }
  }
  return doc;
}

/**
 * Merge keys of the lists strategic merge patch merges (by field name, as in the built-in types'
 * `patchMergeKey` tags); every other list is replaced whole. `ports` uses `containerPort` in pods and
 * `port` in services: decided per element.
 */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  imagePullSecrets: 'name',
  hostAliases: 'ip',
  conditions: 'type',
  ownerReferences: 'uid',
  topologySpreadConstraints: 'topologyKey',
  ports: 'containerPort',
};

/** Lists of scalars that strategic merge patch treats as sets (patchStrategy: merge). */
const PRIMITIVE_MERGE_LISTS = new Set(['finalizers']);

function mergeKeyFor(field: string, items: unknown[]): string | undefined {
  const key = MERGE_KEYS[field];
  if (field === 'ports' && items.some((i) => isObject(i) && 'port' in i && !('containerPort' in i)))
    return 'port';
  return key;
}

function mergeList(field: string, live: unknown, patch: unknown[]): unknown[] {
  const liveList: unknown[] = Array.isArray(live) ? (live as unknown[]) : [];
  if (PRIMITIVE_MERGE_LISTS.has(field)) {
    const out = [...liveList];
    for (const v of patch) if (!out.some((x) => jsonEqual(x, v))) out.push(clone(v));
    return out;
  }
  const mergeKey = mergeKeyFor(field, [...liveList, ...patch]);
  if (!mergeKey) return patch.filter((p) => !(isObject(p) && p['$patch'] !== undefined)).map((p) => clone(p));
  if (patch.some((p) => isObject(p) && p['$patch'] === 'replace')) {
    return patch.filter((p) => !(isObject(p) && p['$patch'] === 'replace')).map((p) => clone(p));
  }
  const out = liveList.map((x) => clone(x));
  for (const p of patch) {
    if (!isObject(p)) continue;
    const idx = out.findIndex((x) => isObject(x) && jsonEqual(x[mergeKey], p[mergeKey]));
    if (p['$patch'] === 'delete') {
      if (idx >= 0) out.splice(idx, 1);
      continue;
    }
    if (idx >= 0) out[idx] = strategicMergePatch(out[idx], p);
    else out.push(strategicMergePatch(undefined, p));
  }
  return out;
}

/**
 * Strategic merge patch for the built-in kinds: maps merge, `null` deletes, lists with a known merge key
 * merge by it (see MERGE_KEYS), `$patch: replace|delete`, `$retainKeys`, `$deleteFromPrimitiveList/<f>`
 * and `$setElementOrder/<f>` directives.
 */
export function strategicMergePatch(target: unknown, patch: unknown): JsonObject {
  const out: JsonObject = isObject(target) ? clone(target) : {};
  if (!isObject(patch)) return out;
  if (patch['$patch'] === 'replace') {
    const rest = clone(patch);
    delete rest['$patch'];
    return rest;
  }
  if (patch['$patch'] === 'delete') return {};
  const retain = patch['$retainKeys'];
  if (Array.isArray(retain)) {
    for (const k of Object.keys(out)) if (!retain.includes(k)) delete out[k];
  }
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k === '$retainKeys' || k.startsWith('$setElementOrder/')) continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const list = out[field];
      if (Array.isArray(list) && Array.isArray(v))
        out[field] = list.filter((x) => !v.some((d) => jsonEqual(d, x)));
      continue;
    }
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(k, out[k], v);
    else if (isObject(v)) out[k] = strategicMergePatch(out[k], v);
    else out[k] = v;
  }
  return out;
}
