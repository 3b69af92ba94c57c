// What kube-apiserver does to a custom resource before validating it, driven by the structural schema:
// pruning fields the schema does not declare, then applying `default`s.
import { clone, isObject } from './json.js';
import { pathText, schemaAt, type Schema } from './schema-node.js';

const ROOT_KEEP = new Set(['apiVersion', 'kind', 'metadata']);

/**
 * Removes fields the schema does not declare (unless `x-kubernetes-preserve-unknown-fields` or
 * `additionalProperties`), recording their paths; at the root apiVersion, kind and metadata stay.
 */
export function prune(
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
export function applyDefaults(value: unknown, s: Schema | undefined): void {
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
