// metav1.Condition bookkeeping shared by both controllers: a list keyed by `type`, where
// `lastTransitionTime` moves only when `status` changes.
import type { Condition, ConditionStatus } from '../../api/index.js';

/** A condition as a reconcile decides it; the time fields are filled in by {@link setCondition}. */
export interface ConditionUpdate {
  type: string;
  status: ConditionStatus;
  reason: string;
  message: string;
}

/**
 * The list with `update` put in place of the condition of the same type (appended if new). Keeps the
 * old `lastTransitionTime` when the status is unchanged, else sets it to `now`. Pure.
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  update: ConditionUpdate,
  observedGeneration: number | undefined,
  now: Date,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === update.type);
  const previous = index >= 0 ? list[index] : undefined;
  const next: Condition = {
    type: update.type,
    status: update.status,
    reason: update.reason,
    message: update.message,
    lastTransitionTime:
      previous && previous.status === update.status ? previous.lastTransitionTime : rfc3339(now),
    ...(observedGeneration !== undefined ? { observedGeneration } : {}),
  };
  if (index >= 0) list[index] = next;
  else list.push(next);
  return list;
}

/** The condition of `type`, if any. */
export function findCondition(
  conditions: readonly Condition[] | undefined,
  type: string,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

/** RFC 3339 with second precision, as Kubernetes writes metav1.Time. */
export function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
