// Globs over the path below a source's prefix (PrefixSync spec.sources[].include/exclude): segments
// between `/`; `**` as a whole segment matches any number of segments (none included), `*` any run of
// characters within one segment, `?` exactly one character; everything else is literal. The whole
// path must match.

/** Whether one segment matches one glob segment: the wildcard walk of key-glob.ts, O(|g| · |s|). */
function segmentMatches(glob: readonly string[], text: readonly string[]): boolean {
  let g = 0;
  let t = 0;
  // The position after the last `*` seen, and the text position it has consumed up to.
  let afterStar = -1;
  let starConsumed = 0;
  while (t < text.length) {
    const c = glob[g];
    if (c === '*') {
      afterStar = ++g;
      starConsumed = t;
    } else if (c !== undefined && (c === '?' || c === text[t])) {
      g++;
      t++;
    } else if (afterStar !== -1) {
      g = afterStar;
      t = ++starConsumed;
    } else {
      return false;
    }
  }
  while (glob[g] === '*') g++;
  return g === glob.length;
}

/**
 * A predicate for paths (`db/primary/host`) matching `glob`. Segment by segment with memoised
 * positions, so `**` costs O(|glob segments| · |path segments|) segment matches at worst, never
 * exponential. Characters are code points.
 */
export function pathGlob(glob: string): (path: string) => boolean {
  const globSegments = glob.split('/').map((s) => (s === '**' ? '**' : [...s]));
  return (path) => {
    const segments = path.split('/').map((s) => [...s]);
    // memo[i][j]: whether glob segments from i match path segments from j (undefined: not known yet).
    const memo: (boolean | undefined)[][] = globSegments.map(() => []);
    const matches = (i: number, j: number): boolean => {
      if (i === globSegments.length) return j === segments.length;
      const known = memo[i]![j];
      if (known !== undefined) return known;
      const g = globSegments[i]!;
      let result: boolean;
      if (g === '**') {
        result = false;
        for (let k = j; k <= segments.length && !result; k++) result = matches(i + 1, k);
      } else {
        result = j < segments.length && segmentMatches(g, segments[j]!) && matches(i + 1, j + 1);
      }
      memo[i]![j] = result;
      return result;
    };
    return matches(0, 0);
  };
}
