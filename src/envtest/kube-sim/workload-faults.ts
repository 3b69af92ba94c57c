// The simulator's switch for failing rollouts, for tests and for rehearsing with `sim`: annotations on a
// Deployment's, StatefulSet's or DaemonSet's own metadata that make the pods of a rollout never become
// ready, the way a crash-looping release does on a real cluster. Read when a rollout starts (a new pod
// template is observed); workload-status.ts applies the verdict.
import { objectAt, stringAt, type JsonObject } from './json.js';
import { configMapsOfTemplate } from './pod-template.js';
import type { FieldError } from './status-error.js';

/**
 * `"true"`: every rollout that starts while this is set fails — its new pods never become ready
 * (`"false"` or absent: rollouts succeed). Any other value is refused with 422.
 */
export const FAIL_ROLLOUTS_ANNOTATION = 'sim.etcdconfig.dev/fail-rollouts';

/**
 * `"<key>=<value>[,<key>=<value>...]"`: a content-aware fake application. A rollout fails when a
 * ConfigMap the pod template uses holds `data[key] === value` for any of the conditions at the moment
 * the rollout starts. Around each condition, whitespace is ignored; a value cannot contain `,` nor
 * start or end with whitespace. A value without `=` or with an empty key is refused with 422.
 */
export const FAIL_WHEN_ANNOTATION = 'sim.etcdconfig.dev/fail-when';

/** One `<key>=<value>` of {@link FAIL_WHEN_ANNOTATION}. */
export interface FailCondition {
  readonly key: string;
  readonly value: string;
}

/** What {@link parseFailWhen} makes of an annotation value. */
export type FailWhenParse =
  | { readonly ok: true; readonly conditions: readonly FailCondition[] }
  | { readonly ok: false; readonly error: string };

/** Parses a {@link FAIL_WHEN_ANNOTATION} value; never throws. */
export function parseFailWhen(text: string): FailWhenParse {
  const conditions: FailCondition[] = [];
  for (const part of text.split(',')) {
    const item = part.trim();
    const eq = item.indexOf('=');
    if (eq < 0) return { ok: false, error: `'${item}' is not <key>=<value>` };
    const key = item.slice(0, eq).trim();
    if (key === '') return { ok: false, error: `'${item}' has an empty key` };
    conditions.push({ key, value: item.slice(eq + 1).trim() });
  }
  return { ok: true, conditions };
}

function annotationsOf(workload: JsonObject): JsonObject {
  return objectAt(objectAt(workload, 'metadata') ?? {}, 'annotations') ?? {};
}

/**
 * The admission check of the switch: the field errors of a workload whose switch annotations cannot be
 * read (none when they are absent or well-formed), in the form `invalid()` takes.
 */
export function failSwitchErrors(workload: JsonObject): FieldError[] {
  const annotations = annotationsOf(workload);
  const errors: FieldError[] = [];
  const failRollouts = stringAt(annotations, FAIL_ROLLOUTS_ANNOTATION);
  if (failRollouts !== undefined && failRollouts !== 'true' && failRollouts !== 'false') {
    errors.push({
      field: `metadata.annotations[${FAIL_ROLLOUTS_ANNOTATION}]`,
      reason: 'FieldValueInvalid',
      message: `Invalid value: "${failRollouts}": must be "true" or "false" (the simulator's fail switch)`,
    });
  }
  const failWhen = stringAt(annotations, FAIL_WHEN_ANNOTATION);
  if (failWhen !== undefined) {
    const parsed = parseFailWhen(failWhen);
    if (!parsed.ok) {
      errors.push({
        field: `metadata.annotations[${FAIL_WHEN_ANNOTATION}]`,
        reason: 'FieldValueInvalid',
        message: `Invalid value: "${failWhen}": ${parsed.error}; must be <key>=<value>[,<key>=<value>...] (the simulator's fail switch)`,
      });
    }
  }
  return errors;
}

/**
 * Whether a rollout of `workload`'s current pod template, starting now, fails: the
 * {@link FAIL_ROLLOUTS_ANNOTATION} is `"true"`, or a {@link FAIL_WHEN_ANNOTATION} condition holds in a
 * ConfigMap of the template (`configMap(name)` reads one from the workload's namespace; a missing one
 * matches nothing). A malformed annotation (only possible if written before admission checked it) fails
 * nothing.
 */
export function rolloutFails(
  workload: JsonObject,
  configMap: (name: string) => JsonObject | undefined,
): boolean {
  const annotations = annotationsOf(workload);
  if (stringAt(annotations, FAIL_ROLLOUTS_ANNOTATION) === 'true') return true;
  const failWhen = stringAt(annotations, FAIL_WHEN_ANNOTATION);
  if (failWhen === undefined) return false;
  const parsed = parseFailWhen(failWhen);
  if (!parsed.ok) return false;
  const template = objectAt(objectAt(workload, 'spec') ?? {}, 'template');
  return configMapsOfTemplate(template).some((name) => {
    const data = objectAt(configMap(name) ?? {}, 'data') ?? {};
    return parsed.conditions.some((c) => data[c.key] === c.value);
  });
}
