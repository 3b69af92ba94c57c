// rollout.onFailure Rollback: the last content whose rollout succeeded goes back into the ConfigMap
// and the workloads roll back to it; the failed content is then held until etcd holds different
// content or the force-sync annotation changes.
import {
  FORCE_SYNC_ANNOTATION,
  type ContentVersion,
  type PrefixSync,
  type RolledBackChange,
  type ResolvedPrefixSyncSpec,
} from '../../api/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import type { RenderSuccess } from '../../sync/index.js';
import type { ContentHistory, KeptContent } from './content-history.js';
import type { SyncedOutcome } from './outcome.js';
import { slotKey, startRollout, type RolloutStepDeps } from './rollout-step.js';
import type { RolloutOutcome } from './status.js';

/** Most keys `status.rolledBack.changedKeys` lists. */
export const MAX_CHANGED_KEYS_LISTED = 20;

/** The rolled-back change `psync` holds for `content`, if this content is the one held. */
export function heldRollback(psync: PrefixSync, content: RenderSuccess): RolledBackChange | undefined {
  const held = psync.status?.rolledBack;
  if (!held || held.contentHash !== content.contentHash) return undefined;
  const force = psync.metadata.annotations?.[FORCE_SYNC_ANNOTATION] ?? '';
  return force === (held.forceSync ?? '') ? held : undefined;
}

/** The ConfigMap keys whose value differs between two contents (added, changed or removed), sorted. */
export function changedKeys(from: KeptContent, to: RenderSuccess): string[] {
  const before = { ...from.data, ...from.binaryData };
  const after = { ...to.data, ...to.binaryData };
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

/** What a rollback needs. */
export interface RollbackDeps {
  history: ContentHistory;
  /** Publishes a content as the target (the ConfigMap, or its version when versioned). */
  publish: (content: RenderSuccess, revision: bigint) => Promise<boolean>;
  rollout: RolloutStepDeps;
}

/** A rollback: done (the outcome to report), or why it could not be. */
export type RollbackResult = { ok: true; outcome: SyncedOutcome } | { ok: false; why: string };

/**
 * Rolls back from `failed` (the content whose rollout failed, at `failedRevision`): writes the last
 * good content kept in the history into the ConfigMap and rolls the workloads to it. Does nothing when
 * there is no good content to go back to, and says why.
 */
export async function rollBack(
  deps: RollbackDeps,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  failed: { content: RenderSuccess; revision: string; message: string },
  ctx: ReconcileContext,
): Promise<RollbackResult> {
  const good: ContentVersion | undefined = psync.status?.lastGood;
  if (!good) {
    return {
      ok: false,
      why: 'no earlier content is known good (kept from the first sync or a completed rollout)',
    };
  }
  if (good.contentHash === failed.content.contentHash) {
    return { ok: false, why: 'the failed content is the last good one' };
  }
  const kept = await deps.history.load(psync, good.contentHash, { signal: ctx.signal });
  if (!kept) {
    return {
      ok: false,
      why: `the content of revision ${good.revision} is no longer kept (ControllerRevision missing)`,
    };
  }
  await deps.publish({ ok: true, ...kept }, BigInt(kept.revision));
  // The workloads carry the failed hash: rolling to the good one is a rollout like any other.
  const failedPsync: PrefixSync = {
    ...psync,
    status: { ...psync.status, contentHash: failed.content.contentHash },
  };
  const rollout: RolloutOutcome = await startRollout(deps.rollout, failedPsync, spec, kept.contentHash, ctx);
  // A rollback is never kept waiting for a slot: it takes the failed rollout's.
  if (rollout.kind === 'progressing') {
    deps.rollout.slots?.hold(slotKey(psync));
  }
  const changed = changedKeys(kept, failed.content);
  const rolledBack: RolledBackChange = {
    revision: failed.revision,
    contentHash: failed.content.contentHash,
    restored: { revision: kept.revision, contentHash: kept.contentHash },
    message: failed.message,
    ...(changed.length > 0 ? { changedKeys: changed.slice(0, MAX_CHANGED_KEYS_LISTED) } : {}),
    forceSync: psync.metadata.annotations?.[FORCE_SYNC_ANNOTATION] ?? '',
  };
  ctx.logger.warn('rolled back', {
    revision: failed.revision,
    restoredRevision: kept.revision,
    contentHash: kept.contentHash,
  });
  return {
    ok: true,
    outcome: {
      kind: 'synced',
      configMap: spec.target.name,
      prefix: spec.prefix,
      revision: BigInt(kept.revision),
      contentHash: kept.contentHash,
      keyCount: kept.keyCount,
      byteCount: kept.byteCount,
      rollout,
      wrote: true,
      rolledBack,
    },
  };
}
