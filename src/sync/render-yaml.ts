import { isBranch } from './key-tree.js';
import type { TreeNode } from './key-tree.js';
import { yamlNumber } from './typed-values.js';
import type { JsonValue } from './typed-values.js';

const INDENT = '  ';

// Words some YAML parser reads as a boolean or null when plain: YAML 1.2 core (true, null, …) and
// YAML 1.1 (yes, on, y, …), which many readers — PyYAML, go-yaml v2, SnakeYAML — still speak.
const RESERVED_WORDS =
  /^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF|null|Null|NULL)$/;

// Made only of characters a number can have (`e0`, `E_1`): some readers' YAML 1.1 float patterns
// need no digit before the exponent, so quote these too.
const NUMBER_LIKE = /^[-+.0-9_:eE]+$/;

// Written plain only if it starts with a letter or `_` (so it is never a number, date, `.inf`, `~` or an
// indicator) and holds only word characters, `.`, `/`, `-` and single inner spaces (so never `: ` or ` #`).
const PLAIN_SAFE = /^[A-Za-z_][A-Za-z0-9_./-]*(?: [A-Za-z0-9_./-]+)*$/;

/** Whether a code point can appear raw (unescaped) in a double-quoted or block scalar. */
function isRawSafe(cp: number): boolean {
  if (cp >= 0x20 && cp <= 0x7e) return true;
  if (cp < 0xa0) return false; // C0, DEL, C1 (incl. NEL, a line break in YAML 1.1)
  if (cp === 0x2028 || cp === 0x2029) return false; // line breaks in YAML 1.1
  if (cp === 0xfeff || cp === 0xfffe || cp === 0xffff) return false; // BOM, non-characters
  return true; // surrogates cannot occur: the text was decoded from valid UTF-8
}

function escapeCodePoint(cp: number): string {
  switch (cp) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x0a:
      return '\\n';
    case 0x09:
      return '\\t';
    case 0x0d:
      return '\\r';
  }
  if (isRawSafe(cp)) return String.fromCodePoint(cp);
  const hex = cp.toString(16).toUpperCase();
  return cp <= 0xff ? `\\x${hex.padStart(2, '0')}` : `\\u${hex.padStart(4, '0')}`;
}

function doubleQuoted(text: string): string {
  let out = '"';
  for (const ch of text) out += escapeCodePoint(ch.codePointAt(0)!);
  return `${out}"`;
}

/**
 * A literal block (`|`) keeps multi-line text readable. Used only when it round-trips in every
 * reader: some content, every character raw-safe (or a tab/newline), and no line ending in
 * whitespace (whitespace-only lines are where block scalar readers disagree).
 */
function isBlockSafe(text: string): boolean {
  if (!text.includes('\n') || /^\n*$/.test(text)) return false;
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp !== 0x0a && cp !== 0x09 && !isRawSafe(cp)) return false;
  }
  return !/[ \t]\n|[ \t]$/.test(text);
}

function blockLiteral(text: string, depth: number): string {
  const trailing = /\n*$/.exec(text)![0].length;
  const chomp = trailing === 0 ? '-' : trailing === 1 ? '' : '+';
  // An explicit indentation indicator when the first line would mislead auto-detection.
  const indicator = text.startsWith(' ') || text.startsWith('\n') ? String(INDENT.length) : '';
  const body = trailing === 0 ? text : text.slice(0, -1);
  const pad = INDENT.repeat(depth + 1);
  const lines = body.split('\n').map((line) => (line === '' ? '' : pad + line));
  return `|${indicator}${chomp}\n${lines.join('\n')}`;
}

function scalar(text: string): string {
  const isPlain = PLAIN_SAFE.test(text) && !RESERVED_WORDS.test(text) && !NUMBER_LIKE.test(text);
  return isPlain ? text : doubleQuoted(text);
}

// YAML allows an implicit (`key: value`) key of at most 1024 characters; longer keys are written in
// the explicit form `? key` / `: value`. The margin leaves room for the `: ` that follows.
const IMPLICIT_KEY_MAX_CHARS = 1000;

/** A string leaf after a key or `- `: a literal block where exact, else a (quoted) scalar. */
function stringValue(text: string, depth: number): string {
  return isBlockSafe(text) ? blockLiteral(text, depth) : scalar(text);
}

/**
 * A node as the lines that follow `key:` or `-`: the first is the rest of that line (with its leading
 * space), the others are the nested block at `depth + 1`. Typed scalars are written plain: numbers in
 * the spelling every reader takes for the same number (see `yamlNumber`), `true`, `false`, `null`.
 */
function renderValue(child: TreeNode, depth: number): string[] {
  if (typeof child === 'string') return [` ${stringValue(child, depth)}`];
  if (isBranch(child)) {
    return child.size === 0 ? [' {}'] : ['', ...renderMapping(child, depth + 1)];
  }
  return renderJsonValue(child, depth);
}

function renderJsonValue(value: JsonValue, depth: number): string[] {
  switch (value.type) {
    case 'null':
      return [' null'];
    case 'boolean':
      return [` ${String(value.value)}`];
    case 'number':
      return [` ${yamlNumber(value.text)}`];
    case 'string':
      return [` ${stringValue(value.value, depth)}`];
    case 'array':
      return value.items.length === 0 ? [' []'] : ['', ...renderSequence(value.items, depth + 1)];
    case 'object':
      return value.members.length === 0 ? [' {}'] : ['', ...renderMapping(value.members, depth + 1)];
  }
}

/**
 * A block sequence at `depth`. Each item is laid out as a mapping value one level deeper would be and
 * its first line's indentation then becomes `- ` (same width), so nested blocks line up: `- a: 1`.
 */
function renderSequence(items: readonly JsonValue[], depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const lines: string[] = [];
  for (const item of items) {
    const [head = '', ...rest] = renderJsonValue(item, depth);
    if (head !== '') {
      lines.push(`${pad}-${head}`, ...rest);
      continue;
    }
    // A non-empty collection: its first line is indented one level below; start it after `- `.
    const [first = '', ...others] = rest;
    lines.push(`${pad}- ${first.slice(pad.length + INDENT.length)}`, ...others);
  }
  return lines;
}

function renderMapping(node: Iterable<readonly [string, TreeNode]>, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const lines: string[] = [];
  for (const [name, child] of node) {
    const key = scalar(name);
    const [head = '', ...rest] = renderValue(child, depth);
    if ([...key].length <= IMPLICIT_KEY_MAX_CHARS) lines.push(`${pad}${key}:${head}`, ...rest);
    else lines.push(`${pad}? ${key}`, `${pad}:${head}`, ...rest);
  }
  return lines;
}

/**
 * `yaml`: the key tree as one block-style YAML document, every string leaf a string in YAML 1.2 *and*
 * 1.1 readers (`"8080"`, `"yes"`, `"null"` are quoted), multi-line text as a literal block where that is
 * exact, anything else double-quoted with escapes; typed leaves (see `TreeNode`) as plain numbers,
 * booleans and `null`, embedded JSON arrays and objects as block sequences and mappings. Mappings in the tree's order, two-space indent,
 * ending in a newline; an empty tree is `{}`.
 */
export function renderYaml(tree: ReadonlyMap<string, TreeNode>): string {
  if (tree.size === 0) return '{}\n';
  return `${renderMapping(tree, 0).join('\n')}\n`;
}
