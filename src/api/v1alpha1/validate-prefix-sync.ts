// The PrefixSync rules the operator relies on, checked in one pass over any JSON value. The CRD refuses
// most bad specs at admission already; this re-checks them (an object may predate the current CRD, or
// come from a server that skipped validation) and adds what a schema cannot say or say well: duration
// bounds, duplicate targets, label syntax, prefix normal form with a suggestion. CEL rules and JSON
// Schemas of `spec.validation` are checked for shape only: compiling them is the sync layer's job, and a
// rule or schema that does not compile is reported by the reconciler as InvalidSpec.
import {
  DEFAULT_ROLLOUT_MODE,
  DEFAULT_TARGET_FORMAT,
  MAX_DEBOUNCE_MS,
  MAX_KEEP_VERSIONS,
  MAX_MIN_INTERVAL_MS,
  MAX_PROGRESS_DEADLINE_MS,
  withPrefixSyncDefaults,
} from './defaults.js';
import type { DefaultedPrefixSyncSpec } from './defaults.js';
import { formatDuration, parseDuration } from './duration.js';
import { asRecord, optionalList, optionalRecord } from './field-error.js';
import type { FieldError } from './field-error.js';
import { validateLabelSelector } from './label-selector.js';
import { configMapKeyProblem, dns1123SubdomainProblem } from './names.js';
import { prefixProblem } from './prefix.js';
import {
  DELETION_POLICIES,
  INVALID_KEY_POLICIES,
  KEY_CASES,
  KEY_SEPARATORS,
  MAX_INLINE_TEMPLATES,
  MAX_PREFIX_SYNC_SOURCES,
  MAX_SOURCE_PATTERNS,
  ROLLOUT_FAILURE_POLICIES,
  ROLLOUT_MODES,
  ROLLOUT_STRATEGIES,
  TARGET_FORMATS,
  TARGET_KINDS,
  TARGET_VALUES,
  WORKLOAD_KINDS,
} from './prefix-sync-types.js';
import type { MaxRemoved, PrefixSyncSpec } from './prefix-sync-types.js';

/** Longest `spec.target.name` with `versioned` (a version name adds `-` and 10 hex digits). */
export const MAX_VERSIONED_TARGET_NAME_LENGTH = 242;
/** Most entries in `spec.rollout.targets` (the CRD's maxItems). */
export const MAX_ROLLOUT_TARGETS = 32;
/** Most entries in `spec.validation.rules` (the CRD's maxItems). */
export const MAX_VALIDATION_RULES = 32;
/** Most entries in `spec.validation.schemas` (the CRD's maxItems). */
export const MAX_VALIDATION_SCHEMAS = 32;
/** Longest CEL expression in `spec.validation.rules[].rule`, in characters. */
export const VALIDATION_RULE_MAX_LENGTH = 4096;
/** Longest `spec.validation.rules[].message`, in characters. */
export const VALIDATION_MESSAGE_MAX_LENGTH = 512;
/** Longest key glob in `spec.validation.schemas[].keys`, in characters (as long as a ConfigMap key). */
export const KEY_GLOB_MAX_LENGTH = 253;
/** Largest `spec.validation.minKeys` and count `spec.validation.maxRemoved` (the CRD's int32 bound). */
export const MAX_GUARD_KEY_COUNT = 2_147_483_647;
/**
 * Largest `spec.pinRevision`: the spec carries it as a JSON number, exact only up to 2^53 − 1 (the
 * CRD's maximum). Read it as `BigInt(spec.pinRevision)`.
 */
export const MAX_PIN_REVISION = Number.MAX_SAFE_INTEGER;

/** What `spec.validation.schemas[].keys` may contain: ConfigMap key characters and the wildcards `*`, `?`. */
const KEY_GLOB = /^[-._a-zA-Z0-9*?]+$/;
/** A percentage as `spec.validation.maxRemoved` spells it; its number must be at most 100. */
const PERCENT = /^[0-9]+%$/;
/** The fields of a `spec.validation.rules[]` entry. */
const RULE_FIELDS: readonly string[] = ['rule', 'message'];

function isOneOf(value: unknown, allowed: readonly string[]): boolean {
  return typeof value === 'string' && allowed.includes(value);
}

/** `spec.sources`: 1 to MAX_PREFIX_SYNC_SOURCES entries, each a prefix with optional filters and rewrites. */
function validateSources(value: unknown, errors: FieldError[]): void {
  const list = optionalList(value, 'spec.sources', errors);
  if (Array.isArray(value) && list.length === 0) {
    errors.push({ path: 'spec.sources', message: 'must list at least one source' });
  }
  if (list.length > MAX_PREFIX_SYNC_SOURCES) {
    errors.push({ path: 'spec.sources', message: `must have at most ${MAX_PREFIX_SYNC_SOURCES} items` });
  }
  list.forEach((item, i) => {
    const at = `spec.sources[${i}]`;
    const source = asRecord(item);
    if (!source) {
      errors.push({ path: at, message: 'must be an object' });
      return;
    }
    if (typeof source.prefix !== 'string') {
      const message = source.prefix === undefined ? 'is required' : 'must be a string';
      errors.push({ path: `${at}.prefix`, message });
    } else {
      const problem = prefixProblem(source.prefix);
      if (problem) errors.push({ path: `${at}.prefix`, message: problem });
    }
    const ref = optionalRecord(source.sourceRef, `${at}.sourceRef`, errors);
    if (ref) checkObjectName(errors, `${at}.sourceRef.name`, ref.name);
    for (const field of ['include', 'exclude'] as const) {
      const globs = optionalList(source[field], `${at}.${field}`, errors);
      if (globs.length > MAX_SOURCE_PATTERNS) {
        errors.push({ path: `${at}.${field}`, message: `must have at most ${MAX_SOURCE_PATTERNS} items` });
      }
      globs.forEach((glob, j) => {
        if (typeof glob !== 'string' || glob === '' || glob.length > KEY_GLOB_MAX_LENGTH) {
          errors.push({
            path: `${at}.${field}[${j}]`,
            message: `must be a non-empty string of at most ${KEY_GLOB_MAX_LENGTH} characters`,
          });
        }
      });
    }
    const rewrites = optionalList(source.rewrite, `${at}.rewrite`, errors);
    if (rewrites.length > MAX_SOURCE_PATTERNS) {
      errors.push({ path: `${at}.rewrite`, message: `must have at most ${MAX_SOURCE_PATTERNS} items` });
    }
    rewrites.forEach((r, j) => validateRewrite(r, `${at}.rewrite[${j}]`, errors));
  });
}

/** One rewrite: exactly one of `trimPrefix` (a non-empty string) and `replace` ({regex, with}). */
function validateRewrite(value: unknown, at: string, errors: FieldError[]): void {
  const rewrite = asRecord(value);
  if (!rewrite) {
    errors.push({ path: at, message: 'must be an object' });
    return;
  }
  const hasTrim = rewrite.trimPrefix !== undefined;
  const hasReplace = rewrite.replace !== undefined;
  if (hasTrim === hasReplace) {
    errors.push({ path: at, message: 'must set exactly one of trimPrefix and replace' });
    return;
  }
  if (hasTrim) {
    if (typeof rewrite.trimPrefix !== 'string' || rewrite.trimPrefix === '') {
      errors.push({ path: `${at}.trimPrefix`, message: 'must be a non-empty string' });
    }
    return;
  }
  const replace = asRecord(rewrite.replace);
  if (!replace) {
    errors.push({ path: `${at}.replace`, message: 'must be an object' });
    return;
  }
  if (typeof replace.regex !== 'string' || replace.regex === '') {
    errors.push({ path: `${at}.replace.regex`, message: 'must be a non-empty string (an RE2 expression)' });
  }
  if (typeof replace.with !== 'string') {
    errors.push({
      path: `${at}.replace.with`,
      message: replace.with === undefined ? 'is required' : 'must be a string',
    });
  }
}

/** Checks a required DNS-1123 subdomain name (ConfigMap, workload, ClusterEtcdSource, Secret). */
export function checkObjectName(errors: FieldError[], path: string, value: unknown): void {
  if (value === undefined || value === '') {
    errors.push({ path, message: 'is required' });
    return;
  }
  const problem = typeof value === 'string' ? dns1123SubdomainProblem(value) : 'must be a string';
  if (problem) errors.push({ path, message: problem });
}

/** Longest PrefixSync name (the CRD's metadata.name maxLength): the name is a label value on its ConfigMap. */
export const PREFIX_SYNC_NAME_MAX_LENGTH = 63;

/**
 * Every problem of a whole PrefixSync object: the length of its name and everything
 * {@link validatePrefixSyncSpec} checks. Never throws, whatever the input.
 */
export function validatePrefixSync(object: unknown): FieldError[] {
  const o = asRecord(object);
  if (!o) return [{ path: '', message: 'must be an object' }];
  const errors: FieldError[] = [];
  const name = asRecord(o.metadata)?.name;
  if (typeof name === 'string' && name.length > PREFIX_SYNC_NAME_MAX_LENGTH) {
    errors.push({
      path: 'metadata.name',
      message: `must be at most ${PREFIX_SYNC_NAME_MAX_LENGTH} characters (it labels the ConfigMap)`,
    });
  }
  return [...errors, ...validatePrefixSyncSpec(o.spec)];
}

/**
 * Every problem of a PrefixSync spec, as `{path, message}` with paths from the object root
 * (`spec.target.key`). An empty list means the spec is valid. Never throws, whatever the input.
 */
export function validatePrefixSyncSpec(spec: unknown): FieldError[] {
  const s = asRecord(spec);
  if (!s) return [{ path: 'spec', message: spec === undefined ? 'is required' : 'must be an object' }];
  const errors: FieldError[] = [];

  const sourceRef = asRecord(s.sourceRef);
  if (!sourceRef) errors.push({ path: 'spec.sourceRef.name', message: 'is required' });
  else checkObjectName(errors, 'spec.sourceRef.name', sourceRef.name);

  if (s.prefix !== undefined && s.sources !== undefined) {
    errors.push({ path: 'spec.sources', message: 'must not be set together with spec.prefix (set one)' });
  } else if (s.sources !== undefined) {
    validateSources(s.sources, errors);
    const pinned = s.pinRevision !== undefined;
    const main = sourceRef?.name;
    const elsewhere = (Array.isArray(s.sources) ? s.sources : []).some(
      (x) =>
        asRecord(asRecord(x)?.sourceRef)?.name !== undefined &&
        asRecord(asRecord(x)?.sourceRef)?.name !== main,
    );
    if (pinned && elsewhere) {
      errors.push({
        path: 'spec.pinRevision',
        message:
          'needs every source on spec.sourceRef: a revision is one cluster’s, so sources on another ClusterEtcdSource cannot be pinned',
      });
    }
  } else if (typeof s.prefix !== 'string') {
    errors.push({
      path: 'spec.prefix',
      message: s.prefix === undefined ? 'is required (or spec.sources)' : 'must be a string',
    });
  } else {
    const problem = prefixProblem(s.prefix);
    if (problem) errors.push({ path: 'spec.prefix', message: problem });
  }

  const target = asRecord(s.target);
  if (!target) errors.push({ path: 'spec.target', message: 'is required' });
  else validateTarget(target, errors);

  const keys = optionalRecord(s.keys, 'spec.keys', errors);
  if (keys?.separator !== undefined && !isOneOf(keys.separator, KEY_SEPARATORS)) {
    errors.push({ path: 'spec.keys.separator', message: `must be one of ${KEY_SEPARATORS.join(' ')}` });
  }
  if (keys?.onInvalid !== undefined && !isOneOf(keys.onInvalid, INVALID_KEY_POLICIES)) {
    errors.push({
      path: 'spec.keys.onInvalid',
      message: `must be one of ${INVALID_KEY_POLICIES.join(', ')}`,
    });
  }
  if (keys?.case !== undefined) {
    const format = target?.format ?? DEFAULT_TARGET_FORMAT;
    if (!isOneOf(keys.case, KEY_CASES)) {
      errors.push({ path: 'spec.keys.case', message: `must be one of ${KEY_CASES.join(', ')}` });
    } else if (keys.case !== 'Preserve' && format !== 'env' && format !== 'properties') {
      errors.push({
        path: 'spec.keys.case',
        message: 'Upper is only used with target.format env or properties',
      });
    }
  }

  const rollout = optionalRecord(s.rollout, 'spec.rollout', errors);
  if (rollout) validateRollout(rollout, errors);
  if (target?.versioned === true && (rollout?.mode ?? DEFAULT_ROLLOUT_MODE) === 'none') {
    errors.push({
      path: 'spec.target.versioned',
      message:
        'needs spec.rollout.mode targets or auto: the rollout points the workloads at each new version',
    });
  }
  if (target?.kind === 'Secret' && rollout?.onFailure === 'Rollback') {
    errors.push({
      path: 'spec.rollout.onFailure',
      message:
        'Rollback is not available with target.kind Secret: the contents a rollback restores are kept in ControllerRevisions, which would expose the Secret values to whoever may read those',
    });
  }

  if (s.debounce !== undefined) {
    const parsed = typeof s.debounce === 'string' ? parseDuration(s.debounce) : undefined;
    if (parsed === undefined) errors.push({ path: 'spec.debounce', message: 'must be a string' });
    else if (!parsed.ok) errors.push({ path: 'spec.debounce', message: parsed.message });
    else if (parsed.ms > MAX_DEBOUNCE_MS) {
      errors.push({ path: 'spec.debounce', message: `must be at most ${formatDuration(MAX_DEBOUNCE_MS)}` });
    }
  }
  if (s.suspend !== undefined && typeof s.suspend !== 'boolean') {
    errors.push({ path: 'spec.suspend', message: 'must be true or false' });
  }
  if (s.deletionPolicy !== undefined && !isOneOf(s.deletionPolicy, DELETION_POLICIES)) {
    errors.push({ path: 'spec.deletionPolicy', message: `must be one of ${DELETION_POLICIES.join(', ')}` });
  }
  const validation = optionalRecord(s.validation, 'spec.validation', errors);
  if (validation) validateGuards(validation, errors);
  if (s.pinRevision !== undefined) {
    const problem = integerProblem(s.pinRevision, 1, MAX_PIN_REVISION);
    if (problem) errors.push({ path: 'spec.pinRevision', message: problem });
  }
  return errors;
}

/** Why `value` is not an integer from `min` to `max`, or undefined when it is one. */
function integerProblem(value: unknown, min: number, max: number): string | undefined {
  if (typeof value !== 'number' || !Number.isInteger(value)) return 'must be an integer';
  if (value < min) return `must be at least ${min}`;
  if (value > max) return `must be at most ${max}`;
  return undefined;
}

/**
 * `spec.validation.maxRemoved` as a count or a percentage: `10` → `{kind: 'count', count: 10}`, `"25%"`
 * → `{kind: 'percent', percent: 25}`. Undefined for anything else (an integer below 0 or above
 * {@link MAX_GUARD_KEY_COUNT}, a percentage above 100, any other string or type). Never throws.
 */
export function parseMaxRemoved(value: unknown): MaxRemoved | undefined {
  if (typeof value === 'number') {
    return integerProblem(value, 0, MAX_GUARD_KEY_COUNT) === undefined
      ? { kind: 'count', count: value }
      : undefined;
  }
  if (typeof value !== 'string' || !PERCENT.test(value)) return undefined;
  const percent = Number(value.slice(0, -1));
  return percent <= 100 ? { kind: 'percent', percent } : undefined;
}

function validateGuards(validation: Record<string, unknown>, errors: FieldError[]): void {
  if (validation.minKeys !== undefined) {
    const problem = integerProblem(validation.minKeys, 0, MAX_GUARD_KEY_COUNT);
    if (problem) errors.push({ path: 'spec.validation.minKeys', message: problem });
  }
  if (validation.maxRemoved !== undefined && parseMaxRemoved(validation.maxRemoved) === undefined) {
    errors.push({
      path: 'spec.validation.maxRemoved',
      message:
        typeof validation.maxRemoved === 'number'
          ? (integerProblem(validation.maxRemoved, 0, MAX_GUARD_KEY_COUNT) ?? 'is invalid')
          : 'must be a count of keys (e.g. 10) or a percentage from "0%" to "100%" (e.g. "25%")',
    });
  }

  const rules = optionalList(validation.rules, 'spec.validation.rules', errors);
  if (rules.length > MAX_VALIDATION_RULES) {
    errors.push({
      path: 'spec.validation.rules',
      message: `must have at most ${MAX_VALIDATION_RULES} items`,
    });
  }
  rules.forEach((item, i) => {
    const at = `spec.validation.rules[${i}]`;
    const r = asRecord(item);
    if (!r) {
      errors.push({ path: at, message: 'must be an object' });
      return;
    }
    checkText(errors, `${at}.rule`, r.rule, VALIDATION_RULE_MAX_LENGTH);
    checkText(errors, `${at}.message`, r.message, VALIDATION_MESSAGE_MAX_LENGTH);
    for (const field of Object.keys(r).filter((f) => !RULE_FIELDS.includes(f))) {
      errors.push({ path: `${at}.${field}`, message: 'unknown field (a rule has only rule and message)' });
    }
  });

  const schemas = optionalList(validation.schemas, 'spec.validation.schemas', errors);
  if (schemas.length > MAX_VALIDATION_SCHEMAS) {
    errors.push({
      path: 'spec.validation.schemas',
      message: `must have at most ${MAX_VALIDATION_SCHEMAS} items`,
    });
  }
  schemas.forEach((item, i) => {
    const at = `spec.validation.schemas[${i}]`;
    const entry = asRecord(item);
    if (!entry) {
      errors.push({ path: at, message: 'must be an object' });
      return;
    }
    if (checkText(errors, `${at}.keys`, entry.keys, KEY_GLOB_MAX_LENGTH) && !KEY_GLOB.test(entry.keys)) {
      errors.push({
        path: `${at}.keys`,
        message:
          "must be a glob over ConfigMap keys: letters, digits, '-', '_', '.', and the wildcards '*' (any run of characters) and '?' (one character)",
      });
    }
    if (entry.schema === undefined) errors.push({ path: `${at}.schema`, message: 'is required' });
    else if (!asRecord(entry.schema)) {
      errors.push({ path: `${at}.schema`, message: 'must be an object (a JSON Schema)' });
    }
  });
}

/**
 * Checks a required non-empty string of at most `maxLength` characters; true when it is one (so the
 * caller can check more).
 */
function checkText(errors: FieldError[], path: string, value: unknown, maxLength: number): value is string {
  if (value === undefined || value === '') {
    errors.push({ path, message: 'is required' });
    return false;
  }
  if (typeof value !== 'string') {
    errors.push({ path, message: 'must be a string' });
    return false;
  }
  if (value.length > maxLength) {
    errors.push({ path, message: `must be at most ${maxLength} characters` });
    return false;
  }
  return true;
}

function validateTarget(target: Record<string, unknown>, errors: FieldError[]): void {
  checkObjectName(errors, 'spec.target.name', target.name);
  validateTargetOptions(target, errors);
  if (target.versioned !== undefined && typeof target.versioned !== 'boolean') {
    errors.push({ path: 'spec.target.versioned', message: 'must be a boolean' });
  }
  if (
    target.versioned === true &&
    typeof target.name === 'string' &&
    target.name.length > MAX_VERSIONED_TARGET_NAME_LENGTH
  ) {
    errors.push({
      path: 'spec.target.name',
      message: `must be at most ${MAX_VERSIONED_TARGET_NAME_LENGTH} characters with versioned (each version adds -<10 hex>)`,
    });
  }
  if (target.keepVersions !== undefined) {
    const n = target.keepVersions;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_KEEP_VERSIONS) {
      errors.push({
        path: 'spec.target.keepVersions',
        message: `must be an integer from 1 to ${MAX_KEEP_VERSIONS}`,
      });
    } else if (target.versioned !== true) {
      errors.push({ path: 'spec.target.keepVersions', message: 'is only used with versioned: true' });
    }
  }
  const format = target.format ?? DEFAULT_TARGET_FORMAT;
  if (!isOneOf(format, TARGET_FORMATS)) {
    errors.push({ path: 'spec.target.format', message: `must be one of ${TARGET_FORMATS.join(', ')}` });
  }
  if (target.values !== undefined) {
    if (!isOneOf(target.values, TARGET_VALUES)) {
      errors.push({ path: 'spec.target.values', message: `must be one of ${TARGET_VALUES.join(', ')}` });
    } else if (target.values !== 'String' && format !== 'yaml' && format !== 'json') {
      errors.push({
        path: 'spec.target.values',
        message: 'Auto and JSON are only used with format yaml or json',
      });
    }
  }
  validateTemplate(target, format, errors);
  if (target.key === undefined) {
    if (format !== 'files' && format !== 'template') {
      errors.push({
        path: 'spec.target.key',
        message: `is required when format is ${typeof format === 'string' ? format : 'not files'}`,
      });
    }
  } else if (format === 'files' || format === 'template') {
    errors.push({ path: 'spec.target.key', message: `must not be set when format is ${format}` });
  } else {
    const problem = typeof target.key === 'string' ? configMapKeyProblem(target.key) : 'must be a string';
    if (problem)
      errors.push({ path: 'spec.target.key', message: `is not a valid ConfigMap key: ${problem}` });
  }
}

/**
 * `spec.target.template`: required with format template and forbidden otherwise; exactly one of
 * `inline` (1 to MAX_INLINE_TEMPLATES templates, each under a valid ConfigMap key) and `configMapRef`.
 */
function validateTemplate(target: Record<string, unknown>, format: unknown, errors: FieldError[]): void {
  const path = 'spec.target.template';
  const template = target.template;
  if (template === undefined) {
    if (format === 'template') errors.push({ path, message: 'is required when format is template' });
    return;
  }
  if (format !== 'template') {
    errors.push({ path, message: 'must not be set unless format is template' });
    return;
  }
  const record = asRecord(template);
  if (!record) {
    errors.push({ path, message: 'must be an object' });
    return;
  }
  const { inline, configMapRef } = record;
  if ((inline === undefined) === (configMapRef === undefined)) {
    errors.push({ path, message: 'must set exactly one of inline and configMapRef' });
  }
  if (inline !== undefined) {
    const inlineRecord = asRecord(inline);
    const entries = inlineRecord ? Object.entries(inlineRecord) : undefined;
    if (!entries || entries.length === 0 || entries.length > MAX_INLINE_TEMPLATES) {
      errors.push({
        path: `${path}.inline`,
        message: `must map 1 to ${MAX_INLINE_TEMPLATES} target keys to template text`,
      });
    }
    for (const [key, text] of entries ?? []) {
      const problem = configMapKeyProblem(key);
      if (problem)
        errors.push({
          path: `${path}.inline`,
          message: `${JSON.stringify(key)} is not a valid ConfigMap key: ${problem}`,
        });
      if (typeof text !== 'string')
        errors.push({ path: `${path}.inline.${key}`, message: 'must be a string' });
    }
  }
  if (configMapRef !== undefined) {
    const name = asRecord(configMapRef)?.name;
    if (typeof name !== 'string' || dns1123SubdomainProblem(name) !== undefined) {
      errors.push({
        path: `${path}.configMapRef.name`,
        message: 'must be a ConfigMap name (DNS-1123 subdomain)',
      });
    }
  }
}

/** The operator's own label and annotation domain, refused in `spec.target.metadata`. */
const OPERATOR_DOMAIN = 'etcdconfig.dev/';
/** Most labels (and most annotations) in `spec.target.metadata` (the CRD's maxProperties). */
const MAX_TARGET_METADATA_ENTRIES = 64;

/** `spec.target.kind`, `metadata`, `immutable`, `adopt`. */
function validateTargetOptions(target: Record<string, unknown>, errors: FieldError[]): void {
  if (target.kind !== undefined && !isOneOf(target.kind, TARGET_KINDS)) {
    errors.push({ path: 'spec.target.kind', message: `must be one of ${TARGET_KINDS.join(', ')}` });
  }
  if (target.kind === 'Secret' && target.versioned === true) {
    errors.push({
      path: 'spec.target.versioned',
      message: 'is not available with kind Secret (each version would be another copy of the values)',
    });
  }
  for (const flag of ['immutable', 'adopt'] as const) {
    if (target[flag] !== undefined && typeof target[flag] !== 'boolean') {
      errors.push({ path: `spec.target.${flag}`, message: 'must be a boolean' });
    }
  }
  const metadata = optionalRecord(target.metadata, 'spec.target.metadata', errors);
  for (const field of ['labels', 'annotations'] as const) {
    const path = `spec.target.metadata.${field}`;
    const record = optionalRecord(metadata?.[field], path, errors);
    if (!record) continue;
    const entries = Object.entries(record);
    if (entries.length > MAX_TARGET_METADATA_ENTRIES) {
      errors.push({ path, message: `must have at most ${MAX_TARGET_METADATA_ENTRIES} entries` });
    }
    // Reported at the map, as the CRD's rule is (a key may hold any character).
    for (const [key, value] of entries) {
      if (typeof value !== 'string') errors.push({ path, message: `${key}: must be a string` });
      else if (field === 'labels' && value.length > 63) {
        errors.push({ path, message: `${key}: must be at most 63 characters` });
      }
      if (key.startsWith(OPERATOR_DOMAIN) || key.includes(`.${OPERATOR_DOMAIN}`)) {
        errors.push({ path, message: `${key}: the ${OPERATOR_DOMAIN} domain is the operator's own` });
      }
    }
  }
}

function validateRollout(rollout: Record<string, unknown>, errors: FieldError[]): void {
  const mode = rollout.mode ?? DEFAULT_ROLLOUT_MODE;
  if (!isOneOf(mode, ROLLOUT_MODES)) {
    errors.push({ path: 'spec.rollout.mode', message: `must be one of ${ROLLOUT_MODES.join(', ')}` });
  }
  const targets = optionalList(rollout.targets, 'spec.rollout.targets', errors);
  if (mode === 'targets' && targets.length === 0) {
    errors.push({
      path: 'spec.rollout.targets',
      message: 'must list at least one workload when mode is targets',
    });
  }
  if (mode !== 'targets' && targets.length > 0) {
    errors.push({ path: 'spec.rollout.targets', message: 'is only used when mode is targets' });
  }
  if (targets.length > MAX_ROLLOUT_TARGETS) {
    errors.push({ path: 'spec.rollout.targets', message: `must have at most ${MAX_ROLLOUT_TARGETS} items` });
  }
  const seen = new Map<string, number>();
  targets.forEach((item, i) => {
    const at = `spec.rollout.targets[${i}]`;
    const t = asRecord(item);
    if (!t) {
      errors.push({ path: at, message: 'must be an object' });
      return;
    }
    if (!isOneOf(t.kind, WORKLOAD_KINDS)) {
      errors.push({ path: `${at}.kind`, message: `must be one of ${WORKLOAD_KINDS.join(', ')}` });
    }
    checkObjectName(errors, `${at}.name`, t.name);
    const id = `${String(t.kind)}/${String(t.name)}`;
    const first = seen.get(id);
    if (first === undefined) seen.set(id, i);
    else errors.push({ path: at, message: `duplicates targets[${first}] (${id})` });
  });
  if (rollout.selector !== undefined) {
    if (mode !== 'auto') {
      errors.push({ path: 'spec.rollout.selector', message: 'is only used when mode is auto' });
    }
    errors.push(...validateLabelSelector(rollout.selector, 'spec.rollout.selector'));
  }
  if (rollout.onFailure !== undefined && !isOneOf(rollout.onFailure, ROLLOUT_FAILURE_POLICIES)) {
    errors.push({
      path: 'spec.rollout.onFailure',
      message: `must be one of ${ROLLOUT_FAILURE_POLICIES.join(', ')}`,
    });
  }
  checkDuration(
    errors,
    'spec.rollout.progressDeadline',
    rollout.progressDeadline,
    1000,
    MAX_PROGRESS_DEADLINE_MS,
  );
  checkDuration(errors, 'spec.rollout.minInterval', rollout.minInterval, 0, MAX_MIN_INTERVAL_MS);
  if (rollout.strategy !== undefined) {
    if (!isOneOf(rollout.strategy, ROLLOUT_STRATEGIES)) {
      errors.push({
        path: 'spec.rollout.strategy',
        message: `must be one of ${ROLLOUT_STRATEGIES.join(', ')}`,
      });
    } else if (rollout.strategy === 'Ordered' && mode !== 'targets') {
      errors.push({
        path: 'spec.rollout.strategy',
        message: 'Ordered needs mode targets (the listed order)',
      });
    }
  }
}

/** An optional Go-style duration within [minMs, maxMs]. */
function checkDuration(
  errors: FieldError[],
  path: string,
  value: unknown,
  minMs: number,
  maxMs: number,
): void {
  if (value === undefined) return;
  const parsed = typeof value === 'string' ? parseDuration(value) : undefined;
  if (parsed === undefined) errors.push({ path, message: 'must be a string' });
  else if (!parsed.ok) errors.push({ path, message: parsed.message });
  else if (parsed.ms < minMs) errors.push({ path, message: `must be at least ${formatDuration(minMs)}` });
  else if (parsed.ms > maxMs) errors.push({ path, message: `must be at most ${formatDuration(maxMs)}` });
}

/** A valid PrefixSync spec with defaults applied, the debounce and `validation.maxRemoved` parsed. */
export interface ResolvedPrefixSyncSpec extends DefaultedPrefixSyncSpec {
  /** `debounce` in milliseconds, 0 to {@link MAX_DEBOUNCE_MS}. */
  debounceMs: number;
  /** `validation.maxRemoved` parsed (see {@link parseMaxRemoved}); undefined: no limit. */
  maxRemoved: MaxRemoved | undefined;
  /** `rollout.progressDeadline` in milliseconds. */
  progressDeadlineMs: number;
  /** `rollout.minInterval` in milliseconds. */
  minIntervalMs: number;
}

/** The result of resolving a spec: the spec ready to act on, or every problem it has. */
export type ResolveResult<T> = { ok: true; spec: T } | { ok: false; errors: FieldError[] };

/**
 * Validates a spec and, when valid, returns it with defaults applied, the debounce in milliseconds and
 * `maxRemoved` parsed: the one call a reconciler needs before acting on a spec. CEL rules and JSON
 * Schemas are not compiled here. Never throws.
 */
export function resolvePrefixSyncSpec(spec: unknown): ResolveResult<ResolvedPrefixSyncSpec> {
  const errors = validatePrefixSyncSpec(spec);
  if (errors.length > 0) return { ok: false, errors };
  // Valid means every field is present with the type PrefixSyncSpec declares.
  const defaulted = withPrefixSyncDefaults(spec as PrefixSyncSpec);
  const debounce = parseDuration(defaulted.debounce);
  const maxRemoved =
    defaulted.validation.maxRemoved === undefined
      ? undefined
      : parseMaxRemoved(defaulted.validation.maxRemoved);
  const msOf = (text: string): number => {
    const parsed = parseDuration(text);
    return parsed.ok ? parsed.ms : 0;
  };
  return {
    ok: true,
    spec: {
      ...defaulted,
      debounceMs: debounce.ok ? debounce.ms : 0,
      maxRemoved,
      progressDeadlineMs: msOf(defaulted.rollout.progressDeadline),
      minIntervalMs: msOf(defaulted.rollout.minInterval),
    },
  };
}
