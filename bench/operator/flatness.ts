// The soak's verdict on a series sampled over a run: did it stay flat? The medians of the first and
// the last third are compared (medians, so that one GC or one burst of sockets does not decide it).
import { median } from '../watch/stats.js';

/** How much a series may grow from its first third to its last and still count as flat. */
export interface Tolerance {
  /** Growth allowed as a fraction of the first third's median (0.1: 10 %). */
  relative: number;
  /** Growth allowed in the series' own unit on top of `relative` (fds: a few sockets). */
  absolute: number;
}

/** A series' first and last thirds, and whether it stayed within its tolerance. */
export interface Flatness {
  first: number;
  last: number;
  /** last − first, in the series' unit. */
  growth: number;
  /** Growth relative to `first` (0.05: +5 %). */
  growthRatio: number;
  isFlat: boolean;
}

/**
 * Compares the median of the first third of `values` with that of the last third. Fewer than 3 values
 * say nothing: NaN medians and not flat.
 */
export function flatness(values: readonly number[], tolerance: Tolerance): Flatness {
  const third = Math.floor(values.length / 3);
  if (third === 0)
    return {
      first: Number.NaN,
      last: Number.NaN,
      growth: Number.NaN,
      growthRatio: Number.NaN,
      isFlat: false,
    };
  const first = median(values.slice(0, third));
  const last = median(values.slice(values.length - third));
  const growth = last - first;
  return {
    first,
    last,
    growth,
    growthRatio: growth / first,
    isFlat: growth <= first * tolerance.relative + tolerance.absolute,
  };
}
