// `x-kubernetes-validations`: the CEL rules of a CRD schema, evaluated with @bufbuild/cel over the
// object converted to CEL values, with the apiserver's messages for a rule that fails or cannot run.
import { celEnv, celError, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
import { RE2JS } from '@bufbuild/re2';
import { isObject } from './json.js';
import { celTypeName, pathText, schemaAt, type Schema } from './schema-node.js';
import type { FieldError } from './status-error.js';

/** JSON → CEL input: objects become maps, integers of `type: integer` become CEL ints. */
function toCel(value: unknown, s: Schema | undefined): CelInput {
  if (Array.isArray(value)) return value.map((v) => toCel(v, s ? schemaAt(s, 'items') : undefined));
  if (isObject(value)) {
    const props = s ? schemaAt(s, 'properties') : undefined;
    const additional = s ? schemaAt(s, 'additionalProperties') : undefined;
    return new Map(
      Object.entries(value).map(([k, v]) => [
        k,
        toCel(v, (props ? schemaAt(props, k) : undefined) ?? additional),
      ]),
    );
  }
  if (
    typeof value === 'number' &&
    (s?.['type'] === 'integer' || (s === undefined && Number.isInteger(value)))
  ) {
    return BigInt(Math.trunc(value));
  }
  return value as CelInput;
}

interface Rule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

/** What `matches()` needs of a compiled regex (@bufbuild/cel's `Matcher`, not exported). */
interface Matcher {
  test(text: string): boolean;
}

/** Pattern → compiled regex: `matches()` would compile its pattern on every call otherwise. */
const REGEXES = new Map<string, Matcher>();
/** Bounds REGEXES: patterns come from CRD rules (few), but a rule may build one from data. */
const MAX_CACHED_REGEXES = 1_000;

/** RE2 as @bufbuild/cel uses it by default, with each pattern compiled once (a compiled RE2JS is stateless). */
const CACHED_RE2 = {
  compile(pattern: string): Matcher {
    let m = REGEXES.get(pattern);
    if (!m) {
      m = RE2JS.compile(pattern);
      if (REGEXES.size >= MAX_CACHED_REGEXES) REGEXES.clear();
      REGEXES.set(pattern, m);
    }
    return m;
  },
};

/** One environment for every rule (building one per evaluation cost more than the rule). */
const ENV = celEnv({ funcs: strings, re2: CACHED_RE2 });
/** Rule text → its parsed and planned program: every write of a kind evaluates the same few rules. */
const PROGRAMS = new Map<string, (bindings: Record<string, CelInput>) => unknown>();

/** `run()` of @bufbuild/cel with the parse and plan of each rule text done once. */
function run(rule: string, bindings: Record<string, CelInput>): unknown {
  try {
    let program = PROGRAMS.get(rule);
    if (!program) {
      program = plan(ENV, parse(rule));
      PROGRAMS.set(rule, program);
    }
    return program(bindings);
  } catch (e) {
    return celError(e);
  }
}

/** A rule's results by the JSON text of its inputs (`self`, and `oldSelf` for transition rules). */
interface RuleMemo {
  usesOld: boolean;
  results: Map<string, unknown>;
}

/**
 * Schema node → rule text → memo. A rule is a pure function of its inputs, and a schema node fixes
 * how JSON converts to CEL (ints by `type`), so equal inputs at the same node give the same result:
 * the status write and the finalizer patch of an object re-evaluate the rules over its unchanged spec.
 * Keyed weakly: a replaced CRD schema drops its memos.
 */
const MEMOS = new WeakMap<Schema, Map<string, RuleMemo>>();
/** Bounds one rule's memo: objects differ, so a rule over a whole spec sees a new input per object. */
const MAX_MEMO_ENTRIES = 4_096;

function memoOf(s: Schema, rule: string): RuleMemo {
  let byRule = MEMOS.get(s);
  if (!byRule) {
    byRule = new Map();
    MEMOS.set(s, byRule);
  }
  let memo = byRule.get(rule);
  if (!memo) {
    memo = { usesOld: /\boldSelf\b/.test(rule), results: new Map() };
    byRule.set(rule, memo);
  }
  return memo;
}

/** The schema nodes right below `s`: its properties, items and additionalProperties. */
function childSchemas(s: Schema): Schema[] {
  const props = schemaAt(s, 'properties');
  return [
    ...(props ? Object.values(props).filter(isObject) : []),
    schemaAt(s, 'items'),
    schemaAt(s, 'additionalProperties'),
  ].filter((child): child is Schema => child !== undefined);
}

/** Whether `own(node)` holds at `s` or anywhere below it, memoized per schema node in `memo`. */
function withinSubtree(s: Schema, memo: WeakMap<Schema, boolean>, own: (node: Schema) => boolean): boolean {
  let known = memo.get(s);
  if (known === undefined) {
    known = own(s) || childSchemas(s).some((child) => withinSubtree(child, memo, own));
    memo.set(s, known);
  }
  return known;
}

/** Schema node → whether it or any node below it carries rules (most of an object's tree has none). */
const HAS_RULES = new WeakMap<Schema, boolean>();

function rulesWithin(s: Schema): boolean {
  return withinSubtree(s, HAS_RULES, (node) => Array.isArray(node['x-kubernetes-validations']));
}

/** Schema node → whether a transition rule (`oldSelf`) sits at or below it. */
const HAS_TRANSITIONS = new WeakMap<Schema, boolean>();

function transitionsWithin(s: Schema): boolean {
  return withinSubtree(s, HAS_TRANSITIONS, (node) => {
    const rules = node['x-kubernetes-validations'];
    return (
      Array.isArray(rules) &&
      rules.filter(isObject).some((r) => typeof r['rule'] === 'string' && /\boldSelf\b/.test(r['rule']))
    );
  });
}

/**
 * Schema node with rules → the errors of its whole subtree by the JSON text of its inputs, their
 * fields relative to the node's path. Errors below a node depend on its value, its old value (only
 * with transition rules) and the schema alone, so a write that leaves a spec as it was (a status
 * write, a finalizer patch) takes the spec's verdict from here instead of walking its rules.
 */
const SUBTREE_MEMOS = new WeakMap<Schema, Map<string, FieldError[]>>();

/** Evaluates `x-kubernetes-validations` everywhere in the tree; transition rules only where an old value exists. */
export function runCel(
  value: unknown,
  old: unknown,
  s: Schema | undefined,
  path: Array<string | number>,
  errors: FieldError[],
): void {
  evaluate(value, old, s, path, errors, false);
}

/** `runCel`; `inMemo`: an enclosing node memoizes this subtree, so this node does not again. */
function evaluate(
  value: unknown,
  old: unknown,
  s: Schema | undefined,
  path: Array<string | number>,
  errors: FieldError[],
  inMemo: boolean,
): void {
  if (!s || value === undefined || !rulesWithin(s)) return;
  const rules = Array.isArray(s['x-kubernetes-validations'])
    ? (s['x-kubernetes-validations'] as unknown[]).filter(isObject)
    : [];
  if (!inMemo && rules.length > 0) {
    let key = JSON.stringify(value);
    if (transitionsWithin(s)) key += `\u0000${old === undefined ? '' : JSON.stringify(old)}`;
    let memo = SUBTREE_MEMOS.get(s);
    if (!memo) {
      memo = new Map();
      SUBTREE_MEMOS.set(s, memo);
    }
    const base = pathText(path);
    const known = memo.get(key);
    if (known) {
      for (const e of known) errors.push({ ...e, field: `${base}${e.field}` });
      return;
    }
    const found: FieldError[] = [];
    evaluate(value, old, s, path, found, true);
    if (memo.size >= MAX_MEMO_ENTRIES) memo.clear();
    memo.set(
      key,
      found.map((e) => ({ ...e, field: e.field.slice(base.length) })),
    );
    errors.push(...found);
    return;
  }
  // Inputs are converted and keyed at most once per node, and only when a rule needs them.
  let selfKey: string | undefined;
  let oldKey: string | undefined;
  let selfCel: CelInput | undefined;
  let oldCel: CelInput | undefined;
  for (const raw of rules) {
    const r = raw as unknown as Rule;
    if (typeof r.rule !== 'string') continue;
    const memo = memoOf(s, r.rule);
    const usesOld = memo.usesOld;
    if (usesOld && old === undefined) continue;
    selfKey ??= JSON.stringify(value);
    if (usesOld) oldKey ??= JSON.stringify(old);
    const key = usesOld ? `${selfKey}\u0000${oldKey}` : selfKey;
    let result = memo.results.get(key);
    if (result === undefined && !memo.results.has(key)) {
      selfCel ??= toCel(value, s);
      const bindings: Record<string, CelInput> = { self: selfCel };
      if (usesOld) bindings['oldSelf'] = oldCel ??= toCel(old, s);
      result = run(r.rule, bindings);
      if (memo.results.size >= MAX_MEMO_ENTRIES) memo.results.clear();
      memo.results.set(key, result);
    }
    let field = pathText(path);
    if (r.fieldPath) field += r.fieldPath.startsWith('.') ? r.fieldPath : `.${r.fieldPath}`;
    if (isCelError(result)) {
      errors.push({
        field,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${celTypeName(value)}": ${result.message} evaluating rule: ${r.rule}`,
      });
    } else if (result !== true) {
      const message = r.message ?? `failed rule: ${r.rule}`;
      const reason = r.reason ?? 'FieldValueInvalid';
      const prefix: Record<string, string> = {
        FieldValueForbidden: 'Forbidden',
        FieldValueRequired: 'Required value',
        FieldValueDuplicate: `Duplicate value: "${celTypeName(value)}"`,
      };
      errors.push({
        field,
        reason,
        message: `${prefix[reason] ?? `Invalid value: "${celTypeName(value)}"`}: ${message}`,
      });
    }
  }
  if (Array.isArray(value)) {
    const items = schemaAt(s, 'items');
    value.forEach((v, i) =>
      evaluate(v, Array.isArray(old) ? old[i] : undefined, items, [...path, i], errors, inMemo),
    );
  } else if (isObject(value)) {
    const props = schemaAt(s, 'properties') ?? {};
    const additional = schemaAt(s, 'additionalProperties');
    for (const [k, v] of Object.entries(value)) {
      if (path.length === 0 && k === 'metadata') continue;
      const child = schemaAt(props, k) ?? additional;
      evaluate(v, isObject(old) ? old[k] : undefined, child, [...path, k], errors, inMemo);
    }
  }
}
