// `x-kubernetes-validations`: the CEL rules of a CRD schema, evaluated with @bufbuild/cel over the
// object converted to CEL values, with the apiserver's messages for a rule that fails or cannot run.
import { celEnv, celError, isCelError, parse, plan, type CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';
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

/** One environment for every rule (building one per evaluation cost more than the rule). */
const ENV = celEnv({ funcs: strings });
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

/** Evaluates `x-kubernetes-validations` everywhere in the tree; transition rules only where an old value exists. */
export function runCel(
  value: unknown,
  old: unknown,
  s: Schema | undefined,
  path: Array<string | number>,
  errors: FieldError[],
): void {
  if (!s || value === undefined) return;
  const rules = Array.isArray(s['x-kubernetes-validations'])
    ? (s['x-kubernetes-validations'] as unknown[]).filter(isObject)
    : [];
  for (const raw of rules) {
    const r = raw as unknown as Rule;
    if (typeof r.rule !== 'string') continue;
    const usesOld = /\boldSelf\b/.test(r.rule);
    if (usesOld && old === undefined) continue;
    const bindings: Record<string, CelInput> = { self: toCel(value, s) };
    if (usesOld) bindings['oldSelf'] = toCel(old, s);
    const result = run(r.rule, bindings);
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
    value.forEach((v, i) => runCel(v, Array.isArray(old) ? old[i] : undefined, items, [...path, i], errors));
  } else if (isObject(value)) {
    const props = schemaAt(s, 'properties') ?? {};
    const additional = schemaAt(s, 'additionalProperties');
    for (const [k, v] of Object.entries(value)) {
      if (path.length === 0 && k === 'metadata') continue;
      const child = schemaAt(props, k) ?? additional;
      runCel(v, isObject(old) ? old[k] : undefined, child, [...path, k], errors);
    }
  }
}
