// A custom resource version's openAPIV3Schema, applied to every write as kube-apiserver does: prune,
// default, validate (ajv, plus the metadata restrictions a CRD may set), check list types, then run CEL
// rules. The steps live in prune-and-default.ts, schema-errors.ts, list-type-check.ts and cel-rules.ts.
import { Ajv, type ValidateFunction } from 'ajv';
import { runCel } from './cel-rules.js';
import { clone, type JsonObject } from './json.js';
import { checkListTypes } from './list-type-check.js';
import { nameOf } from './object-meta.js';
import { applyDefaults, prune } from './prune-and-default.js';
import type { ResourceType } from './resource-type.js';
import { toFieldError } from './schema-errors.js';
import { schemaAt, type Schema } from './schema-node.js';
import { ApiError, invalid, type FieldError } from './status-error.js';

function newAjv(): Ajv {
  return new Ajv({ allErrors: true, strict: false, validateFormats: false, useDefaults: false });
}

/** The schema without the parts ajv must not see: the root's metadata schema is the apiserver's own business. */
function forAjv(schema: Schema): Schema {
  const copy = clone(schema);
  const props = schemaAt(copy, 'properties');
  if (props) delete props['metadata'];
  return copy;
}

/**
 * The restrictions a CRD may place on metadata (only `name` and `generateName`, as upstream allows), as
 * a schema over the whole object so that errors name `metadata.name`; undefined when there are none.
 */
function metadataRestrictions(schema: Schema): Schema | undefined {
  const metadata = schemaAt(schemaAt(schema, 'properties') ?? {}, 'metadata');
  const props = schemaAt(metadata ?? {}, 'properties');
  const restricted: Record<string, Schema> = {};
  for (const key of ['name', 'generateName']) {
    const s = props ? schemaAt(props, key) : undefined;
    if (s) restricted[key] = s;
  }
  if (Object.keys(restricted).length === 0) return undefined;
  return { type: 'object', properties: { metadata: { type: 'object', properties: restricted } } };
}

/**
 * A custom resource version's openAPIV3Schema: prunes unknown fields, applies defaults, validates
 * (ajv) and evaluates CEL rules, answering like kube-apiserver: 422 Invalid naming each field, and for
 * unknown fields 400 under `fieldValidation=Strict`, a warning under `Warn`, nothing under `Ignore`.
 */
export class CrSchema {
  private validator: ValidateFunction | undefined;
  /** Validates metadata.name/generateName, or null when the schema restricts neither. */
  private metadataValidator: ValidateFunction | null | undefined;

  constructor(
    private readonly kind: string,
    private readonly group: string,
    private readonly schema: Schema,
  ) {}

  /** Why a schema cannot be used (ajv refuses to compile it), or undefined. */
  static check(schema: Schema): string | undefined {
    try {
      newAjv().compile(forAjv(schema));
      return undefined;
    } catch (e) {
      return `Invalid value: "object": ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  /**
   * Prunes and defaults `obj` in place, then validates it (CEL rules with `old` as `oldSelf`, and only
   * when everything else passed). Throws `ApiError` 400 for unknown fields under `Strict`, 422 Invalid
   * for field errors; returns the warnings to send (unknown fields under `Warn`).
   */
  admit(type: ResourceType, obj: JsonObject, old: JsonObject | undefined, fieldValidation: string): string[] {
    const dropped: string[] = [];
    prune(obj, this.schema, [], dropped, true);
    applyDefaults(obj, this.schema);
    const name = nameOf(obj);
    if (dropped.length > 0 && fieldValidation === 'Strict') {
      const list = dropped.map((d) => `unknown field "${d}"`).join(', ');
      throw new ApiError(
        400,
        'BadRequest',
        `${type.kind} in version "${type.version}" cannot be handled as a ${type.kind}: strict decoding error: ${list}`,
      );
    }
    this.validator ??= newAjv().compile(forAjv(this.schema));
    const errors: FieldError[] = [];
    if (!this.validator(obj)) {
      for (const e of this.validator.errors ?? []) {
        const fe = toFieldError(e, obj);
        if (fe && !errors.some((x) => x.field === fe.field && x.message === fe.message)) errors.push(fe);
      }
    }
    if (this.metadataValidator === undefined) {
      const restrictions = metadataRestrictions(this.schema);
      this.metadataValidator = restrictions ? newAjv().compile(restrictions) : null;
    }
    if (this.metadataValidator && !this.metadataValidator(obj)) {
      for (const e of this.metadataValidator.errors ?? []) {
        const fe = toFieldError(e, obj);
        if (fe) errors.push(fe);
      }
    }
    checkListTypes(obj, this.schema, [], errors);
    if (errors.length === 0) runCel(obj, old, this.schema, [], errors);
    if (errors.length > 0) throw invalid(this.kind, this.group, name, errors);
    return fieldValidation === 'Warn' ? dropped.map((d) => `unknown field "${d}"`) : [];
  }
}
