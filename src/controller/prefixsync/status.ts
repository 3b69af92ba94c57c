// Pure: a PrefixSync's status for the outcome of one reconcile. Written once, at the end.
import {
  ConditionStatus,
  PrefixSyncConditionType,
  PrefixSyncReason,
  type ContentVersion,
  type HeldChange,
  type PrefixSyncStatus,
  type RolledBackChange,
  type RolledOutWorkload,
  type RolloutProgress,
  type SourceRevision,
  type RevocationPolicy,
} from '../../api/index.js';
import { rfc3339, setCondition, type ConditionUpdate } from '../shared/conditions.js';

/** What became of the rollout step of a successful sync. */
export type RolloutOutcome =
  /** `spec.rollout.mode: none`. */
  | { kind: 'disabled' }
  /** First sync, or first after an operator restart with unchanged content: recorded, nothing rolled. */
  | { kind: 'initial' }
  /** The hash did not change and no rollout is being followed: the RolledOut condition stays as it was. */
  | { kind: 'unchanged' }
  /** Mode auto found no workload using the ConfigMap. */
  | { kind: 'no-workloads' }
  /**
   * The workloads are rolling to the content: `started` when this reconcile patched them (`patched`;
   * the progress deadline counts from now), else a rollout followed since an earlier one.
   */
  | {
      kind: 'progressing';
      started: boolean;
      rolled: RolledOutWorkload[];
      patched: RolledOutWorkload[];
      message: string;
      requeueAfterMs: number;
    }
  /** A rollout is due but `rollout.minInterval` has not passed since the last one. */
  | { kind: 'delayed'; message: string; requeueAfterMs: number }
  /** Every rolled workload runs the content. */
  | { kind: 'complete'; rolled: RolledOutWorkload[]; message: string }
  /**
   * Patching failed (`RolloutFailed`, retried), a target is missing or does not use the ConfigMap, or
   * (`unhealthy`) the patched workloads did not come up: then `rollout.onFailure` applies.
   */
  | {
      kind: 'failed';
      reason: 'TargetNotFound' | 'TargetNotConsumer' | 'RolloutFailed';
      message: string;
      rolled: RolledOutWorkload[];
      unhealthy?: boolean;
    };

/** The outcome of one reconcile, as status reports it. */
export type SyncOutcome =
  | {
      kind: 'synced';
      configMap: string;
      prefix: string;
      revision: bigint;
      contentHash: string;
      keyCount: number;
      byteCount: number;
      rollout: RolloutOutcome;
      /** With `keys.onInvalid: Skip`: the etcd keys left out (capped list) and how many in all. */
      skipped?: { keys: string[]; count: number };
      /** Served at `spec.pinRevision` instead of following etcd. */
      pinned?: boolean;
      /** With sources on several ClusterEtcdSources: where each was read (`status.sources`). */
      sources?: SourceRevision[];
      /** The content just kept as the last good one (its rollout succeeded, or the first sync's). */
      lastGood?: ContentVersion;
      /**
       * A revision whose rollout failed is held back: the ConfigMap holds the restored content
       * (`revision`, `contentHash` are the restored one's).
       */
      rolledBack?: RolledBackChange;
      /** The `onRevoke` of the access rule that allowed this sync. */
      onRevoke?: RevocationPolicy;
    }
  /**
   * The sync failed, or a guard held the revision (`held`); the ConfigMap (if any) is as it was.
   */
  | {
      kind: 'failed';
      reason: PrefixSyncReason;
      message: string;
      held?: HeldChange;
      /** Access was revoked under `onRevoke: Delete`: the ConfigMap is gone, status claims no content. */
      revoked?: boolean;
    }
  | { kind: 'suspended' }
  /** Waiting for something that will trigger the next reconcile (e.g. the source's first connection). */
  | { kind: 'pending'; message: string };

function rolloutCondition(rollout: RolloutOutcome, hash: string): Omit<ConditionUpdate, 'type'> | undefined {
  switch (rollout.kind) {
    case 'disabled':
      return {
        status: ConditionStatus.True,
        reason: PrefixSyncReason.RolloutDisabled,
        message: 'rollout mode is none',
      };
    case 'initial':
      return {
        status: ConditionStatus.True,
        reason: PrefixSyncReason.InitialSync,
        message: `recorded content hash ${hash} without restarting anything`,
      };
    case 'unchanged':
      return undefined;
    case 'no-workloads':
      return {
        status: ConditionStatus.True,
        reason: PrefixSyncReason.NoWorkloads,
        message: 'no Deployment, StatefulSet or DaemonSet uses the ConfigMap',
      };
    case 'progressing':
      return {
        status: ConditionStatus.Unknown,
        reason: PrefixSyncReason.Progressing,
        message: rollout.message,
      };
    case 'delayed':
      return {
        status: ConditionStatus.Unknown,
        reason: PrefixSyncReason.RolloutDelayed,
        message: rollout.message,
      };
    case 'complete':
      return {
        status: ConditionStatus.True,
        reason: PrefixSyncReason.RolledOut,
        message: `${rollout.rolled.map((w) => `${w.kind} ${w.name}`).join(', ') || 'no workload'} run${rollout.rolled.length === 1 ? 's' : ''} content hash ${hash} (${rollout.message})`,
      };
    case 'failed':
      return { status: ConditionStatus.False, reason: rollout.reason, message: rollout.message };
  }
}

/** `status.rollout` after this reconcile's rollout step; `previous` when the step says nothing new. */
function nextRolloutProgress(
  previous: RolloutProgress | undefined,
  rollout: RolloutOutcome,
  content: ContentVersion,
  now: string,
  isRollback: boolean,
): RolloutProgress | undefined {
  const message = 'message' in rollout ? rollout.message : undefined;
  switch (rollout.kind) {
    case 'progressing':
      if (rollout.started) {
        return {
          ...content,
          phase: 'Progressing',
          startTime: now,
          ...(isRollback ? { rollback: true } : {}),
          ...(message ? { message } : {}),
        };
      }
      return previous && { ...previous, ...(message ? { message } : {}) };
    case 'delayed':
      return { ...content, phase: 'Waiting', ...(message ? { message } : {}) };
    case 'complete':
      return (
        previous && { ...previous, phase: 'Complete', completionTime: now, ...(message ? { message } : {}) }
      );
    case 'failed':
      if (!rollout.unhealthy) return previous;
      return (
        previous && { ...previous, phase: 'Failed', completionTime: now, ...(message ? { message } : {}) }
      );
    default:
      return previous;
  }
}

/**
 * The next status: conditions Ready/Synced/RolledOut (Ready False carries the failing reason), and on
 * success `syncedRevision`, `contentHash` (kept at the old value when patching a workload failed, so
 * that the next reconcile retries it; recorded when only a missing target failed), counts, times, skipped keys and the pin; a held revision in `held` until
 * a sync succeeds. Everything else is kept from `previous`. Pure.
 */
export function nextStatus(
  previous: PrefixSyncStatus | undefined,
  outcome: SyncOutcome,
  generation: number | undefined,
  now: Date,
): PrefixSyncStatus {
  const status: PrefixSyncStatus = { ...previous };
  if (generation !== undefined) status.observedGeneration = generation;
  let conditions = previous?.conditions;
  const set = (type: string, update: Omit<ConditionUpdate, 'type'>): void => {
    conditions = setCondition(conditions, { type, ...update }, generation, now);
  };
  switch (outcome.kind) {
    case 'synced': {
      const revisionText = outcome.revision.toString();
      if (status.syncedRevision !== revisionText || status.contentHash !== outcome.contentHash) {
        status.lastSyncTime = rfc3339(now);
      }
      status.syncedRevision = revisionText;
      if (outcome.sources) status.sources = outcome.sources;
      else delete status.sources;
      status.keyCount = outcome.keyCount;
      status.byteCount = outcome.byteCount;
      delete status.held;
      if (outcome.skipped && outcome.skipped.count > 0) {
        status.skippedKeys = outcome.skipped.keys;
        status.skippedKeyCount = outcome.skipped.count;
      } else {
        delete status.skippedKeys;
        delete status.skippedKeyCount;
      }
      if (outcome.pinned) status.pinnedRevision = revisionText;
      else delete status.pinnedRevision;
      const skipped = outcome.skipped?.count
        ? `; ${outcome.skipped.count} invalid key${outcome.skipped.count === 1 ? '' : 's'} skipped (see status.skippedKeys)`
        : '';
      const pinned = outcome.pinned ? ' (pinned by spec.pinRevision)' : '';
      const rolledBack = outcome.rolledBack;
      if (rolledBack) {
        status.rolledBack = rolledBack;
        const keys = rolledBack.changedKeys?.length
          ? `; it changed ${rolledBack.changedKeys.join(', ')}`
          : '';
        set(PrefixSyncConditionType.Synced, {
          status: ConditionStatus.False,
          reason: PrefixSyncReason.RolledBack,
          message: `rolled back to revision ${rolledBack.restored.revision} (content hash ${rolledBack.restored.contentHash}) because the rollout of revision ${rolledBack.revision} failed: ${rolledBack.message}${keys}. Revision ${rolledBack.revision} is held until etcd holds different content or the etcdconfig.dev/force-sync annotation changes`,
        });
      } else {
        delete status.rolledBack;
        set(PrefixSyncConditionType.Synced, {
          status: ConditionStatus.True,
          reason: PrefixSyncReason.Synced,
          message: `ConfigMap ${outcome.configMap} holds ${outcome.keyCount} key${outcome.keyCount === 1 ? '' : 's'} of ${outcome.prefix} at revision ${revisionText}${pinned}${skipped}`,
        });
      }
      const rollout = outcome.rollout;
      const condition = rolloutCondition(rollout, outcome.contentHash);
      if (condition) set(PrefixSyncConditionType.RolledOut, condition);
      else if (!conditions?.some((c) => c.type === PrefixSyncConditionType.RolledOut)) {
        set(PrefixSyncConditionType.RolledOut, {
          status: ConditionStatus.True,
          reason: PrefixSyncReason.InitialSync,
          message: `content hash ${outcome.contentHash} unchanged`,
        });
      }
      // A missing or non-consuming target is reported only once every target that exists and uses the
      // ConfigMap runs the hash (see rollOut): recording it then means a target created later starts
      // with this content and is not restarted for it. A failed patch (RolloutFailed) and a rollout
      // delayed by minInterval keep the old hash, so that a later reconcile rolls.
      const retried =
        (rollout.kind === 'failed' && rollout.reason === 'RolloutFailed' && !rollout.unhealthy) ||
        rollout.kind === 'delayed';
      if (!retried) status.contentHash = outcome.contentHash;
      const nowText = rfc3339(now);
      if (rollout.kind === 'progressing' && rollout.patched.length > 0) status.lastRolloutTime = nowText;
      if (
        (rollout.kind === 'progressing' && rollout.started) ||
        rollout.kind === 'failed' ||
        rollout.kind === 'complete'
      ) {
        status.rolledOut = rollout.rolled;
      }
      const progress = nextRolloutProgress(
        status.rollout,
        rollout,
        { revision: revisionText, contentHash: outcome.contentHash },
        nowText,
        rolledBack !== undefined,
      );
      if (progress) status.rollout = progress;
      else delete status.rollout;
      if (outcome.lastGood) status.lastGood = outcome.lastGood;
      if (outcome.onRevoke === 'Delete') status.onRevoke = 'Delete';
      else if (outcome.onRevoke === 'Keep') delete status.onRevoke;
      const rolledOut = conditions?.find((c) => c.type === PrefixSyncConditionType.RolledOut);
      const synced = conditions?.find((c) => c.type === PrefixSyncConditionType.Synced);
      const notReady =
        synced?.status !== ConditionStatus.True
          ? synced
          : rolledOut?.status !== ConditionStatus.True
            ? rolledOut
            : undefined;
      set(
        PrefixSyncConditionType.Ready,
        notReady
          ? {
              status:
                notReady.status === ConditionStatus.Unknown ? ConditionStatus.Unknown : ConditionStatus.False,
              reason: notReady.reason,
              message: notReady.message,
            }
          : {
              status: ConditionStatus.True,
              reason: PrefixSyncReason.Synced,
              message: outcome.pinned
                ? `pinned at revision ${revisionText} by spec.pinRevision`
                : `synced at revision ${revisionText}`,
            },
      );
      break;
    }
    case 'failed':
      if (outcome.held) status.held = outcome.held;
      if (outcome.revoked) {
        for (const field of REVOKED_FIELDS) delete status[field];
      }
      set(PrefixSyncConditionType.Synced, {
        status: ConditionStatus.False,
        reason: outcome.reason,
        message: outcome.message,
      });
      set(PrefixSyncConditionType.Ready, {
        status: ConditionStatus.False,
        reason: outcome.reason,
        message: outcome.message,
      });
      break;
    case 'suspended': {
      const message = 'spec.suspend is true: the ConfigMap is left as it is';
      set(PrefixSyncConditionType.Synced, {
        status: ConditionStatus.False,
        reason: PrefixSyncReason.Suspended,
        message,
      });
      set(PrefixSyncConditionType.Ready, {
        status: ConditionStatus.False,
        reason: PrefixSyncReason.Suspended,
        message,
      });
      break;
    }
    case 'pending':
      set(PrefixSyncConditionType.Synced, {
        status: ConditionStatus.Unknown,
        reason: PrefixSyncReason.Pending,
        message: outcome.message,
      });
      set(PrefixSyncConditionType.Ready, {
        status: ConditionStatus.Unknown,
        reason: PrefixSyncReason.Pending,
        message: outcome.message,
      });
      break;
  }
  status.conditions = sortConditions(conditions ?? []);
  return status;
}

/** What status no longer claims once a revoked PrefixSync's ConfigMap is deleted. */
const REVOKED_FIELDS = [
  'syncedRevision',
  'contentHash',
  'keyCount',
  'byteCount',
  'rolledOut',
  'rollout',
  'lastGood',
  'rolledBack',
  'skippedKeys',
  'skippedKeyCount',
  'pinnedRevision',
  'sources',
  'onRevoke',
] as const satisfies readonly (keyof PrefixSyncStatus)[];

const ORDER: readonly string[] = [
  PrefixSyncConditionType.Ready,
  PrefixSyncConditionType.Synced,
  PrefixSyncConditionType.RolledOut,
];

function sortConditions<T extends { type: string }>(list: T[]): T[] {
  return [...list].sort((a, b) => rank(a.type) - rank(b.type));
}

function rank(type: string): number {
  const i = ORDER.indexOf(type);
  return i < 0 ? ORDER.length : i;
}
