// What a template sees of a prefix: the content as a flat map (path below the prefix → value) and as
// a tree of the same values. Pure; the data crosses to the render worker by structured clone, so it
// holds only plain objects and strings.
import { compareBytes, decodeUtf8 } from '../bytes.js';
import { entryPath } from '../key-mapping.js';
import type { InvalidKeyProblem } from '../problems.js';
import type { SnapshotEntry } from '../types.js';

/** A node of {@link TemplateModel.tree}: a value (string) or the children below a path. */
export type TemplateTreeNode = string | { [segment: string]: TemplateTreeNode };

/** The data a template renders from. Objects are null-prototype, so `__proto__` is an ordinary key. */
export interface TemplateModel {
  /** Path below the prefix (segments joined by `/`) → value; a non-UTF-8 value is base64 text. */
  readonly keys: Record<string, string>;
  /**
   * The same content by path segment. A path that holds a value and has keys below it (`a` and
   * `a/b`) appears here as its children only; its value is still in {@link keys}.
   */
  readonly tree: { [segment: string]: TemplateTreeNode };
  /** Paths whose value is not UTF-8 and so is shown base64-encoded, sorted. */
  readonly binaryKeys: readonly string[];
}

/** The model, or the keys that have no path (see `entryPath`), sorted by etcd key. */
export type TemplateModelResult =
  | { readonly ok: true; readonly model: TemplateModel; readonly skipped: readonly InvalidKeyProblem[] }
  | { readonly ok: false; readonly problems: readonly InvalidKeyProblem[] };

/**
 * Builds the model of `entries`, each under the path every format gives it (`entryPath`): its merged
 * path when spec.sources set one — `prefix` is then `''` — else its key below `prefix`. A key without
 * a path fails the result, or with `skipInvalid` is left out and returned in `skipped`. Never throws.
 */
export function buildTemplateModel(
  prefix: Buffer,
  entries: readonly SnapshotEntry[],
  skipInvalid = false,
): TemplateModelResult {
  const keys = Object.create(null) as Record<string, string>;
  const tree = Object.create(null) as Record<string, TemplateTreeNode>;
  const binaryKeys: string[] = [];
  const invalid: InvalidKeyProblem[] = [];
  const paths: { segments: readonly string[]; value: string }[] = [];
  for (const entry of entries) {
    const path = entryPath(prefix, entry);
    if (!path.ok) {
      invalid.push(path.problem);
      continue;
    }
    const { value } = entry;
    const joined = path.segments.join('/');
    const text = decodeUtf8(value);
    if (text === undefined) binaryKeys.push(joined);
    keys[joined] = text ?? value.toString('base64');
    paths.push({ segments: path.segments, value: keys[joined] });
  }
  // By etcd key, as renderConfigMap lists them: a condition message does not change with entry order.
  invalid.sort((a, b) => compareBytes(a.etcdKey, b.etcdKey));
  if (invalid.length > 0 && !skipInvalid) return { ok: false, problems: invalid };
  // Deepest last, so that a parent's children replace its value whatever the entry order.
  paths.sort((a, b) => a.segments.length - b.segments.length);
  for (const { segments, value } of paths) place(tree, segments, value);
  binaryKeys.sort();
  return { ok: true, model: { keys, tree, binaryKeys }, skipped: invalid };
}

function place(tree: Record<string, TemplateTreeNode>, segments: readonly string[], value: string): void {
  let node = tree;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (typeof next === 'object') {
      node = next;
      continue;
    }
    const child = Object.create(null) as Record<string, TemplateTreeNode>;
    node[segment] = child;
    node = child;
  }
  const last = segments[segments.length - 1] ?? '';
  if (typeof node[last] !== 'object') node[last] = value;
}

/** One child of a path, as the `children` helper lists it. */
export interface TemplateChild {
  /** The child's own segment. */
  readonly name: string;
  /** Its full path below the prefix. */
  readonly path: string;
  /** Its value when a key has exactly this path; absent otherwise. */
  readonly value?: string;
  /** Whether keys exist below it. */
  readonly hasChildren: boolean;
}

/**
 * The direct children of `path` (`''` or `/` for the top), sorted by name. Each distinct next
 * segment once. Pure.
 */
export function childrenOf(keys: Readonly<Record<string, string>>, path: string): TemplateChild[] {
  const base = path.replace(/^\/+|\/+$/g, '');
  const start = base === '' ? '' : `${base}/`;
  const byName = new Map<string, { value?: string; hasChildren: boolean }>();
  for (const key of Object.keys(keys)) {
    if (!key.startsWith(start) || key.length === start.length) continue;
    const rest = key.slice(start.length);
    const slash = rest.indexOf('/');
    const name = slash < 0 ? rest : rest.slice(0, slash);
    const seen = byName.get(name) ?? { hasChildren: false };
    if (slash < 0) seen.value = keys[key];
    else seen.hasChildren = true;
    byName.set(name, seen);
  }
  return [...byName.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, seen]) => ({
      name,
      path: `${start}${name}`,
      hasChildren: seen.hasChildren,
      ...(seen.value !== undefined ? { value: seen.value } : {}),
    }));
}
