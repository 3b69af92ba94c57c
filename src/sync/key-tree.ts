import { compareBytes, compareCodePoints, decodeUtf8 } from './bytes.js';
import type { MappedEntry } from './mapped-entry.js';
import type { Problem } from './problems.js';
import { autoValue, parseJsonValue } from './typed-values.js';
import type { JsonValue, ValueMode } from './typed-values.js';

/** Most path segments a `yaml` / `json` key may have; a deeper key is `InvalidKey` (`too-deep`). */
export const MAX_TREE_DEPTH = 100;

/**
 * A node of the rendered tree: a leaf (an etcd value) or an object of child nodes, its children in
 * code point order of their names. A Map, so that any segment — `__proto__`, `1` — keeps its place.
 * A leaf is a string (every value with `values: string`), or a typed {@link JsonValue} (`auto`: a
 * number or boolean; `json`: the value's JSON document).
 */
export type TreeNode = string | JsonValue | ReadonlyMap<string, TreeNode>;

/** Whether a node is an object of child nodes (not a leaf). */
export function isBranch(node: TreeNode): node is ReadonlyMap<string, TreeNode> {
  return node instanceof Map;
}

/** The leaf for an etcd value's text under `mode`, or why the value cannot be one. */
function leafOf(
  text: string,
  mode: ValueMode,
): { ok: true; leaf: string | JsonValue } | { ok: false; error: 'not-json' | 'json-too-deep' } {
  if (mode === 'auto') return { ok: true, leaf: autoValue(text) ?? text };
  if (mode === 'string') return { ok: true, leaf: text };
  const parsed = parseJsonValue(text);
  return parsed.ok ? { ok: true, leaf: parsed.value } : parsed;
}

interface Trie {
  /** Entries whose path ends here; more than one is a collision. */
  readonly leaves: MappedEntry[];
  readonly children: Map<string, Trie>;
}

function newTrie(): Trie {
  return { leaves: [], children: new Map() };
}

function allLeaves(trie: Trie, into: MappedEntry[]): MappedEntry[] {
  for (const child of trie.children.values()) {
    into.push(...child.leaves);
    allLeaves(child, into);
  }
  return into;
}

/**
 * Builds the tree that `yaml` and `json` render: each path segment one level, each value a leaf as
 * `values` says (default `string`: every value a string; see {@link TreeNode}).
 *
 * Problems, every offending key named: a path deeper than {@link MAX_TREE_DEPTH} (`InvalidKey`,
 * which also keeps every recursion here and in the renderers shallow); a value that is not UTF-8, or
 * with `values: json` not a JSON document (`not-json`, `json-too-deep`) (`InvalidValue`); two entries with
 * one path (`KeyCollision`, only possible when the snapshot repeats a key); a key with a value *and*
 * keys below it, e.g. `a` and `a/b` (`TreeConflict`, one per such key, naming all keys below it).
 */
export function buildKeyTree(
  entries: readonly MappedEntry[],
  values: ValueMode = 'string',
): { ok: true; tree: ReadonlyMap<string, TreeNode> } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const root = newTrie();
  const leafValues = new Map<MappedEntry, string | JsonValue>();
  for (const entry of entries) {
    if (entry.segments.length > MAX_TREE_DEPTH) {
      problems.push({ kind: 'InvalidKey', etcdKey: entry.etcdKey, reasons: ['too-deep'] });
      continue;
    }
    const text = decodeUtf8(entry.value);
    if (text === undefined) {
      problems.push({ kind: 'InvalidValue', etcdKey: entry.etcdKey, reason: 'not-utf8' });
    } else {
      const leaf = leafOf(text, values);
      if (leaf.ok) leafValues.set(entry, leaf.leaf);
      else problems.push({ kind: 'InvalidValue', etcdKey: entry.etcdKey, reason: leaf.error });
    }
    let node = root;
    for (const segment of entry.segments) {
      let child = node.children.get(segment);
      if (child === undefined) {
        child = newTrie();
        node.children.set(segment, child);
      }
      node = child;
    }
    node.leaves.push(entry);
  }

  const visit = (trie: Trie, path: readonly string[]): TreeNode => {
    if (trie.leaves.length > 1) {
      const etcdKeys = trie.leaves.map((e) => e.etcdKey).sort(compareBytes);
      problems.push({ kind: 'KeyCollision', mappedKey: path.join('/'), etcdKeys });
    }
    if (trie.leaves.length > 0 && trie.children.size > 0) {
      const descendants = allLeaves(trie, [])
        .map((e) => e.etcdKey)
        .sort(compareBytes);
      for (const leaf of trie.leaves)
        problems.push({ kind: 'TreeConflict', etcdKey: leaf.etcdKey, descendants });
    }
    const first = trie.leaves[0];
    if (first !== undefined && trie.children.size === 0) return leafValues.get(first) ?? '';
    const names = [...trie.children.keys()].sort(compareCodePoints);
    return new Map(names.map((name) => [name, visit(trie.children.get(name)!, [...path, name])]));
  };
  const tree = visit(root, []);
  if (problems.length > 0 || !isBranch(tree)) return { ok: false, problems };
  return { ok: true, tree };
}
