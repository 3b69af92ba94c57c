// How a sync is reported: status written once, one Event, metrics and a log line, together
// (controller-runtime's markAsDone / markAsFailed), and etcd going back in time said loudly.
import { isDeepStrictEqual } from 'node:util';
import {
  PrefixSyncConditionType,
  PrefixSyncReason,
  type Condition,
  type PrefixSync,
} from '../../api/index.js';
import { requestKey, type ReconcileContext } from '../../runtime/index.js';
import { clusterIdHex } from '../connections/cluster-id.js';
import type { SourceConnections } from '../connections/source-connections.js';
import { findCondition } from '../shared/conditions.js';
import { REVISION_WENT_BACK_EVENT, subjectOf, type EventSink } from '../shared/events.js';
import type { ResourceApi } from '../shared/resources.js';
import type { Outcome, SyncedOutcome } from './outcome.js';
import type { PendingChanges } from './pending-changes.js';
import { nextStatus } from './status.js';

/** Metrics the PrefixSync reconciler reports (implemented by observability's OperatorMetrics). */
export interface PrefixSyncMetrics {
  incSync(result: string): void;
  incRollout(kind: string): void;
  observeSyncLatencyMs(ms: number): void;
  observeRolloutMs(result: 'complete' | 'failed', ms: number): void;
  setRevisionLag(namespace: string, name: string, lag: bigint): void;
  setPrefixSyncConditions(
    namespace: string,
    name: string,
    conditions: readonly { type: string; status: string; reason: string }[],
  ): void;
  incSyncFailure(namespace: string, name: string, reason: string): void;
  removePrefixSync(namespace: string, name: string): void;
}

/** What {@link SyncReporter} writes to and reads from. */
export interface SyncReporterDeps {
  readonly prefixSyncs: ResourceApi<PrefixSync>;
  readonly events: EventSink;
  readonly metrics: PrefixSyncMetrics | undefined;
  readonly connections: SourceConnections;
  readonly pending: PendingChanges;
  readonly now: () => Date;
}

/** Reports the outcome of each sync of a PrefixSync. */
export class SyncReporter {
  constructor(private readonly deps: SyncReporterDeps) {}

  /**
   * markAsDone / markAsFailed: status once, metrics, and an Event only when a condition changes —
   * retries of one failure record nothing new (the log keeps them at debug).
   */
  async report(psync: PrefixSync, outcome: Outcome, ctx: ReconcileContext): Promise<void> {
    if (outcome.kind === 'retry-soon') return;
    const namespace = psync.metadata.namespace ?? '';
    const name = psync.metadata.name ?? '';
    const subject = subjectOf(psync, 'PrefixSync');
    const next = nextStatus(psync.status, outcome, psync.metadata.generation, this.deps.now());
    const changed = (type: PrefixSyncConditionType): boolean =>
      conditionChanged(psync.status?.conditions, next.conditions, type);
    const metrics = this.deps.metrics;
    switch (outcome.kind) {
      case 'synced': {
        metrics?.incSync(outcome.wrote ? 'written' : 'unchanged');
        metrics?.setRevisionLag(namespace, name, 0n);
        if (outcome.wentBackFrom !== undefined) this.reportWentBack(psync, outcome, ctx);
        if (skippedChanged(psync, outcome)) {
          const skipped = outcome.skipped;
          const message = skipped
            ? `spec.keys.onInvalid is Skip: ${skipped.count} etcd key${skipped.count === 1 ? '' : 's'} that cannot be ConfigMap keys left out of ConfigMap ${outcome.configMap} at revision ${outcome.revision}: ${skipped.keys.join(', ')}${skipped.count > skipped.keys.length ? ` (and ${skipped.count - skipped.keys.length} more)` : ''}`
            : undefined;
          if (message) {
            this.deps.events.record(subject, 'Warning', SKIPPED_KEYS_EVENT, message);
            ctx.logger.warn('invalid keys skipped', { count: skipped?.count, keys: skipped?.keys });
          }
        }
        if (outcome.wrote) {
          this.deps.events.record(subject, 'Normal', 'Synced', describeWrite(outcome));
          ctx.logger.info('configmap written', {
            configMap: outcome.configMap,
            revision: outcome.revision,
            contentHash: outcome.contentHash,
            ...(outcome.change ? { change: outcome.change } : {}),
          });
        }
        const rollout = outcome.rollout;
        if (outcome.rolledBack && changed(PrefixSyncConditionType.Synced)) {
          const after = findCondition(next.conditions, PrefixSyncConditionType.Synced);
          metrics?.incSyncFailure(namespace, name, PrefixSyncReason.RolledBack);
          this.deps.events.record(subject, 'Warning', PrefixSyncReason.RolledBack, after?.message ?? '');
        }
        if (rollout.kind === 'progressing' && rollout.patched.length > 0) {
          const names = rollout.patched.map((w) => `${w.kind} ${w.name}`).join(', ');
          this.deps.events.record(
            subject,
            'Normal',
            ROLLING_OUT_EVENT,
            `restarted ${names} for content hash ${outcome.contentHash}${outcome.rolledBack ? ' (rollback)' : ''}`,
          );
        } else if (rollout.kind === 'complete' && changed(PrefixSyncConditionType.RolledOut)) {
          const after = findCondition(next.conditions, PrefixSyncConditionType.RolledOut);
          this.deps.events.record(subject, 'Normal', PrefixSyncReason.RolledOut, after?.message ?? '');
        } else if (rollout.kind === 'delayed' && changed(PrefixSyncConditionType.RolledOut)) {
          this.deps.events.record(subject, 'Normal', PrefixSyncReason.RolloutDelayed, rollout.message);
        } else if (rollout.kind === 'failed') {
          metrics?.incSyncFailure(namespace, name, rollout.reason);
          this.onFailure(
            subject,
            rollout.reason,
            rollout.message,
            changed(PrefixSyncConditionType.RolledOut),
            ctx,
          );
        }
        break;
      }
      case 'failed': {
        metrics?.incSync(outcome.reason);
        metrics?.incSyncFailure(namespace, name, outcome.reason);
        this.onFailure(subject, outcome.reason, outcome.message, changed(PrefixSyncConditionType.Ready), ctx);
        break;
      }
      case 'suspended':
      case 'pending':
        if (changed(PrefixSyncConditionType.Ready)) {
          const after = findCondition(next.conditions, PrefixSyncConditionType.Ready);
          this.deps.events.record(subject, 'Normal', after?.reason ?? outcome.kind, after?.message ?? '');
        }
        break;
    }
    if (outcome.kind !== 'synced') this.setLag(psync, namespace, name);
    metrics?.setPrefixSyncConditions(namespace, name, next.conditions ?? []);
    if (isDeepStrictEqual(psync.status ?? {}, next)) return;
    await this.deps.prefixSyncs.replaceStatus({ ...psync, status: next }, { signal: ctx.signal });
  }

  /** A failure: one Warning and a warn log when it begins (or changes); retries only at debug. */
  private onFailure(
    subject: ReturnType<typeof subjectOf>,
    reason: string,
    message: string,
    began: boolean,
    ctx: ReconcileContext,
  ): void {
    if (!began) {
      ctx.logger.debug('sync still failing', { reason, error: message });
      return;
    }
    this.deps.events.record(subject, 'Warning', reason, message);
    ctx.logger.warn('sync failed', { reason, error: message });
  }

  /**
   * Revisions between what etcd holds (the mirror's last snapshot, else the source's last probe) and
   * what the ConfigMap holds (0 before the first sync): present from the first reconcile, so that an
   * alert on it also fires for a PrefixSync that never synced. Left unset while neither is known.
   */
  private setLag(psync: PrefixSync, namespace: string, name: string): void {
    const health = this.deps.connections.get(psync.spec?.sourceRef?.name ?? '')?.health;
    const seen =
      this.deps.pending.mirrorRevision(requestKey({ namespace, name })) ??
      (health?.state === 'ready' ? health.revision : undefined);
    if (seen === undefined) return;
    const synced = psync.status?.syncedRevision;
    const applied = synced !== undefined && /^\d+$/.test(synced) ? BigInt(synced) : 0n;
    this.deps.metrics?.setRevisionLag(namespace, name, seen - applied);
  }

  /**
   * etcd went back in time under this PrefixSync (restored from a backup, wiped, another cluster):
   * the ConfigMap now holds etcd's content at the lower revision. Said loudly, once per occurrence
   * (the next sync starts from the lower revision in status).
   */
  private reportWentBack(psync: PrefixSync, outcome: SyncedOutcome, ctx: ReconcileContext): void {
    const source = psync.spec?.sourceRef?.name ?? '';
    // Also when no watch saw it (the operator was stopped during the restore): the source reports it.
    this.deps.connections.noteWentBack(source, {
      fromRevision: outcome.wentBackFrom ?? outcome.revision,
      toRevision: outcome.revision,
    });
    // The watches' own word on the cluster IDs, if it concerns this episode (not an earlier restore).
    const last = this.deps.connections.get(source)?.lastWentBack;
    const seen = last !== undefined && last.etcdRevision <= outcome.revision ? last : undefined;
    const clusters =
      seen?.clusterId !== undefined && seen.previousClusterId !== undefined
        ? ` (cluster ID ${clusterIdHex(seen.previousClusterId)} before, ${clusterIdHex(seen.clusterId)} now)`
        : '';
    this.deps.events.record(
      subjectOf(psync, 'PrefixSync'),
      'Warning',
      REVISION_WENT_BACK_EVENT,
      `etcd went back from revision ${outcome.wentBackFrom} to ${outcome.revision}${clusters}: ClusterEtcdSource ${source} was restored from a backup, wiped, or now points at another cluster; ConfigMap ${outcome.configMap} holds etcd's content at revision ${outcome.revision}${outcome.wrote ? '' : ' (unchanged)'}`,
    );
    ctx.logger.warn('etcd revision went back', {
      configMap: outcome.configMap,
      fromRevision: String(outcome.wentBackFrom),
      revision: String(outcome.revision),
      ...(seen?.clusterId !== undefined
        ? { clusterId: seen.clusterId, previousClusterId: seen.previousClusterId }
        : {}),
    });
  }
}

/** Whether condition `type` differs (status, reason or message) between two condition lists. */
function conditionChanged(
  before: readonly Condition[] | undefined,
  after: readonly Condition[] | undefined,
  type: PrefixSyncConditionType,
): boolean {
  const a = findCondition(before, type);
  const b = findCondition(after, type);
  return a?.status !== b?.status || a?.reason !== b?.reason || a?.message !== b?.message;
}

/** The Synced Event of a write: the revision, the key count and, when known, which keys changed. */
function describeWrite(outcome: SyncedOutcome): string {
  const keys = `${outcome.keyCount} key${outcome.keyCount === 1 ? '' : 's'}`;
  const change = outcome.change ? `: ${outcome.change}` : '';
  return `wrote ConfigMap ${outcome.configMap} at revision ${outcome.revision} (${keys})${change}`;
}

/** Event reason when a rollout patches workloads (the RolledOut Event follows when they run it). */
export const ROLLING_OUT_EVENT = 'RollingOut';

/** Event reason when `keys.onInvalid: Skip` leaves keys out. */
export const SKIPPED_KEYS_EVENT = 'InvalidKeysSkipped';

/** Whether the set of skipped keys differs from the one status reports (one Event per change). */
function skippedChanged(psync: PrefixSync, outcome: SyncedOutcome): boolean {
  const before = psync.status?.skippedKeys ?? [];
  const after = outcome.skipped?.keys ?? [];
  return (
    (psync.status?.skippedKeyCount ?? 0) !== (outcome.skipped?.count ?? 0) ||
    before.length !== after.length ||
    before.some((k, i) => k !== after[i])
  );
}
