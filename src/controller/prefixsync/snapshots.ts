// Where a sync's content comes from: the shared prefix mirror's snapshot, a fresh Range when the
// force-sync annotation changed, or a Range at spec.pinRevision; and the two checks of its revision
// against status (a mirror merely behind waits; etcd gone back in time is applied and said).
import {
  FORCE_SYNC_ANNOTATION,
  PrefixSyncReason,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
} from '../../api/index.js';
import { abortable } from '../../base/index.js';
import {
  CompactedError,
  FutureRevisionError,
  type EtcdClient,
  type MirrorSnapshot,
} from '../../etcd/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import type { SourceConnections } from '../connections/source-connections.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';
import { errorText } from './outcome.js';
import type { PendingChanges } from './pending-changes.js';

/** Reads the content a sync publishes. */
export class PrefixSnapshots {
  constructor(
    private readonly connections: SourceConnections,
    private readonly pending: PendingChanges,
  ) {}

  /**
   * The prefix at `spec.pinRevision` (no watch: the mirror is released). A compacted revision is
   * `RevisionCompacted`, a revision etcd has not reached an `InvalidSpec`; both wait for a change.
   */
  async pinned(
    spec: ResolvedPrefixSyncSpec & { pinRevision: number },
    key: string,
    client: EtcdClient,
    ctx: ReconcileContext,
  ): Promise<MirrorSnapshot> {
    this.connections.release(key);
    const revision = BigInt(spec.pinRevision);
    try {
      const read = await abortable(client.kv.range({ prefix: spec.prefix, revision }), ctx.signal);
      return { revision, entries: read.kvs };
    } catch (err) {
      if (err instanceof CompactedError) {
        throw new ReconcileFailure(
          PrefixSyncReason.RevisionCompacted,
          `spec.pinRevision ${revision} is compacted in etcd, so the prefix cannot be read as it was then: pin a newer revision or remove the pin (the last good ConfigMap stays)`,
          'wait',
          { cause: err },
        );
      }
      if (err instanceof FutureRevisionError) {
        throw new ReconcileFailure(
          PrefixSyncReason.InvalidSpec,
          `spec.pinRevision ${revision} is ahead of etcd's current revision: pin a revision etcd has reached`,
          'wait',
          { cause: err },
        );
      }
      throw new ReconcileFailure(
        PrefixSyncReason.SourceUnavailable,
        `reading ${spec.prefix} at revision ${revision} from ClusterEtcdSource ${spec.sourceRef.name} failed: ${errorText(err)}`,
        'retry',
        { cause: err },
      );
    }
  }

  /**
   * The prefix's content at one revision: the shared mirror's snapshot, or — when the force-sync
   * annotation changed — a fresh Range read straight from etcd.
   */
  async take(
    psync: PrefixSync,
    spec: ResolvedPrefixSyncSpec,
    key: string,
    client: EtcdClient,
    ctx: ReconcileContext,
  ): Promise<MirrorSnapshot> {
    const unavailable = (err: unknown): ReconcileFailure =>
      new ReconcileFailure(
        PrefixSyncReason.SourceUnavailable,
        `reading ${spec.prefix} from ClusterEtcdSource ${spec.sourceRef.name} failed: ${errorText(err)}`,
        'retry',
        { cause: err },
      );
    let mirror;
    try {
      mirror = await abortable(
        this.connections.acquireMirror(key, spec.sourceRef.name, spec.prefix),
        ctx.signal,
      );
    } catch (err) {
      throw unavailable(err);
    }
    const force = psync.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
    if (!this.pending.isForceSyncDue(key, force)) {
      this.pending.recordForceSync(key, force);
      const snapshot = mirror.snapshot();
      this.pending.noteSnapshot(key, snapshot.revision);
      return snapshot;
    }
    ctx.logger.info('force-sync annotation changed, reading a fresh snapshot', { prefix: spec.prefix });
    try {
      const fresh = await abortable(client.kv.range({ prefix: spec.prefix }), ctx.signal);
      // Recorded only once honoured, so that a retry still sees the annotation as changed.
      this.pending.recordForceSync(key, force);
      this.pending.noteSnapshot(key, fresh.revision);
      return { revision: fresh.revision, entries: fresh.kvs };
    } catch (err) {
      throw unavailable(err);
    }
  }

  /**
   * Whether the snapshot is older than what status already reports while etcd itself is not: a shared
   * mirror still catching up must not take the ConfigMap back in time. (When etcd's own revision is
   * lower — restored from a backup — the snapshot is the truth and is applied.)
   */
  isMirrorBehind(psync: PrefixSync, spec: ResolvedPrefixSyncSpec, revision: bigint): boolean {
    const synced = psync.status?.syncedRevision;
    if (synced === undefined || !/^\d+$/.test(synced) || revision >= BigInt(synced)) return false;
    const health = this.connections.get(spec.sourceRef.name)?.health;
    return health?.state === 'ready' && health.revision >= BigInt(synced);
  }

  /**
   * The revision status reports when the snapshot about to be applied is older: etcd went back in time
   * (isMirrorBehind has ruled out a mirror that is merely behind). Undefined otherwise.
   */
  wentBackFrom(psync: PrefixSync, revision: bigint): bigint | undefined {
    const synced = psync.status?.syncedRevision;
    if (synced === undefined || !/^\d+$/.test(synced)) return undefined;
    return revision < BigInt(synced) ? BigInt(synced) : undefined;
  }
}
