// What a PrefixSync keeps and gives back beside its target: the last good content kept for rollbacks,
// the old versions of a versioned target pruned, and everything taken back when its access is revoked
// under `onRevoke: Delete`.
import {
  WORKLOAD_KINDS,
  type ContentVersion,
  type PrefixSync,
  type PrefixSyncReason,
  type ResolvedPrefixSyncSpec,
} from '../../api/index.js';
import { podTemplateOf } from '../../kube/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import type { RenderSuccess } from '../../sync/index.js';
import type { ReconcileFailure } from '../shared/reconcile-failure.js';
import type { ContentHistory } from './content-history.js';
import type { Outcome } from './outcome.js';
import type { WorkloadApi } from './rollout.js';
import type { RolloutOutcome } from './status.js';
import type { TargetConfigMaps } from './target-configmaps.js';
import { referencedConfigMaps, versionName } from './versions.js';

/**
 * With `rollout.onFailure: Rollback`, keeps the content the workloads are known to run (the first
 * sync's, or a completed rollout's) as the one a rollback restores; returns it when newly kept.
 */
export async function keepIfGood(
  history: ContentHistory,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  content: RenderSuccess,
  revision: bigint,
  rollout: RolloutOutcome,
  ctx: ReconcileContext,
): Promise<ContentVersion | undefined> {
  // Never a Secret's values in a ControllerRevision (the CRD refuses Rollback with Secret targets).
  if (spec.rollout.onFailure !== 'Rollback' || spec.target.kind === 'Secret') return undefined;
  const status = psync.status;
  if (status?.lastGood?.contentHash === content.contentHash) return undefined;
  const progress = status?.rollout;
  const good =
    rollout.kind === 'initial' ||
    rollout.kind === 'complete' ||
    // Rollback was switched on after the last rollout completed.
    (rollout.kind === 'unchanged' &&
      (progress === undefined ||
        (progress.contentHash === content.contentHash && progress.phase === 'Complete')));
  if (!good) return undefined;
  const kept: ContentVersion = {
    revision:
      rollout.kind === 'complete' && progress?.contentHash === content.contentHash
        ? progress.revision
        : revision.toString(),
    contentHash: content.contentHash,
  };
  await history.keep(psync, { ...kept, ...content }, { signal: ctx.signal });
  return kept;
}

/**
 * Access was revoked and the rule that allowed it said `onRevoke: Delete`: the ConfigMap and the
 * contents kept for rollbacks go, and status no longer claims any content.
 */
export async function revoke(
  targets: TargetConfigMaps,
  history: ContentHistory,
  psync: PrefixSync,
  failure: ReconcileFailure<PrefixSyncReason>,
  ctx: ReconcileContext,
): Promise<Extract<Outcome, { kind: 'failed' }>> {
  const target = typeof psync.spec?.target?.name === 'string' ? psync.spec.target.name : '';
  const deleted = target ? await targets.deleteOwned(psync, target, ctx) : false;
  const kept = await history.purge(psync, { signal: ctx.signal });
  const what = deleted ? `ConfigMap ${target} was deleted` : `ConfigMap ${target} was already gone`;
  const message = `${failure.message}; ${what}${kept > 0 ? ` with the ${kept} content(s) kept for rollbacks` : ''}, as the access rule that allowed it says (onRevoke: Delete)`;
  ctx.logger.warn('access revoked: configmap deleted', { configMap: target, deleted, keptContents: kept });
  return { kind: 'failed', reason: failure.reason, message, failure, revoked: true };
}

/**
 * Versioned: deletes the versions beyond `target.keepVersions`, never the current or last good one,
 * nor one a workload of the namespace still references (a rollback, `kubectl rollout undo`, or a
 * stage of an Ordered rollout not yet rolled).
 */
export async function pruneVersions(
  targets: TargetConfigMaps,
  workloads: WorkloadApi,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  content: RenderSuccess,
  newlyGood: ContentVersion | undefined,
  ctx: ReconcileContext,
): Promise<void> {
  const base = spec.target.name;
  const pinned = new Set<string>(
    [
      content.contentHash,
      newlyGood?.contentHash,
      psync.status?.lastGood?.contentHash,
      psync.status?.contentHash,
    ]
      .filter((h): h is string => h !== undefined && h !== '')
      .map((h) => versionName(base, h)),
  );
  try {
    const deleted = await targets.pruneVersions(
      psync,
      base,
      spec.target.keepVersions,
      async () => {
        const used = new Set(pinned);
        for (const kind of workloads.kinds ?? WORKLOAD_KINDS) {
          const list = await workloads.list(kind, {
            namespace: psync.metadata.namespace ?? '',
            signal: ctx.signal,
          });
          for (const w of list.items) {
            for (const name of referencedConfigMaps(podTemplateOf(w)?.spec)) used.add(name);
          }
        }
        return used;
      },
      ctx,
    );
    if (deleted.length > 0) ctx.logger.info('old versions deleted', { configMaps: deleted });
  } catch (err) {
    // Housekeeping: the next sync tries again; the sync itself succeeded.
    ctx.logger.warn('pruning old versions failed', {
      error: err instanceof Error ? err.message : String(err),
    });
  }
}
