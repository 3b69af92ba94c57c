// What a CEL rule may cost to evaluate. @bufbuild/cel has no cost limit of its own (cel-go and the
// Kubernetes API server have one), and without one a single rule can stall the operator for every
// PrefixSync: `data.all(a, data.all(b, true))` is n² steps, `data['a'].replace('', data['b'])` builds
// a string of |a|·|b| characters. So every evaluation runs against a CostMeter: each function call is
// charged by the size of what it works on, and each comprehension by the number of elements it may
// visit, before the work is done; past the limit, every further charge fails the evaluation.
import {
  CelScalar,
  celEnv,
  celFunc,
  celMethod,
  isCelError,
  isCelList,
  isCelMap,
  mapType,
} from '@bufbuild/cel';
import type { CelEnv, CelFunc, CelInput, CelValue } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

/**
 * Most cost units one rule may spend on one revision. A comprehension step costs
 * {@link CEL_COST_PER_ITERATION}; a call costs 1 plus {@link CEL_CHARS_PER_COST_UNIT}-th of the
 * characters (or bytes) of its string arguments, plus the size of its list (and, where the call
 * visits them, map) arguments. So a rule may visit about a million elements, or read about
 * 100 million characters: `data.all(k, …)` with a few calls per key, over every key of the largest
 * ConfigMap, stays within it; a comprehension nested in another over a thousand keys does not. In
 * time: @bufbuild/cel interprets a step with a few calls in about 10 µs, so a rule built to spend the
 * whole limit runs about 5 s of one core (measured) before it fails; an ordinary rule, milliseconds.
 */
export const CEL_COST_LIMIT = 10_000_000;

/** Cost units charged for each element a comprehension (`all`, `exists`, `map`, `filter`, …) may visit. */
export const CEL_COST_PER_ITERATION = 10;

/** Characters (or bytes) of string arguments that cost one unit. */
export const CEL_CHARS_PER_COST_UNIT = 10;

/** Thrown inside an evaluation when its meter runs out; CEL turns it into the evaluation's error. */
export class CelCostExceeded extends Error {
  constructor(readonly limit: number) {
    super(`the rule needs more than its cost limit of ${limit} units to evaluate`);
    this.name = 'CelCostExceeded';
  }
}

/**
 * The cost budget of one evaluation. Once exhausted it stays exhausted: every later charge throws
 * again, so an error that CEL's logic absorbs (`false && …`, `… || true`) cannot let the
 * evaluation go on working for free, and the caller learns of it from {@link isExhausted}.
 */
export class CostMeter {
  /** Units left; negative once exhausted. */
  private remaining: number;

  constructor(readonly limit: number) {
    this.remaining = limit;
  }

  /** Whether a charge went past the limit during this evaluation. */
  get isExhausted(): boolean {
    return this.remaining < 0;
  }

  /** Spends `units`; throws {@link CelCostExceeded} if that goes past the limit (or went before). */
  charge(units: number): void {
    this.remaining -= units;
    if (this.remaining < 0) throw new CelCostExceeded(this.limit);
  }
}

// The meter of the evaluation running now. Evaluation is synchronous and calls nothing of ours but
// the charging functions below, so one module-level slot is enough; `meteredEvaluation` sets and
// clears it around each evaluation.
let activeMeter: CostMeter | undefined;

/** Runs `evaluate` against `meter`: every charge made meanwhile is charged to it. */
export function meteredEvaluation<T>(meter: CostMeter, evaluate: () => T): T {
  const outer = activeMeter;
  activeMeter = meter;
  try {
    return evaluate();
  } finally {
    activeMeter = outer;
  }
}

function charge(units: number): void {
  // Outside a metered evaluation (never in the guard) nothing is counted.
  activeMeter?.charge(units);
}

function stringUnits(length: number): number {
  return Math.ceil(length / CEL_CHARS_PER_COST_UNIT);
}

/**
 * What a value costs as an argument: strings and bytes by length, lists by size; maps by size only
 * when `visitsMaps` (equality walks a map; `in`, `size` and indexing do not).
 */
function argumentUnits(value: CelValue | undefined, visitsMaps: boolean): number {
  if (typeof value === 'string') return stringUnits(value.length);
  if (value instanceof Uint8Array) return stringUnits(value.length);
  if (isCelList(value)) return value.size;
  if (visitsMaps && isCelMap(value)) return value.size;
  return 0;
}

/** How often `replace` will substitute: non-overlapping occurrences of `old`, at most `limit`. */
function replacements(text: string, old: string, limit: number): number {
  let count = 0;
  let from = 0;
  while (count < limit) {
    const at = text.indexOf(old, from);
    if (at === -1) break;
    count++;
    from = at + Math.max(old.length, 1);
  }
  return count;
}

/**
 * The work of calls that can do far more than read their arguments, before they run: `replace`
 * rebuilds its whole string for every occurrence (the strings extension's implementation), so it
 * costs occurrences × output length; `join` and `format` cost the length of what they build;
 * `matches` compiles its pattern on every call, one unit per character of the pattern.
 */
function extraUnits(name: string, target: CelValue | undefined, args: readonly CelValue[]): number {
  const text = (v: CelValue | undefined): string => (typeof v === 'string' ? v : '');
  switch (name) {
    case 'replace': {
      const [old, replacement, limit] = [text(args[0]), text(args[1]), args[2]];
      const source = text(target);
      const max =
        typeof limit === 'bigint' && limit >= 0n && limit < source.length ? Number(limit) : source.length;
      const count = replacements(source, old, max);
      const output = source.length + count * Math.max(replacement.length - old.length, 0);
      return stringUnits(count * output);
    }
    case 'join': {
      if (!isCelList(target)) return 0;
      let length = Math.max(target.size - 1, 0) * text(args[0]).length;
      for (const element of target) length += text(element).length;
      return stringUnits(length);
    }
    case 'format': {
      // Each `%` of the format may print any argument: bound it by all of them.
      let argsLength = 0;
      const list = args[0];
      if (isCelList(list)) for (const element of list) argsLength += text(element).length;
      const format = text(target);
      const directives = format.length - format.replaceAll('%', '').length;
      return stringUnits(format.length + directives * argsLength);
    }
    case 'matches':
      // The pattern is compiled again on every call (RE2: linear in the pattern, but not cheap).
      return text(args[0]).length;
    default:
      return 0;
  }
}

const MAP_VISITING = new Set(['_==_', '_!=_']);

/** `f` with the same name and signature, charging the meter before it runs. */
function metered(f: CelFunc): CelFunc {
  const visitsMaps = MAP_VISITING.has(f.name);
  const run = (target: CelValue | undefined, args: CelValue[]): CelInput => {
    let units = 1 + argumentUnits(target, visitsMaps) + extraUnits(f.name, target, args);
    for (const arg of args) units += argumentUnits(arg, visitsMaps);
    charge(units);
    const result = f.call(0, target, args);
    // A CelError thrown from an implementation becomes the call's error, unchanged.
    if (result === undefined || isCelError(result)) throw result ?? new Error(`no overload of ${f.name}`);
    return result;
  };
  return f.target === undefined
    ? celFunc(f.name, f.arguments, f.result, (...args: CelValue[]) => run(undefined, args))
    : celMethod(f.name, f.target, f.arguments, f.result, function (this: CelValue, ...args: CelValue[]) {
        return run(this, args);
      });
}

/**
 * Name of the function that charges a comprehension for its range. Not a CEL identifier (it starts
 * with `@`, like CEL's own internal functions), so no rule can name it.
 */
export const ITERATION_CHARGE_FUNCTION = '@guard_iteration_charge';

/** Returns a comprehension's range unchanged, after charging for every element it may visit. */
const iterationCharge = celFunc(ITERATION_CHARGE_FUNCTION, [CelScalar.DYN], CelScalar.DYN, (range) => {
  const size = isCelList(range) || isCelMap(range) ? range.size : 1;
  charge(size * CEL_COST_PER_ITERATION);
  return range;
});

/**
 * The functions of a guard's CEL: the standard library and the strings extension (`split`,
 * `lowerAscii`, `replace`, `join`, `format`, …, as in Kubernetes), every one of them metered, and
 * the iteration charge.
 */
function meteredFunctions(): CelFunc[] {
  return [...celEnv({ funcs: strings }).funcs].map(metered).concat(iterationCharge);
}

/** The CEL environment of every guard: `data` is the ConfigMap's data as map(string, string). */
export const GUARD_CEL_ENV: CelEnv = celEnv({
  variables: { data: mapType(CelScalar.STRING, CelScalar.STRING) },
  funcs: meteredFunctions(),
});
