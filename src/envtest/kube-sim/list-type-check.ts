// `x-kubernetes-list-type: set|map`: the uniqueness of list entries, which ajv cannot check, reported
// as the apiserver does (FieldValueDuplicate, the entry's keys in Go's %#v).
import { isObject } from './json.js';
import { pathText, schemaAt, type Schema } from './schema-node.js';
import type { FieldError } from './status-error.js';

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
export function checkListTypes(
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
