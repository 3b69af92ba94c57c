// Validates custom resources against a CRD the way kube-apiserver does, closely enough for tests and for
// the API simulator: structural defaulting, OpenAPI v3 validation (ajv), x-kubernetes-list-type
// uniqueness and x-kubernetes-validations CEL rules (@bufbuild/cel). Self-contained on purpose (ajv,
// yaml, @bufbuild/cel only) so the simulator can reuse it as it is.
//
// Fidelity notes (kube-apiserver, apiextensions-apiserver):
// - defaults are applied before validation, only where the parent object is present;
// - unknown fields are refused as with `fieldValidation=Strict` (kubectl's default), or pruned;
// - CEL rules are skipped when the object has type errors (apiextensions' hasBlockingErr), and run on
//   every present value of the node that declares them, with `self` bound to it;
// - a rule's error path is the node's path plus its `fieldPath`, its text `message` (or
//   `failed rule: <rule>`), as in `spec.rollout.targets: Invalid value: "object": <message>`;
// - an `x-kubernetes-int-or-string` node takes an integer or a string; its numeric validations apply to
//   an integer and its string validations to a string, and an integer is a CEL int;
// - not modelled: transition rules (oldSelf), messageExpression, CEL cost limits, metadata validation.
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { celEnv, isCelError, parse as parseCel, plan } from '@bufbuild/cel';
import type { CelInput } from '@bufbuild/cel';
import { strings } from '@bufbuild/cel/ext';

/** One problem with one field, with the API server's path spelling: `spec.rollout.targets[0].name`. */
export interface CrdFieldError {
  path: string;
  message: string;
  /** Which layer refused: the OpenAPI schema, list-type uniqueness, or a CEL rule. */
  origin: 'schema' | 'list-type' | 'cel';
}

/** The subset of an OpenAPI v3 schema node that a structural CRD schema uses. */
export interface SchemaNode {
  type?: string;
  description?: string;
  properties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  items?: SchemaNode;
  required?: string[];
  default?: unknown;
  enum?: unknown[];
  pattern?: string;
  format?: string;
  maxLength?: number;
  maxItems?: number;
  maxProperties?: number;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-validations'?: CelRule[];
  [keyword: string]: unknown;
}

/** One entry of `x-kubernetes-validations`. */
export interface CelRule {
  rule: string;
  message?: string;
  fieldPath?: string;
  reason?: string;
}

/** A CustomResourceDefinition as parsed from YAML (the fields this module reads). */
export interface Crd {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: {
    group: string;
    scope: 'Namespaced' | 'Cluster';
    names: {
      kind: string;
      listKind: string;
      plural: string;
      singular: string;
      shortNames?: string[];
      categories?: string[];
    };
    versions: {
      name: string;
      served: boolean;
      storage: boolean;
      subresources?: { status?: object };
      additionalPrinterColumns?: {
        name: string;
        type: string;
        jsonPath: string;
        description?: string;
        priority?: number;
      }[];
      schema: { openAPIV3Schema: SchemaNode };
    }[];
  };
}

/** The outcome of {@link CrdValidator.validate}. */
export interface ValidationOutcome {
  /** A copy of the input with the schema's defaults applied (and unknown fields pruned when asked). */
  object: unknown;
  errors: CrdFieldError[];
}

/** Options of {@link CrdValidator}. */
export interface CrdValidatorOptions {
  /** `reject` (default, like fieldValidation=Strict) or `prune` (like the API server without it). */
  unknownFields?: 'reject' | 'prune';
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** Reads every CRD in a folder of YAML files (one or more documents each). */
export function loadCrds(dir: string): Crd[] {
  const crds: Crd[] = [];
  for (const file of readdirSync(dir).sort()) {
    if (!/\.ya?ml$/.test(file)) continue;
    const text = readFileSync(path.join(dir, file), 'utf8');
    for (const doc of text.split(/^---\s*$/m)) {
      const parsed: unknown = parseYaml(doc);
      if (
        parsed &&
        typeof parsed === 'object' &&
        (parsed as { kind?: unknown }).kind === 'CustomResourceDefinition'
      ) {
        crds.push(parsed as Crd);
      }
    }
  }
  return crds;
}

/** `["spec","targets",0,"name"]` → `spec.targets[0].name`. */
export function formatPath(segments: readonly (string | number)[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else out += out === '' ? s : `.${s}`;
  }
  return out;
}

function pointerToSegments(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Adds `additionalProperties: false` where the API server would refuse or prune unknown fields, and
 * spells an int-or-string node as JSON Schema's `type: [integer, string]`.
 */
function closeObjects(node: SchemaNode, isRoot: boolean): SchemaNode {
  const out: SchemaNode = { ...node };
  if (node['x-kubernetes-int-or-string'] === true) {
    delete out.anyOf;
    out.type = ['integer', 'string'] as unknown as string;
  }
  if (node.properties) {
    out.properties = Object.fromEntries(
      Object.entries(node.properties).map(([k, v]) => [
        k,
        isRoot && k === 'metadata' ? v : closeObjects(v, false),
      ]),
    );
    if (node.additionalProperties === undefined && !node['x-kubernetes-preserve-unknown-fields']) {
      out.additionalProperties = false;
    }
  }
  if (node.items) out.items = closeObjects(node.items, false);
  if (node.additionalProperties && typeof node.additionalProperties === 'object') {
    out.additionalProperties = closeObjects(node.additionalProperties, false);
  }
  return out;
}

function newAjv(removeAdditional: boolean): Ajv {
  const ajv = new Ajv({
    allErrors: true,
    useDefaults: true,
    strict: true,
    // Only for int-or-string nodes (see closeObjects); a CRD cannot declare a union type itself.
    allowUnionTypes: true,
    removeAdditional: removeAdditional ? 'failing' : false,
  });
  for (const keyword of [
    'x-kubernetes-preserve-unknown-fields',
    'x-kubernetes-list-type',
    'x-kubernetes-list-map-keys',
    'x-kubernetes-validations',
    'x-kubernetes-int-or-string',
    'x-kubernetes-embedded-resource',
    'x-kubernetes-map-type',
  ]) {
    ajv.addKeyword({ keyword });
  }
  ajv.addFormat('int32', {
    type: 'number',
    validate: (n: number) => Number.isInteger(n) && Math.abs(n) < 2 ** 31,
  });
  ajv.addFormat('int64', { type: 'number', validate: (n: number) => Number.isSafeInteger(n) });
  ajv.addFormat('date-time', RFC3339);
  return ajv;
}

function schemaError(e: ErrorObject): CrdFieldError {
  const at = pointerToSegments(e.instancePath);
  const params = e.params as Record<string, unknown>;
  if (e.keyword === 'required') {
    return {
      path: formatPath([...at, String(params.missingProperty)]),
      message: 'Required value',
      origin: 'schema',
    };
  }
  if (e.keyword === 'additionalProperties') {
    return {
      path: formatPath([...at, String(params.additionalProperty)]),
      message: 'unknown field',
      origin: 'schema',
    };
  }
  if (e.keyword === 'enum') {
    const allowed = (params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ');
    return {
      path: formatPath(at),
      message: `Unsupported value: supported values: ${allowed}`,
      origin: 'schema',
    };
  }
  return { path: formatPath(at), message: `${e.keyword}: ${e.message ?? 'invalid'}`, origin: 'schema' };
}

/** Converts JSON to CEL input as Kubernetes types it: integer fields are CEL ints, objects are maps. */
function toCel(value: unknown, node: SchemaNode | undefined): CelInput {
  if (Array.isArray(value)) return value.map((v) => toCel(v, node?.items));
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]): [string, CelInput] => {
      const child =
        node?.properties?.[k] ??
        (typeof node?.additionalProperties === 'object' ? node.additionalProperties : undefined);
      return [k, toCel(v, child)];
    });
    return new Map(entries);
  }
  const isInteger = node?.type === 'integer' || node?.['x-kubernetes-int-or-string'] === true;
  if (typeof value === 'number' && isInteger && Number.isInteger(value)) return BigInt(value);
  return value as CelInput;
}

type CompiledRule = CelRule & { run: (self: CelInput) => unknown };

/** Validates objects of one CRD version like the API server would. */
export class CrdValidator {
  /** The version's openAPIV3Schema, as written in the CRD. */
  readonly schema: SchemaNode;
  private readonly validateFn: ValidateFunction;
  /** CEL programs, planned once per rule text. */
  private readonly programs = new Map<string, CompiledRule['run']>();
  /** Kubernetes' CEL environment, as far as it matters here: the standard library plus string extensions. */
  private readonly env = celEnv({ funcs: strings });

  constructor(
    readonly crd: Crd,
    version?: string,
    private readonly options: CrdValidatorOptions = {},
  ) {
    const v = version ? crd.spec.versions.find((x) => x.name === version) : crd.spec.versions[0];
    if (!v) throw new Error(`CRD ${crd.metadata.name} has no version ${version ?? '(any)'}`);
    this.schema = v.schema.openAPIV3Schema;
    const prune = options.unknownFields === 'prune';
    this.validateFn = newAjv(prune).compile(closeObjects(this.schema, true));
    this.compileRules(this.schema);
  }

  /** Defaults, validates and returns every problem of `object`; never throws for bad input. */
  validate(object: unknown): ValidationOutcome {
    const copy: unknown = structuredClone(object);
    const errors: CrdFieldError[] = [];
    const valid = this.validateFn(copy);
    const ajvErrors = valid ? [] : (this.validateFn.errors ?? []);
    for (const e of ajvErrors) {
      // With pruning, ajv removes the field and still reports it: the API server only drops it.
      if (this.options.unknownFields === 'prune' && e.keyword === 'additionalProperties') continue;
      errors.push(schemaError(e));
    }
    this.checkListTypes(copy, this.schema, [], errors);
    const hasTypeErrors = ajvErrors.some((e) => e.keyword === 'type');
    if (!hasTypeErrors) this.checkRules(copy, this.schema, [], errors);
    return { object: copy, errors };
  }

  private compileRules(node: SchemaNode): void {
    for (const r of node['x-kubernetes-validations'] ?? []) {
      if (this.programs.has(r.rule)) continue;
      // plan() throws on a syntax error: a broken rule is a bug in the CRD, not bad input.
      const program = plan(this.env, parseCel(r.rule));
      this.programs.set(r.rule, (self) => {
        try {
          return program({ self });
        } catch (e) {
          return e instanceof Error ? e : new Error(String(e));
        }
      });
    }
    for (const child of Object.values(node.properties ?? {})) this.compileRules(child);
    if (node.items) this.compileRules(node.items);
    if (typeof node.additionalProperties === 'object') this.compileRules(node.additionalProperties);
  }

  private checkRules(
    value: unknown,
    node: SchemaNode,
    at: (string | number)[],
    errors: CrdFieldError[],
  ): void {
    if (value === undefined || value === null) return;
    for (const r of node['x-kubernetes-validations'] ?? []) {
      const run = this.programs.get(r.rule);
      if (!run) continue;
      const result = run(toCel(value, node));
      const where = r.fieldPath ? `${formatPath(at)}${r.fieldPath}` : formatPath(at);
      if (isCelError(result) || result instanceof Error) {
        errors.push({
          path: where,
          message: `rule evaluation error: ${result.message} (${r.rule})`,
          origin: 'cel',
        });
      } else if (result !== true) {
        errors.push({ path: where, message: r.message ?? `failed rule: ${r.rule}`, origin: 'cel' });
      }
    }
    if (Array.isArray(value) && node.items) {
      value.forEach((v, i) => this.checkRules(v, node.items!, [...at, i], errors));
    } else if (typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const child =
          node.properties?.[k] ??
          (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
        if (child) this.checkRules(v, child, [...at, k], errors);
      }
    }
  }

  private checkListTypes(
    value: unknown,
    node: SchemaNode,
    at: (string | number)[],
    errors: CrdFieldError[],
  ): void {
    if (Array.isArray(value)) {
      const listType = node['x-kubernetes-list-type'];
      if (listType === 'set' || listType === 'map') {
        const keys = node['x-kubernetes-list-map-keys'] ?? [];
        const seen = new Set<string>();
        value.forEach((item: unknown, i) => {
          const id =
            listType === 'set'
              ? JSON.stringify(item)
              : JSON.stringify(keys.map((k) => (item as Record<string, unknown> | null)?.[k] ?? null));
          if (seen.has(id))
            errors.push({
              path: formatPath([...at, i]),
              message: `Duplicate value: ${id}`,
              origin: 'list-type',
            });
          seen.add(id);
        });
      }
      if (node.items) value.forEach((v, i) => this.checkListTypes(v, node.items!, [...at, i], errors));
    } else if (value !== null && typeof value === 'object') {
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const child =
          node.properties?.[k] ??
          (typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined);
        if (child) this.checkListTypes(v, child, [...at, k], errors);
      }
    }
  }
}

/** Validators for every kind of the CRDs in `dir`, keyed by kind. */
export function validatorsFor(dir: string, options?: CrdValidatorOptions): Map<string, CrdValidator> {
  return new Map(
    loadCrds(dir).map((crd) => [crd.spec.names.kind, new CrdValidator(crd, undefined, options)]),
  );
}
