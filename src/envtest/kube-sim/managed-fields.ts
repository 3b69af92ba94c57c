// metadata.managedFields as the API server keeps them: every create, update, patch and apply credits the
// fields it set or changed to its manager (the `fieldManager` query parameter, else the User-Agent's
// first token — upstream's managerOrUserAgent), and takes them from the managers that held them.
// Simplified from structured-merge-diff: every list is one atomic field (no `k:`/`v:` keys), and there
// are no apply conflicts.
import { clone, isObject, jsonEqual, type JsonObject } from './json.js';
import { meta, timestamp } from './object-meta.js';
import { ApiError } from './status-error.js';

/** How a manager wrote: `Apply` for server-side apply, `Update` for every other write. */
export type ManagedOperation = 'Update' | 'Apply';

/** Who wrote, how, and where: one managedFields entry's identity. */
export interface FieldWriter {
  manager: string;
  operation: ManagedOperation;
  apiVersion: string;
  /** 'status' for writes through the status subresource. */
  subresource?: string;
}

/** Upstream's limit on a fieldManager (ValidateFieldManager). */
const MAX_FIELD_MANAGER_LENGTH = 128;

/** Metadata the server sets, which no manager owns. */
const SERVER_METADATA = new Set([
  'uid',
  'resourceVersion',
  'creationTimestamp',
  'generation',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'name',
  'namespace',
  'generateName',
]);

/**
 * The manager of a write: the `fieldManager` query parameter, else the User-Agent up to its first '/'
 * (`kubectl/v1.33.0 (linux/amd64)` → `kubectl`). Throws a 422 for a fieldManager the API server refuses
 * (longer than 128 characters or holding a non-printable character).
 */
export function managerOf(query: URLSearchParams, userAgent: string, optionsKind: string): string {
  const given = query.get('fieldManager');
  if (given === null || given === '') return userAgent.split('/')[0] ?? '';
  let problem: string | undefined;
  if ([...given].length > MAX_FIELD_MANAGER_LENGTH)
    problem = `Too long: may not be more than ${MAX_FIELD_MANAGER_LENGTH} bytes`;
  else if (/[\p{C}]/u.test(given))
    problem = `Invalid value: ${JSON.stringify(given)}: may not contain non-printable characters`;
  if (problem === undefined) return given;
  throw new ApiError(422, 'Invalid', `${optionsKind}.meta.k8s.io "" is invalid: fieldManager: ${problem}`, {
    causes: [{ reason: 'FieldValueInvalid', field: 'fieldManager', message: problem }],
  });
}

/** A field path, its elements joined by NUL ('.' names the map itself, as in FieldsV1). */
type FieldSet = Set<string>;

const SEP = '\u0000';

/**
 * The fields of `value` at `path` ('' for the root): a map owns '.' and its members, anything else is
 * a leaf. With `old` (the value at the same path before the write; undefined when absent there), only
 * the fields the write changed: a leaf whose value differs, a map ('.') that came into being.
 */
function fieldsOf(value: unknown, path: string, out: FieldSet, old?: { value: unknown }): void {
  if (!isObject(value) || (path !== '' && Object.keys(value).length === 0)) {
    if (path !== '' && (!old || !jsonEqual(old.value, value))) out.add(path);
    return;
  }
  if (path !== '' && (!old || old.value === undefined)) out.add(`${path}${SEP}.`);
  const before = old && isObject(old.value) ? old.value : undefined;
  for (const k of Object.keys(value)) {
    const child = path === '' ? `f:${k}` : `${path}${SEP}f:${k}`;
    fieldsOf(value[k], child, out, old ? { value: before?.[k] } : undefined);
  }
}

/**
 * The fields a manager can own in `obj`: spec, data, labels… never apiVersion/kind or server metadata.
 * With `old`, only those the write of `obj` over `old` changed (see `fieldsOf`).
 */
function ownableFields(obj: JsonObject, subresource: string | undefined, old?: JsonObject): FieldSet {
  const out: FieldSet = new Set();
  for (const k of Object.keys(obj)) {
    if (k === 'apiVersion' || k === 'kind') continue;
    // A status write owns status only; a main-resource write never does (for kinds with /status).
    if (subresource === 'status' && k !== 'status') continue;
    const v = obj[k];
    if (k !== 'metadata') fieldsOf(v, `f:${k}`, out, old ? { value: old[k] } : undefined);
    else if (isObject(v)) {
      // metadata itself is never owned ('.'), only what a client sets in it.
      const oldMeta = old && isObject(old['metadata']) ? old['metadata'] : undefined;
      for (const mk of Object.keys(v)) {
        if (SERVER_METADATA.has(mk)) continue;
        fieldsOf(v[mk], `f:metadata${SEP}f:${mk}`, out, old ? { value: oldMeta?.[mk] } : undefined);
      }
    }
  }
  // The top-level '.' is never listed.
  return out;
}

function toFieldsV1(set: FieldSet): JsonObject {
  const root: JsonObject = {};
  for (const path of [...set].sort()) {
    let at = root;
    for (const part of path.split(SEP)) {
      const next = isObject(at[part]) ? at[part] : {};
      at[part] = next;
      at = next;
    }
  }
  return root;
}

function fromFieldsV1(v: unknown, prefix: string[] = [], out: FieldSet = new Set()): FieldSet {
  if (!isObject(v)) return out;
  const keys = Object.keys(v);
  if (keys.length === 0 && prefix.length > 0) out.add(prefix.join(SEP));
  for (const k of keys) fromFieldsV1(v[k], [...prefix, k], out);
  return out;
}

function sameWriter(entry: JsonObject, w: FieldWriter): boolean {
  return (
    entry['manager'] === w.manager &&
    entry['operation'] === w.operation &&
    (entry['subresource'] ?? '') === (w.subresource ?? '')
  );
}

/**
 * Sets `next.metadata.managedFields` for a write of `next` over `old` (undefined on create) by
 * `writer`: the writer gains the fields it changed (an apply: every field of `applied`), every other
 * manager loses those and the fields that no longer exist, and a manager left with none is dropped.
 * `next` must differ from `old` (a no-op write changes no managedFields).
 */
export function recordWrite(
  old: JsonObject | undefined,
  next: JsonObject,
  writer: FieldWriter,
  applied?: JsonObject,
): void {
  const all = ownableFields(next, undefined);
  let taken: FieldSet;
  if (applied) taken = new Set([...ownableFields(applied, writer.subresource)].filter((p) => all.has(p)));
  else if (old) taken = ownableFields(next, writer.subresource, old);
  else taken = writer.subresource === 'status' ? ownableFields(next, 'status') : all;
  const entries: JsonObject[] = [];
  let mine: FieldSet = new Set(taken);
  const previous = old ? meta(old)['managedFields'] : undefined;
  for (const e of Array.isArray(previous) ? previous.filter(isObject) : []) {
    const held = fromFieldsV1(e['fieldsV1']);
    const fields = [...held].filter((p) => all.has(p));
    if (sameWriter(e, writer)) {
      mine = applied ? taken : new Set([...fields, ...taken]);
      continue;
    }
    const kept = fields.filter((p) => !taken.has(p));
    // Untouched: the stored tree (built by toFieldsV1, so already in its form) is what a rebuild gives.
    if (kept.length > 0 && kept.length === held.size) entries.push(clone(e));
    else if (kept.length > 0) entries.push({ ...clone(e), fieldsV1: toFieldsV1(new Set(kept)) });
  }
  if (mine.size > 0) {
    entries.push({
      manager: writer.manager,
      operation: writer.operation,
      apiVersion: writer.apiVersion,
      time: timestamp(),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(mine),
      ...(writer.subresource !== undefined ? { subresource: writer.subresource } : {}),
    });
  }
  const m = meta(next);
  if (entries.length > 0) m['managedFields'] = entries;
  else delete m['managedFields'];
}
