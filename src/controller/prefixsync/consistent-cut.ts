// Where several mirrors of one etcd cluster can be read together: each mirror's content is the prefix
// at every revision from `since` (its last change) to `revision` (how far its watch has been told
// nothing changed). Contents whose ranges overlap are one consistent state of etcd at any revision of
// the overlap; a mirror whose range ends below the others' starts must first hear more (a progress
// reply) or be read at that revision.

/** The revisions a mirror's content is valid at: every one from `since` to `revision`. */
export interface ContentRange {
  readonly since: bigint;
  readonly revision: bigint;
}

/**
 * `at`: every content is etcd's at `revision` (the latest such one). `lagging`: no common revision
 * yet; the contents of `lagging` (indices) end below `revision`, where the others are all valid.
 */
export type Cut =
  | { readonly kind: 'at'; readonly revision: bigint }
  | { readonly kind: 'lagging'; readonly revision: bigint; readonly lagging: readonly number[] };

/** The cut of `ranges` (at least one). Pure. */
export function cutOf(ranges: readonly ContentRange[]): Cut {
  let latestStart = 0n;
  let earliestEnd: bigint | undefined;
  for (const r of ranges) {
    if (r.since > latestStart) latestStart = r.since;
    if (earliestEnd === undefined || r.revision < earliestEnd) earliestEnd = r.revision;
  }
  if (earliestEnd !== undefined && latestStart <= earliestEnd) return { kind: 'at', revision: earliestEnd };
  const lagging: number[] = [];
  ranges.forEach((r, i) => {
    if (r.revision < latestStart) lagging.push(i);
  });
  return { kind: 'lagging', revision: latestStart, lagging };
}
