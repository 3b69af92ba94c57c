// A node of a CRD's structural schema, and how kube-apiserver names a field and shows a value in its
// messages: the vocabulary that pruning, defaulting, validation and CEL (cr-schema.ts and its helpers)
// share.
import { isObject, type JsonObject } from './json.js';

/** A structural schema node, as far as pruning, defaulting and CEL need it. */
export type Schema = JsonObject;

/** The sub-schema under `key` (`properties`, `items`, …), or undefined. */
export function schemaAt(s: Schema, key: string): Schema | undefined {
  const v = s[key];
  return isObject(v) ? v : undefined;
}

/** A field path as the apiserver prints it: `spec.items[0].name`. */
export function pathText(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** The value as the apiserver prints it in `Invalid value: ...` (Go %#v-like for scalars). */
export function shown(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return 'null';
  return Array.isArray(v) ? '"array"' : '"object"';
}

/** The JSON type of a value, as the apiserver names it in `Invalid value: "<type>"`. */
export function celTypeName(v: unknown): string {
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  if (typeof v === 'boolean') return 'boolean';
  return Array.isArray(v) ? 'array' : 'object';
}
