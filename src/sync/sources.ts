// Several prefixes into one entry list (PrefixSync spec.sources): each source's entries filtered by
// its include/exclude globs and renamed by its rewrites, then overlaid in order — a later source wins
// on the same path. Pure; the formats then lay out the merged list like one prefix's.
import { compareBytes, decodeUtf8 } from './bytes.js';
import { pathGlob } from './path-glob.js';
import { compileRewrites, type PathRewrite } from './path-rewrite.js';
import type { InvalidOptionProblem, KeyCollisionProblem } from './problems.js';
import type { SnapshotEntry } from './types.js';

/** How one source's paths are chosen and renamed (the API's spec.sources[] entry without its ref). */
export interface SourceRules {
  /** Globs over the path below the prefix (see path-glob.ts); empty: every path. */
  readonly include: readonly string[];
  /** Globs of paths left out, even when included. */
  readonly exclude: readonly string[];
  readonly rewrite: readonly PathRewrite[];
}

/** One source's content: its prefix, every key under it, and its rules. */
export interface SourceContent {
  readonly prefix: Buffer | string;
  readonly entries: readonly SnapshotEntry[];
  readonly rules: SourceRules;
}

/**
 * The merged entries (each with the `path` it is published under), or why there are none: a rewrite
 * that makes two keys of one source land on one path (`KeyCollision` naming both etcd keys; across
 * sources the later one simply wins), or an expression that does not compile (`InvalidOption`).
 */
export type MergeResult =
  | { readonly ok: true; readonly entries: SnapshotEntry[] }
  | { readonly ok: false; readonly problems: (KeyCollisionProblem | InvalidOptionProblem)[] };

/**
 * Merges `sources` in order. A path that is not UTF-8 matches no glob (so an `include` leaves it out)
 * and is not rewritten; the render then reports it like any key it cannot map. Never throws.
 */
export function mergeSources(sources: readonly SourceContent[]): MergeResult {
  const merged = new Map<string, SnapshotEntry>();
  const problems: (KeyCollisionProblem | InvalidOptionProblem)[] = [];
  for (const [i, source] of sources.entries()) {
    const rewrites = compileRewrites(source.rules.rewrite);
    if (!rewrites.ok) {
      problems.push({
        kind: 'InvalidOption',
        option: 'rewrite',
        message: `spec.sources[${i}].rewrite[${rewrites.index}].replace.regex is not an RE2 expression: ${rewrites.message}`,
      });
      continue;
    }
    const include = source.rules.include.map(pathGlob);
    const exclude = source.rules.exclude.map(pathGlob);
    const prefix = typeof source.prefix === 'string' ? Buffer.from(source.prefix, 'utf8') : source.prefix;
    // This source's paths, to tell a rewrite collision (an error) from an override (the point).
    const own = new Map<string, SnapshotEntry[]>();
    for (const entry of source.entries) {
      const rest = entry.key.subarray(Math.min(prefix.length, entry.key.length));
      const text = decodeUtf8(rest);
      let path: Buffer;
      if (text === undefined) {
        if (include.length > 0) continue;
        path = rest;
      } else {
        if (include.length > 0 && !include.some((m) => m(text))) continue;
        if (exclude.some((m) => m(text))) continue;
        path = Buffer.from(rewrites.apply(text), 'utf8');
      }
      // Keyed by the path's bytes: binary so that two non-UTF-8 paths never compare equal by accident.
      const id = path.toString('binary');
      const placed = { key: entry.key, value: entry.value, path };
      const same = own.get(id);
      if (same) same.push(placed);
      else own.set(id, [placed]);
    }
    for (const [id, entries] of own) {
      if (entries.length > 1) {
        problems.push({
          kind: 'KeyCollision',
          mappedKey: decodeUtf8(entries[0]!.path!) ?? id,
          etcdKeys: entries.map((e) => e.key).sort(compareBytes),
        });
      } else {
        merged.set(id, entries[0]!);
      }
    }
  }
  if (problems.length > 0) return { ok: false, problems };
  return { ok: true, entries: [...merged.values()] };
}
