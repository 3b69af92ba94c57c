import { isCelError, run, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { clone, isObject, type JsonObject } from './json.js';
import { nameOf } from './object-meta.js';
import type { ResourceType } from './resource-type.js';
import { ApiError, invalid, type FieldError } from './status-error.js';

/** A structural schema node, as far as pruning, defaulting and CEL need it. */
type Schema = JsonObject;

const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata']);

function schemaAt(s: Schema, key: string): Schema | undefined {
  const v = s[key];
  return isObject(v) ? v : undefined;
}

function pathText(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The value as the apiserver prints it in `Invalid value: ...` (Go %#v-like for scalars). */
function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return Array.isArray(v) ? '"array"' : '"object"';
}

function celTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return Array.isArray(v) ? 'array' : 'object';
}

/**
 * Removes fields the schema does not declare (unless `x-kubernetes-preserve-unknown-fields` or
 * `additionalProperties`), recording their paths; at the root apiVersion, kind and metadata stay.
 */
function prune(
  value: unknown,
  s: Schema | undefined,
  path: Array<string | number>,
  dropped: string[],
  isRoot = false,
): void {
  if (!s) return;
  if (Array.isArray(value)) {
    const items = schemaAt(s, 'items');
    value.forEach((v, i) => prune(v, items, [...path, i], dropped));
    return;
  }
  if (!isObject(value)) return;
  const props = schemaAt(s, 'properties');
  const additional = schemaAt(s, 'additionalProperties');
  const preserve = s['x-kubernetes-preserve-unknown-fields'] === true;
  for (const key of Object.keys(value)) {
    if (isRoot && ROOT_KEEP.has(key)) continue;
    const child = props ? schemaAt(props, key) : undefined;
    if (child) prune(value[key], child, [...path, key], dropped);
    else if (additional) prune(value[key], additional, [...path, key], dropped);
    else if (!preserve && (props || s['type'] === 'object')) {
      dropped.push(pathText([...path, key]));
      delete value[key];
    }
  }
}

/** Applies `default`s for absent properties of present objects (and array items), as structural defaulting does. */
function applyDefaults(value: unknown, s: Schema | undefined): void {
  if (!s) return;
  if (Array.isArray(value)) {
    for (const v of value) applyDefaults(v, schemaAt(s, 'items'));
    return;
  }
  if (!isObject(value)) return;
  const props = schemaAt(s, 'properties') ?? {};
  for (const [key, childRaw] of Object.entries(props)) {
    if (!isObject(childRaw)) continue;
    if (value[key] === undefined && childRaw['default'] !== undefined)
      value[key] = clone(childRaw['default']);
    if (value[key] !== undefined) applyDefaults(value[key], childRaw);
  }
  const additional = schemaAt(s, 'additionalProperties');
  if (additional) for (const v of Object.values(value)) applyDefaults(v, additional);
}

/** JSON → CEL input: objects become maps, integers of `type: integer` become CEL ints. */
function toCel(value: unknown, s: Schema | undefined): CelInput {
  if (Array.isArray(value)) return value.map((v) => toCel(v, s ? schemaAt(s, 'items') : undefined));
  if (isObject(value)) {
    const props = s ? schemaAt(s, 'properties') : undefined;
    const additional = s ? schemaAt(s, 'additionalProperties') : undefined;
    return new Map(
      Object.entries(value).map(([k, v]) => [
        k,
        toCel(v, (props ? schemaAt(props, k) : undefined) ?? additional),
      ]),
    );
  }
  if (
    typeof value === 'number' &&
    (s?.['type'] === 'integer' || (s === undefined && Number.isInteger(value)))
  ) {
    return BigInt(Math.trunc(value));
  }
  return value as CelInput;
}

interface Rule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

/** Evaluates `x-kubernetes-validations` everywhere in the tree; transition rules only where an old value exists. */
function runCel(
  value: unknown,
  old: unknown,
  s: Schema | undefined,
  path: Array<string | number>,
  errors: FieldError[],
): void {
  if (!s || value === undefined) return;
  const rules = Array.isArray(s['x-kubernetes-validations'])
    ? (s['x-kubernetes-validations'] as unknown[]).filter(isObject)
    : [];
  for (const raw of rules) {
    const r = raw as unknown as Rule;
    if (typeof r.rule !== 'string') continue;
    const usesOld = /\boldSelf\b/.test(r.rule);
    if (usesOld && old === undefined) continue;
    const bindings: Record<string, CelInput> = { self: toCel(value, s) };
    if (usesOld) bindings['oldSelf'] = toCel(old, s);
    const result = run(r.rule, bindings, { funcs: strings });
    let field = pathText(path);
    if (r.fieldPath) field += r.fieldPath.startsWith('.') ? r.fieldPath : `.${r.fieldPath}`;
    if (isCelError(result)) {
      errors.push({
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${celTypeName(value)}": ${result.message} evaluating rule: ${r.rule}`,
      });
    } else if (result !== true) {
      const message = r.message ?? `failed rule: ${r.rule}`;
      const reason = r.reason ?? 'FieldValueInvalid';
      const prefix: Record<string, string> = {
        FieldValueForbidden: 'Forbidden',
        FieldValueRequired: 'Required value',
        FieldValueDuplicate: `Duplicate value: "${celTypeName(value)}"`,
      };
      errors.push({
        field,
        reason,
        message: `${prefix[reason] ?? `Invalid value: "${celTypeName(value)}"`}: ${message}`,
      });
    }
  }
  if (Array.isArray(value)) {
    const items = schemaAt(s, 'items');
    value.forEach((v, i) => runCel(v, Array.isArray(old) ? old[i] : undefined, items, [...path, i], errors));
  } else if (isObject(value)) {
    const props = schemaAt(s, 'properties') ?? {};
    const additional = schemaAt(s, 'additionalProperties');
    for (const [k, v] of Object.entries(value)) {
      if (path.length === 0 && k === 'metadata') continue;
      const child = schemaAt(props, k) ?? additional;
      runCel(v, isObject(old) ? old[k] : undefined, child, [...path, k], errors);
    }
  }
}

function instancePath(e: ErrorObject): Array<string | number> {
  return e.instancePath
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
}

function valueAt(doc: unknown, path: Array<string | number>): unknown {
  let cur = doc;
  for (const p of path)
    cur = Array.isArray(cur) && typeof p === 'number' ? cur[p] : isObject(cur) ? cur[String(p)] : undefined;
  return cur;
}

/** Go's %#v of a JSON value, as the apiserver prints a duplicate list entry. */
function goValue(v: unknown): string {
  if (isObject(v)) {
    const inner = Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${goValue(v[k])}`)
      .join(', ');
    return `map[string]interface {}{${inner}}`;
  }
  return JSON.stringify(v);
}

/** `x-kubernetes-list-type: set|map` uniqueness (duplicates are FieldValueDuplicate upstream). */
function checkListTypes(
  value: unknown,
  s: Schema | undefined,
  path: Array<string | number>,
  errors: FieldError[],
): void {
  if (!s || value === undefined || value === null) return;
  if (Array.isArray(value)) {
    const listType = s['x-kubernetes-list-type'];
    const keys = Array.isArray(s['x-kubernetes-list-map-keys'])
      ? (s['x-kubernetes-list-map-keys'] as string[])
      : [];
    const seen = new Set<string>();
    (value as unknown[]).forEach((item, i) => {
      let id: string | undefined;
      if (listType === 'set') id = JSON.stringify(item);
      else if (listType === 'map' && isObject(item)) id = JSON.stringify(keys.map((k) => item[k] ?? null));
      if (id === undefined) return;
      if (seen.has(id)) {
        const shownValue: unknown =
          listType === 'map' && isObject(item)
            ? Object.fromEntries(keys.filter((k) => k in item).map((k) => [k, item[k]]))
            : item;
        errors.push({
          field: pathText([...path, i]),
          reason: 'FieldValueDuplicate',
          message: `Duplicate value: ${goValue(shownValue)}`,
        });
      }
      seen.add(id);
    });
    const items = schemaAt(s, 'items');
    value.forEach((v, i) => checkListTypes(v, items, [...path, i], errors));
  } else if (isObject(value)) {
    const props = schemaAt(s, 'properties') ?? {};
    const additional = schemaAt(s, 'additionalProperties');
    for (const [k, v] of Object.entries(value))
      checkListTypes(v, schemaAt(props, k) ?? additional, [...path, k], errors);
  }
}

/** An ajv error in the apiserver's words (kube-openapi's validation messages). */
function toFieldError(e: ErrorObject, doc: unknown): FieldError | undefined {
  const path = instancePath(e);
  const field = pathText(path);
  const value = valueAt(doc, path);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required':
      return {
        field: pathText([...path, String(p['missingProperty'])]),
        reason: 'FieldValueRequired',
        message: 'Required value',
      };
    case 'type':
      return {
        field,
        reason: 'FieldValueTypeInvalid',
        message: `Invalid value: "${celTypeName(value)}": ${field} in body must be of type ${String(p['type'])}: "${celTypeName(value)}"`,
      };
    case 'enum': {
      const allowed = (p['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ');
      return {
        field,
        reason: 'FieldValueNotSupported',
        message: `Unsupported value: ${shown(value)}: supported values: ${allowed}`,
      };
    }
    case 'pattern':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body should match '${String(p['pattern'])}'`,
      };
    case 'minLength':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body should be at least ${String(p['limit'])} chars long`,
      };
    case 'maxLength':
      return {
        field,
        reason: 'FieldValueTooLong',
        message: `Too long: may not be more than ${String(p['limit'])} bytes`,
      };
    case 'minimum':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body should be greater than or equal to ${String(p['limit'])}`,
      };
    case 'maximum':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body should be less than or equal to ${String(p['limit'])}`,
      };
    case 'exclusiveMinimum':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body should be greater than ${String(p['limit'])}`,
      };
    case 'exclusiveMaximum':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body should be less than ${String(p['limit'])}`,
      };
    case 'minItems':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${Array.isArray(value) ? value.length : 0}: ${field} in body should have at least ${String(p['limit'])} items`,
      };
    case 'maxItems':
      return {
        field,
        reason: 'FieldValueTooMany',
        message: `Too many: ${Array.isArray(value) ? value.length : 0}: must have at most ${String(p['limit'])} items`,
      };
    case 'minProperties':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${Object.keys(isObject(value) ? value : {}).length}: ${field} in body should have at least ${String(p['limit'])} properties`,
      };
    case 'maxProperties':
      return {
        field,
        reason: 'FieldValueTooMany',
        message: `Too many: ${Object.keys(isObject(value) ? value : {}).length}: must have at most ${String(p['limit'])} items`,
      };
    case 'uniqueItems':
      return {
        field: `${field}[${String(p['j'])}]`,
        reason: 'FieldValueDuplicate',
        message: `Duplicate value: ${shown(valueAt(value, [Number(p['j'])]))}`,
      };
    case 'if':
    case 'anyOf':
    case 'oneOf':
    case 'not':
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${field} in body must match ${e.keyword === 'not' ? 'not' : e.keyword} schema`,
      };
    default:
      return {
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: ${shown(value)}: ${e.message ?? e.keyword}`,
      };
  }
}

function newAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: false, validateFormats: false, useDefaults: false });
}

/** The schema without the parts ajv must not see: the root's metadata schema is the apiserver's own business. */
function forAjv(schema: Schema): Schema {
  const copy = clone(schema);
  const props = schemaAt(copy, 'properties');
  if (props) delete props['metadata'];
  return copy;
}

/**
 * The restrictions a CRD may place on metadata (only `name` and `generateName`, as upstream allows), as
 * a schema over the whole object so that errors name `metadata.name`; undefined when there are none.
 */
function metadataRestrictions(schema: Schema): Schema | undefined {
  const metadata = schemaAt(schemaAt(schema, 'properties') ?? {}, 'metadata');
  const props = schemaAt(metadata ?? {}, 'properties');
  const restricted: Record<string, Schema> = {};
  for (const key of ['name', 'generateName']) {
    const s = props ? schemaAt(props, key) : undefined;
    if (s) restricted[key] = s;
  }
  if (Object.keys(restricted).length === 0) return undefined;
  return { type: 'object', properties: { metadata: { type: 'object', properties: restricted } } };
}

/**
 * A custom resource version's openAPIV3Schema: prunes unknown fields, applies defaults, validates
 * (ajv) and evaluates CEL rules, answering like kube-apiserver: 422 Invalid naming each field, and for
 * unknown fields 400 under `fieldValidation=Strict`, a warning under `Warn`, nothing under `Ignore`.
 */
export class CrSchema {
  private validator: ValidateFunction | undefined;
  /** Validates metadata.name/generateName, or null when the schema restricts neither. */
  private metadataValidator: ValidateFunction | null | undefined;

  constructor(
    private readonly kind: string,
    private readonly group: string,
    private readonly schema: Schema,
  ) {}

  /** Why a schema cannot be used (ajv refuses to compile it), or undefined. */
  static check(schema: Schema): string | undefined {
    try {
      newAjv().compile(forAjv(schema));
      return undefined;
    } catch (e) {
      return `Invalid value: "object": ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  admit(type: ResourceType, obj: JsonObject, old: JsonObject | undefined, fieldValidation: string): string[] {
    const dropped: string[] = [];
    prune(obj, this.schema, [], dropped, true);
    applyDefaults(obj, this.schema);
    const name = nameOf(obj);
    if (dropped.length > 0 && fieldValidation === 'Strict') {
      const list = dropped.map((d) => `unknown field "${d}"`).join(', ');
      throw new ApiError(
        400,
        'BadRequest',
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${list}`,
      );
    }
    this.validator ??= newAjv().compile(forAjv(this.schema));
    const errors: FieldError[] = [];
    if (!this.validator(obj)) {
      for (const e of this.validator.errors ?? []) {
        const fe = toFieldError(e, obj);
        if (fe && !errors.some((x) => x.field === fe.field && x.message === fe.message)) errors.push(fe);
      }
    }
    if (this.metadataValidator === undefined) {
      const restrictions = metadataRestrictions(this.schema);
      this.metadataValidator = restrictions ? newAjv().compile(restrictions) : null;
    }
    if (this.metadataValidator && !this.metadataValidator(obj)) {
      for (const e of this.metadataValidator.errors ?? []) {
        const fe = toFieldError(e, obj);
        if (fe) errors.push(fe);
      }
    }
    checkListTypes(obj, this.schema, [], errors);
    if (errors.length === 0) runCel(obj, old, this.schema, [], errors);
    if (errors.length > 0) throw invalid(this.kind, this.group, name, errors);
    return fieldValidation === 'Warn' ? dropped.map((d) => `unknown field "${d}"`) : [];
  }
}
