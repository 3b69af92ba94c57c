// The JSON Schemas of spec.validation.schemas, compiled once (ajv) and applied to the values of the
// ConfigMap keys their glob matches, each parsed as YAML (JSON is YAML).
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import type { KeySchema } from '../../api/index.js';
import { keyGlob } from './key-glob.js';

/**
 * How every schema is compiled. Draft 2020-12, as the CRD promises (ajv's default class is draft-07,
 * which would silently ignore `prefixItems`, `dependentRequired` and the like). `strict: false`:
 * unknown keywords (e.g. `x-…` annotations) are ignored, as JSON Schema says they should be, and so is
 * `format` (`validateFormats: false`: ajv knows no formats without ajv-formats). `logger: false`: the
 * sync layer does no I/O, not even a warning on the console. Only the first error is collected.
 */
const AJV_OPTIONS: Options = {
  allErrors: false,
  strict: false,
  validateFormats: false,
  logger: false,
};

/** A compiled schema and the keys it applies to. */
export interface CompiledSchema {
  readonly index: number;
  readonly glob: string;
  matches(key: string): boolean;
  /** Undefined when `value` parses and satisfies the schema; what is wrong otherwise. */
  problem(value: string): string | undefined;
}

// One ajv for every guard, made on first use: a new instance compiles the draft 2020-12 meta-schemas
// first, about 100 ms, where compiling a schema on a warm one takes a millisecond or two.
let sharedAjv: Ajv2020 | undefined;

/**
 * Compiles one schema of spec.validation.schemas (`index` is its place there); ajv's message when it
 * does not compile. ajv remembers every schema it compiles, by object and by `$id`, and refuses an
 * `$id` it already holds ("already exists"): so each schema is removed from it again once compiled —
 * the validate function keeps working — and the same `$id` compiles again after a spec edit or in
 * another PrefixSync, and nothing accumulates over the operator's life.
 */
export function compileSchema(
  entry: KeySchema,
  index: number,
): { ok: true; compiled: CompiledSchema } | { ok: false; error: string } {
  sharedAjv ??= new Ajv2020(AJV_OPTIONS);
  let validate: ValidateFunction;
  try {
    validate = sharedAjv.compile(entry.schema);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    sharedAjv.removeSchema(entry.schema);
  }
  return {
    ok: true,
    compiled: {
      index,
      glob: entry.keys,
      matches: keyGlob(entry.keys),
      problem: (value) => {
        let doc: unknown;
        try {
          doc = parseYaml(value);
        } catch (err) {
          return `is not JSON or YAML: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`;
        }
        return validate(doc) ? undefined : describeSchemaErrors(validate.errors ?? []);
      },
    },
  };
}

/** ajv's first error in plain words: `/replicas must be integer`. */
function describeSchemaErrors(errors: readonly ErrorObject[]): string {
  const first = errors[0];
  if (!first) return 'does not match the schema';
  const where = first.instancePath === '' ? 'the value' : first.instancePath;
  return `${where} ${first.message ?? 'does not match the schema'}`;
}
