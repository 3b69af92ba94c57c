// The JSON Schemas of spec.validation.schemas, compiled once (ajv) and applied to the values of the
// ConfigMap keys their glob matches, each parsed as YAML (JSON is YAML).
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import type { KeySchema } from '../../api/index.js';
import { keyGlob } from './key-glob.js';

/** Unknown keywords (e.g. `x-…` annotations, `format`) are ignored, as a schema author would expect. */
const ajv = new Ajv({ allErrors: false, strict: false, validateFormats: false });

/** A compiled schema and the keys it applies to. */
export interface CompiledSchema {
  readonly index: number;
  readonly glob: string;
  matches(key: string): boolean;
  /** Undefined when `value` parses and satisfies the schema; what is wrong otherwise. */
  problem(value: string): string | undefined;
}

export function compileSchema(
  entry: KeySchema,
  index: number,
): { ok: true; compiled: CompiledSchema } | { ok: false; error: string } {
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(entry.schema);
  } catch (err) {
    return { ok: false, error: err instanceof Error ? err.message : String(err) };
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
