// Following a started rollout to its end: every workload it patched runs the new pod template
// (from the workloads' own status), or one failed, or the progress deadline passed.
import type { RolledOutWorkload } from '../../api/index.js';
import { NotFoundError, type CallOptions } from '../../kube/index.js';
import { errorText } from './outcome.js';
import { templateHash, type WorkloadApi } from './rollout.js';
import { workloadHealth } from './workload-health.js';

/** Where a followed rollout is. */
export type RolloutProgressState =
  | { state: 'complete'; message: string }
  | { state: 'progressing'; message: string; remainingMs: number }
  | { state: 'failed'; message: string };

/** What to follow: the workloads rolled for one content hash, since when, and for how long at most. */
export interface FollowedRollout {
  namespace: string;
  prefixSyncName: string;
  hash: string;
  workloads: readonly RolledOutWorkload[];
  startedAtMs: number;
  deadlineMs: number;
  nowMs: number;
}

/**
 * Reads each rolled workload (a GET each) and judges the rollout: failed as soon as one workload failed
 * (a Deployment's ProgressDeadlineExceeded, or its pod template no longer carries the hash — someone
 * rolled it elsewhere), complete when every one is done, else progressing until the deadline, which
 * then fails it naming the workloads still waiting. A workload deleted meanwhile runs nothing old: it
 * counts as done. A workload that cannot be read counts as progressing (its read is retried).
 */
export async function followRollout(
  api: WorkloadApi,
  rollout: FollowedRollout,
  options: CallOptions = {},
): Promise<RolloutProgressState> {
  const failed: string[] = [];
  const waiting: string[] = [];
  const done: string[] = [];
  for (const { kind, name, hash } of rollout.workloads) {
    const label = `${kind} ${name}`;
    let workload;
    try {
      workload = await api.get({ kind, namespace: rollout.namespace, name }, options);
    } catch (err) {
      if (err instanceof NotFoundError) done.push(`${label} was deleted`);
      else waiting.push(`${label}: cannot be read (${errorText(err)})`);
      continue;
    }
    const carried = templateHash(workload, rollout.prefixSyncName);
    // Its own hash: the content's, or for a workload that consumes some keys only, theirs.
    if (carried !== hash) {
      failed.push(
        `${label}: its pod template carries content hash ${carried ?? '(none)'}, not ${hash} (changed by someone else, e.g. kubectl rollout undo)`,
      );
      continue;
    }
    const health = workloadHealth(kind, workload);
    if (health.state === 'failed') failed.push(`${label} ${health.message}`);
    else if (health.state === 'progressing') waiting.push(`${label}: ${health.message}`);
    else done.push(`${label}: ${health.message}`);
  }
  if (failed.length > 0) {
    return {
      state: 'failed',
      message: `rollout of content hash ${rollout.hash} failed: ${failed.join('; ')}`,
    };
  }
  if (waiting.length === 0) {
    return { state: 'complete', message: done.join('; ') || 'no workload to roll' };
  }
  const elapsed = rollout.nowMs - rollout.startedAtMs;
  if (elapsed >= rollout.deadlineMs) {
    return {
      state: 'failed',
      message: `rollout of content hash ${rollout.hash} did not complete within the progress deadline (${Math.round(rollout.deadlineMs / 1000)}s): ${waiting.join('; ')}`,
    };
  }
  return {
    state: 'progressing',
    message: `waiting for ${waiting.join('; ')}`,
    remainingMs: rollout.deadlineMs - elapsed,
  };
}
