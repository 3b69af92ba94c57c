// The CEL rules of spec.validation, compiled once (@bufbuild/cel) and run over the rendered content:
// the variable `data` is the ConfigMap's data as map(string, string). Their cost is bounded by the
// inputs, not by a cost budget: a rule is at most 4096 characters (the CRD says so) and `data` at most
// 1 MiB (the ConfigMap limit), and CEL has no loops beyond comprehensions over `data`.
import { CelScalar, celEnv, isCelError, mapType, parse, plan } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import type { ValidationRule } from '../../api/index.js';

const ENV = celEnv({ variables: { data: mapType(CelScalar.STRING, CelScalar.STRING) }, funcs: strings });

/** What one rule says of the content. */
export type RuleOutcome = { ok: true } | { ok: false; error?: string };

/** A compiled rule. */
export interface CompiledRule {
  readonly rule: ValidationRule;
  check(data: Readonly<Record<string, string>>): RuleOutcome;
}

/** Compiles `rule`; the parser's message when it is not valid CEL. */
export function compileRule(
  rule: ValidationRule,
): { ok: true; compiled: CompiledRule } | { ok: false; error: string } {
  let program: ReturnType<typeof plan<{ data: ReturnType<typeof mapType> }>>;
  try {
    program = plan(ENV, parse(rule.rule));
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  }
  return {
    ok: true,
    compiled: {
      rule,
      check: (data) => {
        const result = program({ data: new Map(Object.entries(data)) });
        if (isCelError(result)) return { ok: false, error: result.message };
        if (typeof result !== 'boolean')
          return { ok: false, error: 'the rule does not evaluate to a boolean' };
        return result ? { ok: true } : { ok: false };
      },
    },
  };
}
