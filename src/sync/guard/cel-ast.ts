// What can be told of a CEL rule from its syntax tree, before it ever runs — @bufbuild/cel's parser
// accepts any well-formed expression, and its type checker is not part of its public API — and the
// one rewrite the guard makes: every comprehension's range goes through the iteration charge.
import type { CelEnv, parse } from '@bufbuild/cel';
import { ITERATION_CHARGE_FUNCTION } from './cel-cost.js';

/** A node of a parsed CEL expression. */
export type CelExpr = ReturnType<typeof parse>['expr'];

type CallExpr = Extract<CelExpr['exprKind'], { case: 'callExpr' }>['value'];

/** The only variable a rule sees. */
const DATA_VARIABLE = 'data';

/** Type names an expression may use as values, e.g. `type(x) == string`. */
const TYPE_IDENTIFIERS = new Set([
  'bool',
  'bytes',
  'double',
  'dyn',
  'int',
  'list',
  'map',
  'null_type',
  'string',
  'type',
  'uint',
]);

// Calls the evaluator plans itself (logic, indexing, the conditional) instead of looking them up.
const BUILT_IN_CALLS = new Set([
  '_&&_',
  '_||_',
  '_?_:_',
  '_[_]',
  '_[?_]',
  '_?._',
  '@not_strictly_false',
  '__not_strictly_false__',
]);

/** `a.b.c` as a dotted name, when `expr` is only identifiers and field selections. */
function qualifiedName(expr: CelExpr | undefined): string | undefined {
  switch (expr?.exprKind.case) {
    case 'identExpr':
      return expr.exprKind.value.name;
    case 'selectExpr': {
      const operand = qualifiedName(expr.exprKind.value.operand);
      return operand === undefined ? undefined : `${operand}.${expr.exprKind.value.field}`;
    }
    default:
      return undefined;
  }
}

/**
 * Every name in `expr` that neither the environment nor the expression declares: a variable other
 * than `data`, a comprehension's variables and the type names; a function `env` does not know. Each
 * as `undeclared reference to 'x'`, in order of first appearance, without repeats.
 */
export function undeclaredReferences(env: CelEnv, expr: CelExpr): string[] {
  const found = new Set<string>();
  const visit = (node: CelExpr | undefined, scope: ReadonlySet<string>): void => {
    if (node === undefined) return;
    const kind = node.exprKind;
    switch (kind.case) {
      case 'identExpr':
        if (kind.value.name !== DATA_VARIABLE && !scope.has(kind.value.name)) {
          if (!TYPE_IDENTIFIERS.has(kind.value.name)) found.add(kind.value.name);
        }
        return;
      case 'selectExpr':
        visit(kind.value.operand, scope);
        return;
      case 'callExpr': {
        const call: CallExpr = kind.value;
        const qualified = qualifiedName(call.target);
        if (qualified !== undefined && env.funcs.find(`${qualified}.${call.function}`) !== undefined) {
          // A namespaced function such as strings.quote(…): its target is the namespace, not a value.
          call.args.forEach((arg) => visit(arg, scope));
          return;
        }
        if (!BUILT_IN_CALLS.has(call.function) && env.funcs.find(call.function) === undefined) {
          found.add(call.function);
        }
        visit(call.target, scope);
        call.args.forEach((arg) => visit(arg, scope));
        return;
      }
      case 'listExpr':
        kind.value.elements.forEach((element) => visit(element, scope));
        return;
      case 'structExpr':
        for (const entry of kind.value.entries) {
          if (entry.keyKind.case === 'mapKey') visit(entry.keyKind.value, scope);
          visit(entry.value, scope);
        }
        return;
      case 'comprehensionExpr': {
        const c = kind.value;
        visit(c.iterRange, scope);
        visit(c.accuInit, scope);
        const inner = new Set([...scope, c.accuVar, c.iterVar, ...(c.iterVar2 ? [c.iterVar2] : [])]);
        visit(c.loopCondition, inner);
        visit(c.loopStep, inner);
        visit(c.result, new Set([...scope, c.accuVar]));
        return;
      }
      default:
        return;
    }
  };
  visit(expr, new Set());
  return [...found].map((name) => `undeclared reference to '${name}'`);
}

/**
 * Why `expr` can never evaluate to a bool, or undefined when it may. Only what the tree shows: a
 * literal, a list or map, `data` itself, or a call none of whose overloads returns a bool (`1 + 1`,
 * `int(…)`); both branches of a conditional. Anything else (an index, a field, a comprehension)
 * may be a bool, and is found out when it runs.
 */
export function notBoolean(env: CelEnv, expr: CelExpr): string | undefined {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'constExpr':
      return kind.value.constantKind.case === 'boolValue' ? undefined : 'a literal that is not a bool';
    case 'listExpr':
      return 'a list';
    case 'structExpr':
      return 'a map';
    case 'identExpr':
      return kind.value.name === DATA_VARIABLE ? 'the map data itself' : undefined;
    case 'callExpr': {
      const call = kind.value;
      if (call.function === '_?_:_') {
        const [, yes, no] = call.args;
        const both = [yes, no].map((branch) => (branch ? notBoolean(env, branch) : undefined));
        return both[0] !== undefined && both[1] !== undefined ? `a conditional of ${both[0]}` : undefined;
      }
      if (BUILT_IN_CALLS.has(call.function)) return undefined;
      const group = env.funcs.find(call.function);
      if (group === undefined) return undefined;
      const results = new Set([...group].map((f) => f.result.name));
      if (results.has('bool') || results.has('dyn')) return undefined;
      return `a call of ${call.function}, which returns ${[...results].sort().join(' or ')}`;
    }
    default:
      return undefined;
  }
}

/**
 * `expr` with every comprehension's range passed through {@link ITERATION_CHARGE_FUNCTION}, which
 * returns it unchanged after charging for each element the comprehension may visit. Rewrites in
 * place (the tree is the caller's fresh parse) and returns it.
 */
export function chargeIterations(expr: CelExpr, template: CelExpr): CelExpr {
  const kind = expr.exprKind;
  switch (kind.case) {
    case 'selectExpr':
      if (kind.value.operand) chargeIterations(kind.value.operand, template);
      break;
    case 'callExpr':
      if (kind.value.target) chargeIterations(kind.value.target, template);
      kind.value.args.forEach((arg) => chargeIterations(arg, template));
      break;
    case 'listExpr':
      kind.value.elements.forEach((element) => chargeIterations(element, template));
      break;
    case 'structExpr':
      for (const entry of kind.value.entries) {
        if (entry.keyKind.case === 'mapKey') chargeIterations(entry.keyKind.value, template);
        if (entry.value) chargeIterations(entry.value, template);
      }
      break;
    case 'comprehensionExpr': {
      const c = kind.value;
      for (const part of [c.iterRange, c.accuInit, c.loopCondition, c.loopStep, c.result]) {
        if (part) chargeIterations(part, template);
      }
      if (c.iterRange) c.iterRange = chargedCall(template, c.iterRange);
      break;
    }
    default:
      break;
  }
  return expr;
}

/** A call of the iteration charge on `range`, shaped after `template` (a parsed one-argument call). */
function chargedCall(template: CelExpr, range: CelExpr): CelExpr {
  if (template.exprKind.case !== 'callExpr') throw new Error('the template must be a call');
  const call: CallExpr = { ...template.exprKind.value, function: ITERATION_CHARGE_FUNCTION, args: [range] };
  return { ...template, id: range.id, exprKind: { case: 'callExpr', value: call } };
}
