// The guards of one PrefixSync, compiled once from spec.validation and applied to each revision before
// it is published: minKeys and maxRemoved hold a suspicious change (ChangeHeld); CEL rules and JSON
// Schemas hold invalid content (ValidationFailed). Pure: content in, verdict out.
import type { KeySchema, MaxRemoved, ValidationRule } from '../../api/index.js';
import { listCapped } from './change-summary.js';
import { CEL_COST_LIMIT } from './cel-cost.js';
import { compileRule, type CompiledRule } from './cel-rules.js';
import { compileSchema, type CompiledSchema } from './json-schemas.js';

/** How many key names a verdict lists. */
const MAX_KEYS_NAMED = 10;

/** The guard settings of spec.validation, resolved. */
export interface GuardSpec {
  readonly minKeys: number;
  readonly maxRemoved: MaxRemoved | undefined;
  readonly rules: readonly ValidationRule[];
  readonly schemas: readonly KeySchema[];
}

/** ConfigMap content: what is published, or what a revision would publish. */
export interface GuardContent {
  readonly data: Readonly<Record<string, string>>;
  readonly binaryData: Readonly<Record<string, string>>;
}

/** The content a revision would publish. */
export interface CandidateContent extends GuardContent {
  readonly revision: bigint;
}

/** Whether a revision may be published; if not, why, and which keys. */
export type Verdict =
  { ok: true } | { ok: false; reason: 'ChangeHeld' | 'ValidationFailed'; message: string; keys: string[] };

/** A compiled guard. */
export interface Guard {
  /** Judges `candidate` against what is published (undefined: nothing yet). Never throws. */
  judge(published: GuardContent | undefined, candidate: CandidateContent): Verdict;
}

/** A field error of spec.validation. */
export interface GuardSpecError {
  readonly path: string;
  readonly message: string;
}

/** Options of {@link compileGuard}, each with its default. */
export interface GuardOptions {
  /** Cost units one CEL rule may spend on one revision; default {@link CEL_COST_LIMIT}. */
  readonly celCostLimit?: number;
}

/**
 * Compiles every rule and schema of `spec`; every one that does not compile is named. Each CEL rule
 * is evaluated under a cost limit (see cel-cost.ts): one that would need more fails the revision
 * (ValidationFailed) instead of running unbounded.
 */
export function compileGuard(
  spec: GuardSpec,
  options: GuardOptions = {},
): { ok: true; guard: Guard } | { ok: false; errors: GuardSpecError[] } {
  const errors: GuardSpecError[] = [];
  const rules: CompiledRule[] = [];
  spec.rules.forEach((rule, i) => {
    const compiled = compileRule(rule, { costLimit: options.celCostLimit ?? CEL_COST_LIMIT });
    if (compiled.ok) rules.push(compiled.compiled);
    else errors.push({ path: `spec.validation.rules[${i}].rule`, message: compiled.error });
  });
  const schemas: CompiledSchema[] = [];
  spec.schemas.forEach((schema, i) => {
    const compiled = compileSchema(schema, i);
    if (compiled.ok) schemas.push(compiled.compiled);
    else errors.push({ path: `spec.validation.schemas[${i}].schema`, message: compiled.error });
  });
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    guard: { judge: (published, candidate) => judge(spec, rules, schemas, published, candidate) },
  };
}

function keysOf(content: GuardContent): string[] {
  return [...Object.keys(content.data), ...Object.keys(content.binaryData)].sort();
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function judge(
  spec: GuardSpec,
  rules: readonly CompiledRule[],
  schemas: readonly CompiledSchema[],
  published: GuardContent | undefined,
  candidate: CandidateContent,
): Verdict {
  const at = `revision ${candidate.revision}`;
  const keys = keysOf(candidate);
  if (keys.length < spec.minKeys) {
    const before = published ? keysOf(published) : [];
    return {
      ok: false,
      reason: 'ChangeHeld',
      message: `${at} would leave ${plural(keys.length, 'key')}, fewer than spec.validation.minKeys ${spec.minKeys}`,
      keys: before.filter((k) => !keys.includes(k)).slice(0, MAX_KEYS_NAMED),
    };
  }
  if (published && spec.maxRemoved) {
    const before = keysOf(published);
    const removed = before.filter(
      (k) => !Object.hasOwn(candidate.data, k) && !Object.hasOwn(candidate.binaryData, k),
    );
    const limit =
      spec.maxRemoved.kind === 'count'
        ? spec.maxRemoved.count
        : Math.floor((before.length * spec.maxRemoved.percent) / 100);
    if (removed.length > limit) {
      const allowed =
        spec.maxRemoved.kind === 'count'
          ? `${spec.maxRemoved.count}`
          : `${spec.maxRemoved.percent}% of ${before.length}, that is ${limit}`;
      return {
        ok: false,
        reason: 'ChangeHeld',
        message: `${at} would remove ${plural(removed.length, 'key')} at once, more than spec.validation.maxRemoved (${allowed}): ${listCapped(removed, MAX_KEYS_NAMED)}`,
        keys: removed.slice(0, MAX_KEYS_NAMED),
      };
    }
  }
  const data = new Map(Object.entries(candidate.data));
  for (const rule of rules) {
    const outcome = rule.check(data);
    if (!outcome.ok) {
      const error = outcome.error ? ` (${outcome.error})` : '';
      return {
        ok: false,
        reason: 'ValidationFailed',
        message: `${at} breaks a rule of spec.validation: ${rule.rule.message}${error}; rule: ${rule.rule.rule}`,
        keys: [],
      };
    }
  }
  for (const schema of schemas) {
    const bad: string[] = [];
    let first: string | undefined;
    for (const key of Object.keys(candidate.data).sort()) {
      if (!schema.matches(key)) continue;
      const problem = schema.problem(candidate.data[key] ?? '');
      if (problem === undefined) continue;
      bad.push(key);
      first ??= `${key}: ${problem}`;
    }
    if (first !== undefined) {
      return {
        ok: false,
        reason: 'ValidationFailed',
        message: `${at}: ${plural(bad.length, 'value')} of ${listCapped(bad, MAX_KEYS_NAMED)} break${bad.length === 1 ? 's' : ''} spec.validation.schemas[${schema.index}] (keys ${schema.glob}): ${first}`,
        keys: bad.slice(0, MAX_KEYS_NAMED),
      };
    }
  }
  return { ok: true };
}
