// Pure: a unified diff of two ConfigMaps' data keys, one file section per changed key, as `diff -u`
// prints them (what `kubectl diff` shows), so reviewers read it with the tools they already know.

/** The keys of a ConfigMap that `render --diff` compares. */
export interface ConfigMapData {
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

/** Lines of context around each change, as `diff -u`. */
const CONTEXT_LINES = 3;
/**
 * Above this many cells the line-by-line comparison (quadratic) is skipped and the changed middle is
 * shown as removed then added: still a valid unified diff, just a coarser one.
 */
const MAX_LCS_CELLS = 4_000_000;

type Op = { kind: ' ' | '-' | '+'; line: string };

/** Marks a last line without a newline, so that `a` and `a\n` differ as they do for diff. */
const NO_NEWLINE = '\u0000no-newline';

/** Splits into lines the way diff sees a file (a final newline ends the last line). */
function linesOf(text: string | undefined): string[] {
  if (text === undefined || text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  else lines[lines.length - 1] += NO_NEWLINE;
  return lines;
}

/** One line of a hunk, with diff's marker after a last line that has no newline. */
function printed(op: Op): string {
  return op.line.endsWith(NO_NEWLINE)
    ? `${op.kind}${op.line.slice(0, -NO_NEWLINE.length)}\n\\ No newline at end of file`
    : `${op.kind}${op.line}`;
}

/** The edit script from `a` to `b`: common prefix and suffix, and an LCS of the middle. */
function editScript(a: readonly string[], b: readonly string[]): Op[] {
  let start = 0;
  while (start < a.length && start < b.length && a[start] === b[start]) start++;
  let endA = a.length;
  let endB = b.length;
  while (endA > start && endB > start && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  const ops: Op[] = a.slice(0, start).map((line) => ({ kind: ' ', line }));
  const midA = a.slice(start, endA);
  const midB = b.slice(start, endB);
  if (midA.length * midB.length > MAX_LCS_CELLS) {
    for (const line of midA) ops.push({ kind: '-', line });
    for (const line of midB) ops.push({ kind: '+', line });
  } else {
    // lcs[i][j]: length of the longest common subsequence of midA[i..] and midB[j..].
    const width = midB.length + 1;
    const lcs = new Uint32Array((midA.length + 1) * width);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lcs[i * width + j] =
          midA[i] === midB[j]
            ? lcs[(i + 1) * width + j + 1]! + 1
            : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < midA.length || j < midB.length) {
      if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
        ops.push({ kind: ' ', line: midA[i++]! });
        j++;
      } else if (
        i < midA.length &&
        (j === midB.length || lcs[(i + 1) * width + j]! >= lcs[i * width + j + 1]!)
      ) {
        // Removals before additions, as diff prints a changed line.
        ops.push({ kind: '-', line: midA[i++]! });
      } else {
        ops.push({ kind: '+', line: midB[j++]! });
      }
    }
  }
  for (const line of a.slice(endA)) ops.push({ kind: ' ', line });
  return ops;
}

/** `@@ -l,s +l,s @@` hunks of `ops` with {@link CONTEXT_LINES} of context. */
function hunks(ops: readonly Op[]): string[] {
  const out: string[] = [];
  let index = 0;
  while (index < ops.length) {
    const firstChange = ops.findIndex((op, i) => i >= index && op.kind !== ' ');
    if (firstChange === -1) break;
    const begin = Math.max(index, firstChange - CONTEXT_LINES);
    // Extend while the next change is within twice the context (the hunks would touch).
    let end = firstChange;
    for (let i = firstChange; i < ops.length; i++) {
      if (ops[i]!.kind !== ' ') end = i;
      else if (i - end > 2 * CONTEXT_LINES) break;
    }
    const stop = Math.min(ops.length, end + CONTEXT_LINES + 1);
    let oldLine = 1;
    let newLine = 1;
    for (let i = 0; i < begin; i++) {
      if (ops[i]!.kind !== '+') oldLine++;
      if (ops[i]!.kind !== '-') newLine++;
    }
    const body = ops.slice(begin, stop);
    const oldCount = body.filter((op) => op.kind !== '+').length;
    const newCount = body.filter((op) => op.kind !== '-').length;
    // diff -u numbers an empty side by the line before it.
    const range = (line: number, count: number): string =>
      `${count === 0 ? line - 1 : line}${count === 1 ? '' : `,${count}`}`;
    out.push(`@@ -${range(oldLine, oldCount)} +${range(newLine, newCount)} @@`);
    for (const op of body) out.push(printed(op));
    index = stop;
  }
  return out;
}

/**
 * The unified diff from `live` to `rendered`, one section per data or binaryData key that differs (keys
 * sorted; binaryData compared as its base64 text); `label` names the ConfigMap in the headers
 * (`live/<label>/data/<key>`, `rendered/…`, /dev/null for a key one side lacks), `renderedLabel` the
 * rendered one when its name differs (a new version of a versioned target). Empty when they agree.
 */
export function diffConfigMapData(
  live: ConfigMapData,
  rendered: ConfigMapData,
  label: string,
  renderedLabel = label,
): string {
  const out: string[] = [];
  for (const field of ['data', 'binaryData'] as const) {
    const before = live[field] ?? {};
    const after = rendered[field] ?? {};
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const a = before[key];
      const b = after[key];
      if (a === b) continue;
      out.push(`--- ${a === undefined ? '/dev/null' : `live/${label}/${field}/${key}`}`);
      out.push(`+++ ${b === undefined ? '/dev/null' : `rendered/${renderedLabel}/${field}/${key}`}`);
      out.push(...hunks(editScript(linesOf(a), linesOf(b))));
    }
  }
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
}
