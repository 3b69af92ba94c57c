// How a sync is reported: status written once, one Event, metrics and a log line, together
// (controller-runtime's markAsDone / markAsFailed), and etcd going back in time said loudly.
import { isDeepStrictEqual } from 'node:util';
import { PrefixSyncConditionType, type PrefixSync } from '../../api/index.js';
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
  setRevisionLag(namespace: string, name: string, lag: bigint): void;
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

  /** markAsDone / markAsFailed: status once, an Event and a metric, together. */
  async report(psync: PrefixSync, outcome: Outcome, ctx: ReconcileContext): Promise<void> {
    if (outcome.kind === 'retry-soon') return;
    const namespace = psync.metadata.namespace ?? '';
    const name = psync.metadata.name ?? '';
    const subject = subjectOf(psync, 'PrefixSync');
    const next = nextStatus(psync.status, outcome, psync.metadata.generation, this.deps.now());
    const before = findCondition(psync.status?.conditions, PrefixSyncConditionType.Ready);
    const after = findCondition(next.conditions, PrefixSyncConditionType.Ready);
    const transition = before?.status !== after?.status || before?.reason !== after?.reason;
    switch (outcome.kind) {
      case 'synced': {
        this.deps.metrics?.incSync(outcome.wrote ? 'written' : 'unchanged');
        this.deps.metrics?.setRevisionLag(namespace, name, 0n);
        if (outcome.wentBackFrom !== undefined) this.reportWentBack(psync, outcome, ctx);
        if (outcome.wrote) {
          this.deps.events.record(
            subject,
            'Normal',
            'Synced',
            `wrote ConfigMap ${outcome.configMap}: ${outcome.keyCount} key${outcome.keyCount === 1 ? '' : 's'} at revision ${outcome.revision}`,
          );
          ctx.logger.info('configmap written', {
            configMap: outcome.configMap,
            revision: outcome.revision,
            contentHash: outcome.contentHash,
          });
        }
        const rollout = outcome.rollout;
        if (rollout.kind === 'rolled' && rollout.patched.length > 0) {
          const names = rollout.patched.map((w) => `${w.kind} ${w.name}`).join(', ');
          this.deps.events.record(
            subject,
            'Normal',
            'RolledOut',
            `restarted ${names} for content hash ${outcome.contentHash}`,
          );
        } else if (rollout.kind === 'failed') {
          this.deps.events.record(subject, 'Warning', rollout.reason, rollout.message);
        }
        break;
      }
      case 'failed': {
        this.deps.metrics?.incSync(outcome.reason);
        const seen = this.deps.pending.mirrorRevision(requestKey({ namespace, name }));
        const synced = psync.status?.syncedRevision;
        if (seen !== undefined && synced !== undefined && /^\d+$/.test(synced)) {
          this.deps.metrics?.setRevisionLag(namespace, name, seen - BigInt(synced));
        }
        this.deps.events.record(subject, 'Warning', outcome.reason, outcome.message);
        if (transition) ctx.logger.warn('sync failed', { reason: outcome.reason, error: outcome.message });
        break;
      }
      case 'suspended':
      case 'pending':
        if (transition)
          this.deps.events.record(subject, 'Normal', after?.reason ?? outcome.kind, after?.message ?? '');
        break;
    }
    if (isDeepStrictEqual(psync.status ?? {}, next)) return;
    await this.deps.prefixSyncs.replaceStatus({ ...psync, status: next }, { signal: ctx.signal });
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
