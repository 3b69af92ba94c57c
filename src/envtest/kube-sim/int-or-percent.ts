/**
 * An `IntOrString` of the apps API (`maxSurge`, `maxUnavailable`): a whole number, or a percentage
 * written `"N%"`. Anything else (the apiserver would have refused it) counts as `fallback`.
 */
export type IntOrPercent = number | string;

const PERCENT = /^(\d+)%$/;

/**
 * The value of `v` against `total`, as upstream `intstr.GetScaledValueFromIntOrPercent`: a number as
 * is; a percentage of `total`, rounded up (`roundUp`, as maxSurge is) or down (as maxUnavailable is).
 */
export function scaledValue(v: IntOrPercent, total: number, roundUp: boolean): number {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : 0;
  const m = PERCENT.exec(v);
  if (!m) return 0;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** `v` when it is an IntOrString the apiserver accepts, else `fallback`. */
export function intOrPercent(v: unknown, fallback: IntOrPercent): IntOrPercent {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  if (typeof v === 'string' && PERCENT.test(v)) return v;
  return fallback;
}
