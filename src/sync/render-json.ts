import { isBranch } from './key-tree.js';
import type { TreeNode } from './key-tree.js';
import type { JsonValue } from './typed-values.js';

const INDENT = '  ';

/** An object's members (tree children or a JSON object's), one per line, or `{}`. */
function renderMembers(members: Iterable<readonly [string, string]>, depth: number): string {
  const lines = [...members].map(
    ([name, text]) => `${INDENT.repeat(depth + 1)}${JSON.stringify(name)}: ${text}`,
  );
  return lines.length === 0 ? '{}' : `{\n${lines.join(',\n')}\n${INDENT.repeat(depth)}}`;
}

function renderValue(value: JsonValue, depth: number): string {
  switch (value.type) {
    case 'null':
      return 'null';
    case 'boolean':
      return String(value.value);
    case 'number':
      return value.text; // JSON text already, digit for digit
    case 'string':
      return JSON.stringify(value.value);
    case 'array': {
      if (value.items.length === 0) return '[]';
      const inner = INDENT.repeat(depth + 1);
      const items = value.items.map((item) => `${inner}${renderValue(item, depth + 1)}`);
      return `[\n${items.join(',\n')}\n${INDENT.repeat(depth)}]`;
    }
    case 'object':
      return renderMembers(
        value.members.map(([name, child]) => [name, renderValue(child, depth + 1)] as const),
        depth,
      );
  }
}

function renderNode(node: TreeNode, depth: number): string {
  if (typeof node === 'string') return JSON.stringify(node);
  if (!isBranch(node)) return renderValue(node, depth);
  return renderMembers(
    [...node].map(([name, child]) => [name, renderNode(child, depth + 1)] as const),
    depth,
  );
}

/**
 * `json`: the key tree as one JSON document — objects for path segments, leaves as the tree holds them
 * (strings; with typed values also numbers, booleans and embedded JSON documents, numbers written
 * exactly as in etcd) — indented by two spaces, members in the tree's order (code point order of
 * names, not JavaScript's integer-keys-first object order; an embedded object keeps its own order),
 * ending in a newline. `JSON.parse` gives the tree back (a number beyond 2^53 as its nearest double).
 */
export function renderJson(tree: ReadonlyMap<string, TreeNode>): string {
  return `${renderNode(tree, 0)}\n`;
}
