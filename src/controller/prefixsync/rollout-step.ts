// The rollout step of a sync: starts a rollout when the content hash changed (after
// rollout.minInterval), follows a started one to its end, and otherwise checks the targets.
import {
  ConditionStatus,
  PrefixSyncConditionType,
  PrefixSyncReason,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
  type RolledOutWorkload,
  type WorkloadReference,
} from '../../api/index.js';
import { podTemplateOf } from '../../kube/index.js';
import { requestKey, type ReconcileContext } from '../../runtime/index.js';
import { findCondition } from '../shared/conditions.js';
import { errorText } from './outcome.js';
import { isKeysHash, type RolloutContent } from './consumed-keys.js';
import { followRollout } from './rollout-progress.js';
import {
  findTargets,
  isRolloutDue,
  missingMessage,
  notConsumerMessage,
  podSpecUsesConfigMap,
  rollOut,
  templateHash,
  type WorkloadApi,
} from './rollout.js';
import type { RolloutSlots } from './rollout-slots.js';
import { retargetReferences, versionName } from './versions.js';
import type { RolloutOutcome } from './status.js';

/** How often a rollout in progress is looked at when no workload event comes (a safety net). */
export const FOLLOW_POLL_MS = 10_000;
/** A requeue right away (0 would mean none). */
const FOLLOW_AT_ONCE_MS = 1;

/** What the rollout step needs. */
export interface RolloutStepDeps {
  workloads: WorkloadApi;
  metrics?: { incRollout(kind: string): void };
  now: () => Date;
  /** Restart listed targets that do not reference the ConfigMap (the operator's `--rollout-non-consumers`). */
  restartNonConsumers?: boolean;
  /** The operator-wide limit on rollouts in progress (`--max-concurrent-rollouts`). Default none. */
  slots?: RolloutSlots;
}

/** The key a PrefixSync holds a rollout slot under. */
export function slotKey(psync: PrefixSync): string {
  return requestKey({ namespace: psync.metadata.namespace ?? '', name: psync.metadata.name ?? '' });
}

/** How soon a rollout waiting for a free slot looks again. */
export const SLOT_RETRY_MS = 2_000;

/**
 * Runs the rollout step for content `hash` (the content the ConfigMap now holds): starts a rollout
 * when the hash differs from the one in status (and minInterval allows), follows the one in
 * `status.rollout` while it progresses, and otherwise checks that the targets exist and use the
 * ConfigMap. Never throws for a workload problem: the outcome names it.
 */
export async function rolloutStep(
  deps: RolloutStepDeps,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  hash: string,
  ctx: ReconcileContext,
  content?: RolloutContent,
  running?: RolloutContent,
): Promise<RolloutOutcome> {
  const outcome = await step(deps, psync, spec, hash, ctx, content, running);
  // A slot is held exactly while a rollout is in progress.
  const key = slotKey(psync);
  if (outcome.kind === 'progressing') deps.slots?.hold(key);
  else if (outcome.kind !== 'delayed') deps.slots?.release(key);
  return outcome;
}

async function step(
  deps: RolloutStepDeps,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  hash: string,
  ctx: ReconcileContext,
  content: RolloutContent | undefined,
  running: RolloutContent | undefined,
): Promise<RolloutOutcome> {
  if (spec.rollout.mode === 'none') return { kind: 'disabled' };
  const namespace = psync.metadata.namespace ?? '';
  const status = psync.status;
  // A versioned target's first sync points the workloads at its first version.
  const due = isRolloutDue(status?.contentHash, hash) || (spec.target.versioned && !status?.contentHash);
  if (due) {
    const wait = minIntervalWait(psync, spec, deps.now());
    if (wait > 0) {
      const at = new Date(deps.now().getTime() + wait).toISOString();
      return {
        kind: 'delayed',
        message: `the ConfigMap holds content hash ${hash}; the workloads roll to it at ${at} (rollout.minInterval ${spec.rollout.minInterval} since the last rollout)`,
        requeueAfterMs: wait,
      };
    }
    const key = slotKey(psync);
    if (deps.slots && !deps.slots.tryAcquire(key)) {
      return {
        kind: 'delayed',
        message: `the ConfigMap holds content hash ${hash}; the workloads roll to it when one of the operator's ${deps.slots.limit} rollout slots is free (--max-concurrent-rollouts)`,
        requeueAfterMs: SLOT_RETRY_MS,
      };
    }
    return startRollout(deps, psync, spec, hash, ctx, content, running);
  }
  const targets = await checkTargets(deps, psync, spec, ctx);
  if (targets) return targets;
  const progress = status?.rollout;
  if (progress?.contentHash === hash && progress.phase === 'Progressing') {
    // A key-aware workload carries the hash of its keys, not of the content (see consumed-keys.ts).
    const rolled = (status?.rolledOut ?? []).filter((w) => w.hash === hash || isKeysHash(w.hash));
    const state = await followRollout(
      deps.workloads,
      {
        namespace,
        prefixSyncName: psync.metadata.name ?? '',
        hash,
        workloads: rolled,
        // startTime has whole seconds: count from the end of that second, never too early.
        startedAtMs: (Date.parse(progress.startTime ?? '') || deps.now().getTime()) + 999,
        deadlineMs: spec.progressDeadlineMs,
        nowMs: deps.now().getTime(),
      },
      { signal: ctx.signal },
    );
    switch (state.state) {
      case 'complete': {
        // Ordered: the stage is done; the next target in the list is rolled now.
        if (isOrdered(spec) && (await nextStage(deps, psync, spec, hash, ctx))) {
          return startRollout(deps, psync, spec, hash, ctx);
        }
        ctx.logger.info('rollout complete', { contentHash: hash });
        return { kind: 'complete', rolled, message: state.message };
      }
      case 'failed':
        ctx.logger.warn('rollout failed', { contentHash: hash, error: state.message });
        return { kind: 'failed', reason: 'RolloutFailed', message: state.message, rolled, unhealthy: true };
      case 'progressing':
        return {
          kind: 'progressing',
          started: false,
          rolled,
          patched: [],
          message: state.message,
          requeueAfterMs: Math.min(FOLLOW_POLL_MS, state.remainingMs),
        };
    }
  }
  // A failed rollout stays failed until new content (or a rollback) replaces it.
  if (progress?.contentHash === hash && progress.phase === 'Failed') return { kind: 'unchanged' };
  const previous = findCondition(status?.conditions, PrefixSyncConditionType.RolledOut);
  const fresh =
    !status?.contentHash ||
    !previous ||
    previous.reason === PrefixSyncReason.RolloutDisabled ||
    previous.status !== ConditionStatus.True;
  return fresh ? { kind: 'initial' } : { kind: 'unchanged' };
}

/** How long until `rollout.minInterval` has passed since the last rollout (0: now). */
function minIntervalWait(psync: PrefixSync, spec: ResolvedPrefixSyncSpec, now: Date): number {
  if (spec.minIntervalMs <= 0) return 0;
  const last = Date.parse(psync.status?.lastRolloutTime ?? '');
  if (Number.isNaN(last)) return 0;
  // lastRolloutTime has whole seconds: count from the end of that second, never too early.
  return Math.max(0, last + 999 + spec.minIntervalMs - now.getTime());
}

/**
 * Patches the selected workloads to `hash` and starts following them, whatever minInterval says (a
 * rollback calls it directly).
 */
export async function startRollout(
  deps: RolloutStepDeps,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  hash: string,
  ctx: ReconcileContext,
  content?: RolloutContent,
  running?: RolloutContent,
): Promise<RolloutOutcome> {
  let result;
  let rolloutSpec = spec.rollout;
  let before: RolledOutWorkload[] = [];
  let stageText = '';
  try {
    if (isOrdered(spec)) {
      // One target at a time, in the listed order: those before the stage run the content already.
      const stage = await nextStage(deps, psync, spec, hash, ctx);
      if (stage) {
        rolloutSpec = { ...spec.rollout, targets: [stage.target] };
        before = stage.before;
        stageText = `stage ${stage.index + 1} of ${spec.rollout.targets.length}: `;
      }
    }
    result = await rollOut(
      deps.workloads,
      {
        namespace: psync.metadata.namespace ?? '',
        prefixSyncName: psync.metadata.name ?? '',
        rollout: rolloutSpec,
        configMapName: spec.target.name,
        hash,
        ...(content ? { content, ...(running ? { previous: running } : {}) } : {}),
        ...(spec.target.versioned ? { version: versionName(spec.target.name, hash) } : {}),
        ...(spec.target.kind === 'Secret' ? { targetKind: 'Secret' as const } : {}),
        ...(deps.restartNonConsumers ? { restartNonConsumers: true } : {}),
      },
      { signal: ctx.signal },
    );
  } catch (err) {
    return {
      kind: 'failed',
      reason: 'RolloutFailed',
      message: `listing workloads failed: ${errorText(err)}`,
      rolled: [],
    };
  }
  for (const w of result.patched) {
    deps.metrics?.incRollout(w.kind);
    ctx.logger.info('rolled out workload', { workload: `${w.kind}/${w.name}`, hash });
  }
  const rolled = [...before, ...result.rolled];
  if (!result.ok) return { kind: 'failed', reason: result.reason, message: result.message, rolled };
  if (spec.rollout.mode === 'auto' && result.rolled.length === 0 && !result.selected) {
    return { kind: 'no-workloads' };
  }
  const names =
    result.rolled.map((w) => `${w.kind} ${w.name}`).join(', ') || 'no workload (none consumes a changed key)';
  return {
    kind: 'progressing',
    started: true,
    rolled,
    patched: result.patched,
    message: `${stageText}rolling ${names} to content hash ${hash}`,
    // Nothing patched (key-aware: no workload reads a changed key): no workload event will come, and
    // their state is known now, so look again at once rather than at the next poll.
    requeueAfterMs:
      result.patched.length === 0 ? FOLLOW_AT_ONCE_MS : Math.min(FOLLOW_POLL_MS, spec.progressDeadlineMs),
  };
}

/** Whether targets are rolled one after another (`strategy: Ordered`, mode targets). */
function isOrdered(spec: ResolvedPrefixSyncSpec): boolean {
  return spec.rollout.strategy === 'Ordered' && spec.rollout.mode === 'targets';
}

/**
 * The first target, in the listed order, that does not run content `hash` yet (its pod template lacks
 * the hash, or with versioned its references are not on the version), with the targets before it;
 * undefined when every target runs it. A target that cannot be read is the stage (rolling it reports why).
 */
async function nextStage(
  deps: RolloutStepDeps,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  hash: string,
  ctx: ReconcileContext,
): Promise<{ index: number; target: WorkloadReference; before: RolledOutWorkload[] } | undefined> {
  const namespace = psync.metadata.namespace ?? '';
  const before: RolledOutWorkload[] = [];
  for (const [index, target] of spec.rollout.targets.entries()) {
    let workload;
    try {
      workload = await deps.workloads.get({ ...target, namespace }, { signal: ctx.signal });
    } catch {
      return { index, target, before };
    }
    const onVersion =
      !spec.target.versioned ||
      retargetReferences(
        podTemplateOf(workload)?.spec,
        spec.target.name,
        versionName(spec.target.name, hash),
      ) === undefined;
    if (templateHash(workload, psync.metadata.name ?? '') !== hash || !onVersion) {
      return { index, target, before };
    }
    before.push({ kind: target.kind, name: target.name, hash });
  }
  return undefined;
}

/**
 * No rollout is due. With mode `targets`, a target that does not exist, cannot be read, or does not
 * use the ConfigMap fails the step as a due rollout would (from the first sync on), keeping
 * `status.rolledOut`. Undefined when the targets are fine.
 */
async function checkTargets(
  deps: RolloutStepDeps,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  ctx: ReconcileContext,
): Promise<RolloutOutcome | undefined> {
  if (spec.rollout.mode !== 'targets') return undefined;
  const namespace = psync.metadata.namespace ?? '';
  const { found, missing, failures } = await findTargets(deps.workloads, namespace, spec.rollout.targets, {
    signal: ctx.signal,
  });
  const rolled = psync.status?.rolledOut ?? [];
  if (failures.length > 0) {
    const message = `reading rollout targets failed: ${failures.join('; ')}`;
    return { kind: 'failed', reason: 'RolloutFailed', message, rolled };
  }
  if (missing.length > 0) {
    return { kind: 'failed', reason: 'TargetNotFound', message: missingMessage(namespace, missing), rolled };
  }
  const notConsumers = found
    .filter(
      (t) =>
        !deps.restartNonConsumers &&
        !podSpecUsesConfigMap(podTemplateOf(t.workload)?.spec, spec.target.name, spec.target.versioned),
    )
    .map((t) => `${t.kind} ${t.workload.metadata?.name ?? ''}`);
  if (notConsumers.length > 0) {
    return {
      kind: 'failed',
      reason: 'TargetNotConsumer',
      message: notConsumerMessage(spec.target.name, notConsumers),
      rolled,
    };
  }
  return undefined;
}
