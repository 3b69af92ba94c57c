import type { TreeNode } from './key-tree.js';

const INDENT = '  ';

function renderNode(node: TreeNode, depth: number): string {
  if (typeof node === 'string') return JSON.stringify(node);
  if (node.size === 0) return '{}';
  const inner = INDENT.repeat(depth + 1);
  const members = [...node].map(
    ([name, child]) => `${inner}${JSON.stringify(name)}: ${renderNode(child, depth + 1)}`,
  );
  return `{\n${members.join(',\n')}\n${INDENT.repeat(depth)}}`;
}

/**
 * `json`: the key tree as one JSON document — objects for path segments, strings for values — indented
 * by two spaces, members in the tree's order (code point order of names, not JavaScript's
 * integer-keys-first object order), ending in a newline. `JSON.parse` gives the tree back exactly.
 */
export function renderJson(tree: ReadonlyMap<string, TreeNode>): string {
  return `${renderNode(tree, 0)}\n`;
}
