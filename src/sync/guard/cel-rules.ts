// The CEL rules of spec.validation, compiled once (@bufbuild/cel) and run over the rendered content:
// the variable `data` is the ConfigMap's data as map(string, string). Every evaluation is metered
// (cel-cost.ts): a rule that would need more than CEL_COST_LIMIT units fails instead of running on.
import { isCelError, parse, plan } from '@bufbuild/cel';
import type { ValidationRule } from '../../api/index.js';
import { chargeIterations, notBoolean, undeclaredReferences, type CelExpr } from './cel-ast.js';
import { CEL_COST_LIMIT, CostMeter, GUARD_CEL_ENV, meteredEvaluation } from './cel-cost.js';

/** What one rule says of the content. */
export type RuleOutcome = { ok: true } | { ok: false; error?: string };

/** A compiled rule. */
export interface CompiledRule {
  readonly rule: ValidationRule;
  /**
   * Evaluates the rule over `data`. A false rule is `{ok: false}`; one that cannot be evaluated (a
   * missing key, `int('eighty')`, a result that is not a bool, the cost limit) carries an `error`.
   * Never throws.
   */
  check(data: ReadonlyMap<string, string>): RuleOutcome;
}

/** Options of {@link compileRule}. */
export interface CompileRuleOptions {
  /** Cost units one evaluation may spend; default {@link CEL_COST_LIMIT}. */
  readonly costLimit?: number;
}

// A parsed one-argument call, the shape every iteration charge is built on.
const CALL_TEMPLATE: CelExpr = parse('f(x)').expr;

/**
 * Compiles `rule`, or says why it cannot be used: the parser's message for a syntax error; every
 * undeclared variable or function (`dta`, `sizee(…)`); an expression that can never be a bool
 * (`1 + 1`, `data['port']` is found out only when it runs). Never throws.
 */
export function compileRule(
  rule: ValidationRule,
  options: CompileRuleOptions = {},
): { ok: true; compiled: CompiledRule } | { ok: false; error: string } {
  const costLimit = options.costLimit ?? CEL_COST_LIMIT;
  let program: ReturnType<typeof plan>;
  try {
    const parsed = parse(rule.rule);
    const undeclared = undeclaredReferences(GUARD_CEL_ENV, parsed.expr);
    if (undeclared.length > 0) return { ok: false, error: undeclared.join('; ') };
    const notBool = notBoolean(GUARD_CEL_ENV, parsed.expr);
    if (notBool !== undefined) return { ok: false, error: `the rule must be a bool, not ${notBool}` };
    parsed.expr = chargeIterations(parsed.expr, CALL_TEMPLATE);
    program = plan(GUARD_CEL_ENV, parsed);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  return {
    ok: true,
    compiled: {
      rule,
      check: (data) => {
        const meter = new CostMeter(costLimit);
        const result = meteredEvaluation(meter, () => program({ data }));
        // Checked first: an exhausted meter may have left an error that the logic absorbed.
        if (meter.isExhausted) {
          return { ok: false, error: `the rule needs more than its cost limit of ${costLimit} units` };
        }
        if (isCelError(result)) return { ok: false, error: result.message };
        if (typeof result !== 'boolean') {
          return { ok: false, error: 'the rule does not evaluate to a boolean' };
        }
        return result ? { ok: true } : { ok: false };
      },
    },
  };
}
