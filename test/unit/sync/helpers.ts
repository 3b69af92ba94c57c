import { strict as assert } from 'node:assert';
import type {
  PrefixSnapshot,
  Problem,
  RenderFailure,
  RenderResult,
  RenderSuccess,
  SnapshotEntry,
} from '../../../src/sync/index.js';

/** An entry from text (UTF-8) or raw bytes. */
export function entry(key: string | Buffer, value: string | Buffer | number[]): SnapshotEntry {
  return {
    key: typeof key === 'string' ? Buffer.from(key, 'utf8') : key,
    value: typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value),
  };
}

/** A snapshot of `prefix` at revision 7 from `[key, value]` pairs. */
export function snapshot(
  prefix: string | Buffer,
  pairs: [string | Buffer, string | Buffer | number[]][],
): PrefixSnapshot {
  return { prefix, revision: 7n, entries: pairs.map(([k, v]) => entry(k, v)) };
}

/** Asserts success and returns it, showing the problems when it failed. */
export function expectOk(result: RenderResult): RenderSuccess {
  if (!result.ok) assert.fail(`expected success, got problems: ${JSON.stringify(result.problems)}`);
  return result;
}

/** Asserts failure and returns it. */
export function expectProblems(result: RenderResult): RenderFailure {
  if (result.ok) assert.fail(`expected problems, got success: ${JSON.stringify(result.data)}`);
  return result;
}

/** A null-prototype record as a plain object, for deepStrictEqual against literals. */
export function plain(record: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(record))
    Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
  return out;
}

/** A problem with its Buffers as text (or hex for non-UTF-8), for readable assertions. */
export function readable(problem: Problem): Record<string, unknown> {
  const show = (b: Buffer): string =>
    Buffer.from(b.toString('utf8'), 'utf8').equals(b) ? b.toString('utf8') : `0x${b.toString('hex')}`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(problem)) {
    if (Buffer.isBuffer(v)) out[k] = show(v);
    else if (Array.isArray(v) && v.every((x) => Buffer.isBuffer(x))) out[k] = v.map(show);
    else out[k] = v;
  }
  return out;
}

/** Every etcd key a problem names. */
export function namedKeys(problem: Problem): Buffer[] {
  switch (problem.kind) {
    case 'InvalidKey':
    case 'InvalidValue':
    case 'InvalidEnvName':
      return [problem.etcdKey];
    case 'KeyCollision':
      return [...problem.etcdKeys];
    case 'TreeConflict':
      return [problem.etcdKey, ...problem.descendants];
    case 'TooLarge':
    case 'InvalidOption':
      return [];
  }
}

/** A nested plain object, as JSON.parse or a YAML reader returns it. */
export type PlainTree = string | { [name: string]: PlainTree };

function setOwn(target: { [name: string]: PlainTree }, name: string, value: PlainTree): void {
  Object.defineProperty(target, name, { value, enumerable: true, writable: true, configurable: true });
}

/** The tree yaml/json must render for `[segments, text]` pairs (which must not conflict). */
export function expectedTree(pairs: readonly (readonly [readonly string[], string])[]): {
  [name: string]: PlainTree;
} {
  const root: { [name: string]: PlainTree } = {};
  for (const [segments, text] of pairs) {
    let node = root;
    segments.forEach((segment, i) => {
      if (i === segments.length - 1) setOwn(node, segment, text);
      else {
        if (!Object.prototype.hasOwnProperty.call(node, segment)) setOwn(node, segment, {});
        node = node[segment] as { [name: string]: PlainTree };
      }
    });
  }
  return root;
}
