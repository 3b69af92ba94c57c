// The PrefixSync rules the operator relies on, checked in one pass over any JSON value. The CRD refuses
// most bad specs at admission already; this re-checks them (an object may predate the current CRD, or
// come from a server that skipped validation) and adds what a schema cannot say or say well: duration
// bounds, duplicate targets, label syntax, prefix normal form with a suggestion.
import {
  DEFAULT_ROLLOUT_MODE,
  DEFAULT_TARGET_FORMAT,
  MAX_DEBOUNCE_MS,
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
  KEY_SEPARATORS,
  ROLLOUT_MODES,
  TARGET_FORMATS,
  WORKLOAD_KINDS,
} from './prefix-sync-types.js';
import type { PrefixSyncSpec } from './prefix-sync-types.js';

/** Most entries in `spec.rollout.targets` (the CRD's maxItems). */
export const MAX_ROLLOUT_TARGETS = 32;

function isOneOf(value: unknown, allowed: readonly string[]): boolean {
  return typeof value === 'string' && allowed.includes(value);
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

  if (typeof s.prefix !== 'string') {
    errors.push({
      path: 'spec.prefix',
      message: s.prefix === undefined ? 'is required' : 'must be a string',
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

  const rollout = optionalRecord(s.rollout, 'spec.rollout', errors);
  if (rollout) validateRollout(rollout, errors);

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
  return errors;
}

function validateTarget(target: Record<string, unknown>, errors: FieldError[]): void {
  checkObjectName(errors, 'spec.target.name', target.name);
  const format = target.format ?? DEFAULT_TARGET_FORMAT;
  if (!isOneOf(format, TARGET_FORMATS)) {
    errors.push({ path: 'spec.target.format', message: `must be one of ${TARGET_FORMATS.join(', ')}` });
  }
  if (target.key === undefined) {
    if (format !== 'files') {
      errors.push({
        path: 'spec.target.key',
        message: `is required when format is ${typeof format === 'string' ? format : 'not files'}`,
      });
    }
  } else if (format === 'files') {
    errors.push({ path: 'spec.target.key', message: 'must not be set when format is files' });
  } else {
    const problem = typeof target.key === 'string' ? configMapKeyProblem(target.key) : 'must be a string';
    if (problem)
      errors.push({ path: 'spec.target.key', message: `is not a valid ConfigMap key: ${problem}` });
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
}

/** A valid PrefixSync spec with defaults applied and the debounce parsed. */
export interface ResolvedPrefixSyncSpec extends DefaultedPrefixSyncSpec {
  /** `debounce` in milliseconds, 0 to {@link MAX_DEBOUNCE_MS}. */
  debounceMs: number;
}

/** The result of resolving a spec: the spec ready to act on, or every problem it has. */
export type ResolveResult<T> = { ok: true; spec: T } | { ok: false; errors: FieldError[] };

/**
 * Validates a spec and, when valid, returns it with defaults applied and the debounce in milliseconds:
 * the one call a reconciler needs before acting on a spec. Never throws.
 */
export function resolvePrefixSyncSpec(spec: unknown): ResolveResult<ResolvedPrefixSyncSpec> {
  const errors = validatePrefixSyncSpec(spec);
  if (errors.length > 0) return { ok: false, errors };
  // Valid means every field is present with the type PrefixSyncSpec declares.
  const defaulted = withPrefixSyncDefaults(spec as PrefixSyncSpec);
  const debounce = parseDuration(defaulted.debounce);
  return { ok: true, spec: { ...defaulted, debounceMs: debounce.ok ? debounce.ms : 0 } };
}
