// "Did etcd go back in time between two probes?" — a restore from a backup, a wiped cluster, or another
// cluster behind the same address. Pure; the source reconciler confirms a lower revision with a
// linearizable read before it says so (a lagging member answers a probe with a slightly older one).
import type { ClusterEtcdSourceStatus } from '../../api/index.js';
import type { SourceHealth } from './source-connections.js';

/** What changed: revisions as bigint, cluster IDs in hex as status shows them. */
export interface SourceWentBack {
  fromRevision: bigint;
  toRevision: bigint;
  /** Set when the cluster ID changed too. */
  previousClusterId?: string;
  clusterId?: string;
}

/**
 * Compares the revision and cluster ID in the last status with a successful probe: a lower revision
 * or a different cluster ID is a went-back. Undefined when the probe failed, the status had no
 * revision yet, or nothing went back.
 */
export function sourceWentBack(
  previous: ClusterEtcdSourceStatus | undefined,
  health: SourceHealth,
): SourceWentBack | undefined {
  if (health.state !== 'ready' || previous?.revision === undefined || !/^\d+$/.test(previous.revision)) {
    return undefined;
  }
  const fromRevision = BigInt(previous.revision);
  const otherCluster = previous.clusterId !== undefined && previous.clusterId !== health.clusterId;
  if (health.revision >= fromRevision && !otherCluster) return undefined;
  return {
    fromRevision,
    toRevision: health.revision,
    ...(otherCluster ? { previousClusterId: previous.clusterId, clusterId: health.clusterId } : {}),
  };
}

/** The Event text for a went-back: both revisions, and the cluster IDs when they changed. */
export function describeWentBack(source: string, w: SourceWentBack): string {
  const what =
    w.clusterId === undefined
      ? `etcd went back from revision ${w.fromRevision} to ${w.toRevision}`
      : w.toRevision < w.fromRevision
        ? `etcd went back from revision ${w.fromRevision} to ${w.toRevision} and its cluster ID changed from ${w.previousClusterId} to ${w.clusterId}`
        : `etcd's cluster ID changed from ${w.previousClusterId} to ${w.clusterId} (revision ${w.fromRevision} before, ${w.toRevision} now)`;
  return `${what}: ClusterEtcdSource ${source} was restored from a backup, wiped, or now reaches another cluster; its PrefixSyncs re-sync from fresh snapshots`;
}
