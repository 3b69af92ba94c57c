import { decodeUtf8 } from './bytes.js';
import type { InvalidKeyProblem, InvalidKeyReason } from './problems.js';
import type { SnapshotEntry } from './types.js';

const SLASH = 0x2f;

/** The path of an etcd key below the prefix, or why it has none. */
export type KeyPath =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly reasons: readonly InvalidKeyReason[] };

/**
 * Splits the part of `key` below `prefix` on `/` into path segments.
 *
 * The rules, the same for every format:
 * - a key that does not start with `prefix` → `outside-prefix`; the prefix itself → `equals-prefix`;
 * - an empty segment — a leading `/` (the prefix lacks its trailing `/`), a trailing `/` (a
 *   "directory" key such as `/app/db/`) or `//` — → `empty-segment`: refused, never collapsed or
 *   skipped, because collapsing would let `a//b` and `a/b` silently compete;
 * - path bytes that are not UTF-8 → `not-utf8` (both may apply together).
 */
export function keyPath(prefix: Buffer, key: Buffer): KeyPath {
  if (key.length < prefix.length || !key.subarray(0, prefix.length).equals(prefix)) {
    return { ok: false, reasons: ['outside-prefix'] };
  }
  const rest = key.subarray(prefix.length);
  if (rest.length === 0) return { ok: false, reasons: ['equals-prefix'] };

  const reasons: InvalidKeyReason[] = [];
  // Split on bytes: `/` is ASCII, so it never occurs inside a multi-byte UTF-8 sequence.
  const hasEmptySegment = rest[0] === SLASH || rest[rest.length - 1] === SLASH || rest.includes('//');
  if (hasEmptySegment) reasons.push('empty-segment');
  const text = decodeUtf8(rest);
  if (text === undefined) reasons.push('not-utf8');
  if (reasons.length > 0 || text === undefined) return { ok: false, reasons };
  return { ok: true, segments: text.split('/') };
}

/** The path an entry is published under, or the InvalidKey problem naming its etcd key. */
export type EntryPath =
  | { readonly ok: true; readonly segments: readonly string[] }
  | { readonly ok: false; readonly problem: InvalidKeyProblem };

/** No prefix: a merged path is already the part below its source's prefix. */
const NO_PREFIX = Buffer.alloc(0);

/**
 * The path of a snapshot entry, the one rule every format and the template model share: its merged
 * `path` when spec.sources set one (mergeSources has cut the source's prefix, filtered and rewritten
 * it), else its key below `prefix`; each checked by {@link keyPath}. A refusal names the etcd key and,
 * for a merged path, the text it became (`mappedKey`), since a rewrite can be what emptied a segment.
 */
export function entryPath(prefix: Buffer, entry: Pick<SnapshotEntry, 'key' | 'path'>): EntryPath {
  const path = entry.path !== undefined ? keyPath(NO_PREFIX, entry.path) : keyPath(prefix, entry.key);
  if (path.ok) return path;
  const mapped = entry.path !== undefined ? decodeUtf8(entry.path) : undefined;
  return {
    ok: false,
    problem: {
      kind: 'InvalidKey',
      etcdKey: entry.key,
      reasons: path.reasons,
      ...(mapped !== undefined ? { mappedKey: mapped } : {}),
    },
  };
}

/** The flat name of a path: its segments joined by `separator` (`spec.keys.separator`). */
export function joinPath(segments: readonly string[], separator: string): string {
  return segments.join(separator);
}
