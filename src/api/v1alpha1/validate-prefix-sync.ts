// The PrefixSync rules the operator relies on, checked in one pass. The CRD refuses most bad specs at
// admission already; this re-checks them (an object may predate the current CRD, or come from a server
// that skipped validation) and adds what a schema cannot say: duration bounds, duplicate targets,
// prefix normal form with a suggestion.
import { DEFAULT_ROLLOUT_MODE, DEFAULT_TARGET_FORMAT, MAX_DEBOUNCE_MS } from './defaults.js';
import { withPrefixSyncDefaults } from './defaults.js';
import type { DefaultedPrefixSyncSpec } from './defaults.js';
import { formatDuration, parseDuration } from './duration.js';
import type { FieldError, Loose } from './field-error.js';
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

function oneOf(value: unknown, allowed: readonly string[]): boolean {
  return typeof value === 'string' && allowed.includes(value);
}

function checkName(errors: FieldError[], path: string, value: unknown): void {
  if (typeof value !== 'string' || value === '') {
    errors.push({ path, message: 'is required' });
    return;
  }
  const problem = dns1123SubdomainProblem(value);
  if (problem) errors.push({ path, message: problem });
}

/**
 * Every problem of a PrefixSync spec, as `{path, message}` with paths from the object root
 * (`spec.target.key`). An empty list means the spec is valid. Never throws, whatever the input.
 */
export function validatePrefixSyncSpec(spec: Loose<PrefixSyncSpec> | undefined): FieldError[] {
  const errors: FieldError[] = [];
  if (spec === undefined || spec === null || typeof spec !== 'object') {
    return [{ path: 'spec', message: 'is required' }];
  }
  checkName(errors, 'spec.sourceRef.name', spec.sourceRef?.name);

  if (typeof spec.prefix !== 'string') errors.push({ path: 'spec.prefix', message: 'is required' });
  else {
    const problem = prefixProblem(spec.prefix);
    if (problem) errors.push({ path: 'spec.prefix', message: problem });
  }

  const target = spec.target;
  if (target === undefined) errors.push({ path: 'spec.target', message: 'is required' });
  else {
    checkName(errors, 'spec.target.name', target.name);
    const format = target.format ?? DEFAULT_TARGET_FORMAT;
    if (!oneOf(format, TARGET_FORMATS)) {
      errors.push({ path: 'spec.target.format', message: `must be one of ${TARGET_FORMATS.join(', ')}` });
    }
    if (target.key === undefined) {
      if (format !== 'files') {
        errors.push({ path: 'spec.target.key', message: `is required when format is ${format}` });
      }
    } else if (format === 'files') {
      errors.push({ path: 'spec.target.key', message: 'must not be set when format is files' });
    } else {
      const problem = typeof target.key === 'string' ? configMapKeyProblem(target.key) : 'must be a string';
      if (problem)
        errors.push({ path: 'spec.target.key', message: `is not a valid ConfigMap key: ${problem}` });
    }
  }

  if (spec.keys?.separator !== undefined && !oneOf(spec.keys.separator, KEY_SEPARATORS)) {
    errors.push({ path: 'spec.keys.separator', message: `must be one of ${KEY_SEPARATORS.join(' ')}` });
  }

  errors.push(...validateRollout(spec.rollout));

  if (spec.debounce !== undefined) {
    const parsed = typeof spec.debounce === 'string' ? parseDuration(spec.debounce) : undefined;
    if (parsed === undefined) errors.push({ path: 'spec.debounce', message: 'must be a string' });
    else if (!parsed.ok) errors.push({ path: 'spec.debounce', message: parsed.message });
    else if (parsed.ms > MAX_DEBOUNCE_MS) {
      errors.push({ path: 'spec.debounce', message: `must be at most ${formatDuration(MAX_DEBOUNCE_MS)}` });
    }
  }
  if (spec.suspend !== undefined && typeof spec.suspend !== 'boolean') {
    errors.push({ path: 'spec.suspend', message: 'must be true or false' });
  }
  if (spec.deletionPolicy !== undefined && !oneOf(spec.deletionPolicy, DELETION_POLICIES)) {
    errors.push({ path: 'spec.deletionPolicy', message: `must be one of ${DELETION_POLICIES.join(', ')}` });
  }
  return errors;
}

function validateRollout(rollout: Loose<PrefixSyncSpec['rollout']>): FieldError[] {
  if (rollout === undefined) return [];
  const errors: FieldError[] = [];
  const mode = rollout.mode ?? DEFAULT_ROLLOUT_MODE;
  if (!oneOf(mode, ROLLOUT_MODES)) {
    errors.push({ path: 'spec.rollout.mode', message: `must be one of ${ROLLOUT_MODES.join(', ')}` });
  }
  const targets = rollout.targets ?? [];
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
  targets.forEach((t, i) => {
    const at = `spec.rollout.targets[${i}]`;
    if (!oneOf(t.kind, WORKLOAD_KINDS)) {
      errors.push({ path: `${at}.kind`, message: `must be one of ${WORKLOAD_KINDS.join(', ')}` });
    }
    checkName(errors, `${at}.name`, t.name);
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
  return errors;
}

/** A valid PrefixSync spec with defaults applied and the debounce parsed. */
export interface ResolvedPrefixSyncSpec extends DefaultedPrefixSyncSpec {
  /** `debounce` in milliseconds, 0 to {@link MAX_DEBOUNCE_MS}. */
  debounceMs: number;
}

/** The result of {@link resolvePrefixSyncSpec}. */
export type ResolveResult<T> = { ok: true; spec: T } | { ok: false; errors: FieldError[] };

/**
 * Validates a spec and, when valid, returns it with defaults applied and the debounce in milliseconds:
 * the one call a reconciler needs before acting on a spec. Never throws.
 */
export function resolvePrefixSyncSpec(
  spec: PrefixSyncSpec | Loose<PrefixSyncSpec> | undefined,
): ResolveResult<ResolvedPrefixSyncSpec> {
  const errors = validatePrefixSyncSpec(spec);
  if (errors.length > 0) return { ok: false, errors };
  // Valid means every required field is present with the right type.
  const defaulted = withPrefixSyncDefaults(spec as PrefixSyncSpec);
  const debounce = parseDuration(defaulted.debounce);
  return { ok: true, spec: { ...defaulted, debounceMs: debounce.ok ? debounce.ms : 0 } };
}
