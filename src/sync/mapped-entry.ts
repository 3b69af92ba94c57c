import { compareBytes, compareCodePoints } from './bytes.js';
import type { KeyCollisionProblem, Problem } from './problems.js';

/** A snapshot entry whose key has a valid path below the prefix. */
export interface MappedEntry {
  readonly etcdKey: Buffer;
  readonly value: Buffer;
  /** The path below the prefix, split on `/`; every segment non-empty. */
  readonly segments: readonly string[];
}

/** What a format renderer produces: ConfigMap content, or the problems that prevent it. */
export type FormatOutput =
  | { readonly ok: true; readonly data: Record<string, string>; readonly binaryData: Record<string, string> }
  | { readonly ok: false; readonly problems: readonly Problem[] };

/** A fresh object without a prototype, so that `__proto__` is an ordinary key in it. */
export function emptyRecord(): Record<string, string> {
  return Object.create(null) as Record<string, string>;
}

/**
 * Groups entries by the name `nameOf` gives them. Returns the entries whose name is unique, sorted by
 * name (code point order), and a `KeyCollision` for every name shared by two or more entries.
 */
export function uniqueNames<T extends MappedEntry>(
  entries: readonly T[],
  nameOf: (entry: T) => string,
): { named: { name: string; entry: T }[]; collisions: KeyCollisionProblem[] } {
  const byName = new Map<string, T[]>();
  for (const entry of entries) {
    const name = nameOf(entry);
    const group = byName.get(name);
    if (group === undefined) byName.set(name, [entry]);
    else group.push(entry);
  }
  const named: { name: string; entry: T }[] = [];
  const collisions: KeyCollisionProblem[] = [];
  for (const [name, group] of byName) {
    if (group.length === 1) named.push({ name, entry: group[0]! });
    else {
      const etcdKeys = group.map((e) => e.etcdKey).sort(compareBytes);
      collisions.push({ kind: 'KeyCollision', mappedKey: name, etcdKeys });
    }
  }
  named.sort((a, b) => compareCodePoints(a.name, b.name));
  return { named, collisions };
}
