// The JSON Schemas of spec.validation.schemas, compiled once (ajv) and applied to the values of the
// ConfigMap keys their glob matches, each parsed as YAML (JSON is YAML).
import { RE2JS } from '@bufbuild/re2';
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import { parse as parseYaml } from 'yaml';
import type { KeySchema } from '../../api/index.js';
import { keyGlob } from './key-glob.js';

/**
 * `pattern` and `patternProperties` run on RE2 (the engine CEL's `matches` uses), not on JavaScript's
 * backtracking RegExp: a schema author's `^(a+)+$` against a value from etcd would otherwise take
 * seconds at 27 characters and forever at 40, stalling the operator for every PrefixSync. RE2 matches
 * in linear time; its syntax is Go's (as Kubernetes' own `pattern`), so lookaround and backreferences
 * are refused when the schema compiles. ajv passes the `u` flag, which RE2 needs not: it is Unicode.
 * The RE2JS object itself is returned: ajv keys compiled patterns by their `toString()`, the pattern.
 */
const RE2_ENGINE = Object.assign((pattern: string) => new RE2JS(pattern), { code: '@bufbuild/re2' });

/**
 * How every schema is compiled. Draft 2020-12, as the CRD promises (ajv's default class is draft-07,
 * which would silently ignore `prefixItems`, `dependentRequired` and the like). `strict: false`:
 * unknown keywords (e.g. `x-…` annotations) are ignored, as JSON Schema says they should be, and so is
 * `format` (`validateFormats: false`: ajv knows no formats without ajv-formats). `logger: false`: the
 * sync layer does no I/O, not even a warning on the console. Only the first error is collected.
 * Patterns: {@link RE2_ENGINE}.
 */
const AJV_OPTIONS: Options = {
  allErrors: false,
  strict: false,
  validateFormats: false,
  logger: false,
  code: { regExp: RE2_ENGINE },
};

/** A compiled schema and the keys it applies to. */
export interface CompiledSchema {
  readonly index: number;
  readonly glob: string;
  matches(key: string): boolean;
  /** Undefined when `value` parses and satisfies the schema; what is wrong otherwise. */
  problem(value: string): string | undefined;
}

// Checks schemas against the draft 2020-12 meta-schema, for every guard. Made on first use: it
// compiles the meta-schemas, about 100 ms. Checking a schema adds nothing to it.
let metaSchemaChecker: Ajv2020 | undefined;

/**
 * Compiles one schema of spec.validation.schemas (`index` is its place there); ajv's message when it
 * is not a valid draft 2020-12 schema or does not compile. Each schema is compiled by an ajv of its
 * own, which lives as long as the compiled schema: an ajv keeps everything it ever compiled (even
 * after `removeSchema`) and refuses an `$id` it already holds ("already exists"), so one shared ajv
 * would grow with every spec edit, and reject the second PrefixSync, or the edit, with the same `$id`.
 * That ajv skips the meta-schema (the shared checker has done it), so it costs about 2 ms, not 100.
 */
export function compileSchema(
  entry: KeySchema,
  index: number,
): { ok: true; compiled: CompiledSchema } | { ok: false; error: string } {
  metaSchemaChecker ??= new Ajv2020(AJV_OPTIONS);
  let validate: ValidateFunction;
  try {
    if (!metaSchemaChecker.validateSchema(entry.schema)) {
      const errors = metaSchemaChecker.errorsText(metaSchemaChecker.errors, { dataVar: 'schema' });
      return { ok: false, error: `not a valid JSON Schema: ${errors}` };
    }
    validate = new Ajv2020({ ...AJV_OPTIONS, validateSchema: false }).compile(entry.schema);
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
