import { compareBytes, compareCodePoints, decodeUtf8 } from './bytes.js';
import type { MappedEntry } from './mapped-entry.js';
import type { Problem } from './problems.js';

/** Most path segments a `yaml` / `json` key may have; a deeper key is `InvalidKey` (`too-deep`). */
export const MAX_TREE_DEPTH = 100;

/**
 * A node of the rendered tree: a string (an etcd value) or an object of child nodes, its children in
 * code point order of their names. A Map, so that any segment — `__proto__`, `1` — keeps its place.
 */
export type TreeNode = string | ReadonlyMap<string, TreeNode>;

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
 * Builds the tree that `yaml` and `json` render: each path segment one level, each value a string.
 *
 * Problems, every offending key named: a path deeper than {@link MAX_TREE_DEPTH} (`InvalidKey`,
 * which also keeps every recursion here and in the renderers shallow); a value that is not UTF-8 (`InvalidValue`); two entries with
 * one path (`KeyCollision`, only possible when the snapshot repeats a key); a key with a value *and*
 * keys below it, e.g. `a` and `a/b` (`TreeConflict`, one per such key, naming all keys below it).
 */
export function buildKeyTree(
  entries: readonly MappedEntry[],
): { ok: true; tree: ReadonlyMap<string, TreeNode> } | { ok: false; problems: Problem[] } {
  const problems: Problem[] = [];
  const root = newTrie();
  for (const entry of entries) {
    if (entry.segments.length > MAX_TREE_DEPTH) {
      problems.push({ kind: 'InvalidKey', etcdKey: entry.etcdKey, reasons: ['too-deep'] });
      continue;
    }
    if (decodeUtf8(entry.value) === undefined) {
      problems.push({ kind: 'InvalidValue', etcdKey: entry.etcdKey, reason: 'not-utf8' });
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
    if (first !== undefined && trie.children.size === 0) return first.value.toString('utf8');
    const names = [...trie.children.keys()].sort(compareCodePoints);
    return new Map(names.map((name) => [name, visit(trie.children.get(name)!, [...path, name])]));
  };
  const tree = visit(root, []);
  if (problems.length > 0 || typeof tree === 'string') return { ok: false, problems };
  return { ok: true, tree };
}
