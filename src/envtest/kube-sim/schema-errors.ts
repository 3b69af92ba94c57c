// ajv's validation errors translated into kube-apiserver's field errors (kube-openapi's wording), so
// that a 422 from the simulator reads like one from a real cluster.
import type { ErrorObject } from 'ajv';
import { isObject } from './json.js';
import { celTypeName, pathText, shown } from './schema-node.js';
import type { FieldError } from './status-error.js';

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

/** An ajv error in the apiserver's words (kube-openapi's validation messages). */
export function toFieldError(e: ErrorObject, doc: unknown): FieldError | undefined {
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
