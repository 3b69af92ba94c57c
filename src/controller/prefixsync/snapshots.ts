// Where a sync's content comes from: the shared prefix mirror's snapshot, a fresh read when the
// force-sync annotation changed, or a read at spec.pinRevision; and the two checks of its revision
// against status (a mirror merely behind waits; etcd gone back in time is applied and said). None of
// them holds more of a prefix than a ConfigMap could take: over 1 MiB of values, only the keys and
// sizes are kept, to say so (TooLarge) — and a source's mirrors stay within its budget
// (SourceBudgetExceeded).
import {
  CONFIGMAP_MAX_BYTES,
  FORCE_SYNC_ANNOTATION,
  PrefixSyncReason,
  formatBytes,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
} from '../../api/index.js';
import { abortable } from '../../base/index.js';
import {
  CompactedError,
  FutureRevisionError,
  loadPrefixContent,
  type EtcdClient,
  type MirrorOverBound,
  type MirrorSnapshot,
  type OverBoundSummary,
} from '../../etcd/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import { displayBytes, summarizeProblems, type Problem } from '../../sync/index.js';
import { SourceBudgetExceededError } from '../connections/source-budget.js';
import type { SourceConnections } from '../connections/source-connections.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';
import { errorText } from './outcome.js';
import type { PendingChanges } from './pending-changes.js';
import { explainProblems } from './problem-hints.js';

/** The most value bytes a one-off read (force-sync, pinRevision) holds: what one ConfigMap can. */
const ONE_OFF_READ_MAX_VALUE_BYTES = CONFIGMAP_MAX_BYTES;

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
    let read;
    try {
      read = await abortable(
        loadPrefixContent(client.kv, Buffer.from(spec.prefix), {
          revision,
          maxValueBytes: ONE_OFF_READ_MAX_VALUE_BYTES,
          signal: ctx.signal,
        }),
        ctx.signal,
      );
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
    if (read.kind === 'overBound') throw tooLarge(spec, overBoundOf(read.summary, revision));
    return { revision, entries: read.content.entries() };
  }

  /**
   * The prefix's content at one revision: the shared mirror's snapshot, or — when the force-sync
   * annotation changed — a fresh read straight from etcd. `TooLarge` when the prefix holds more values
   * than a ConfigMap can (the mirror then holds a summary only, and reconciles its holders once the
   * values are back under the limit); `SourceBudgetExceeded` when the source's mirrors have no room for
   * this prefix (asked to reconcile again once there is).
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
      if (err instanceof SourceBudgetExceededError) throw budgetExceeded(err);
      throw unavailable(err);
    }
    const force = psync.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
    if (!this.pending.isForceSyncDue(key, force)) {
      this.pending.recordForceSync(key, force);
      const content = mirror.content();
      this.pending.noteSnapshot(key, content.revision);
      if (content.kind === 'overBound') throw tooLarge(spec, content);
      return { revision: content.revision, entries: content.entries };
    }
    ctx.logger.info('force-sync annotation changed, reading a fresh snapshot', { prefix: spec.prefix });
    let fresh;
    try {
      fresh = await abortable(
        loadPrefixContent(client.kv, Buffer.from(spec.prefix), {
          maxValueBytes: ONE_OFF_READ_MAX_VALUE_BYTES,
          signal: ctx.signal,
        }),
        ctx.signal,
      );
    } catch (err) {
      throw unavailable(err);
    }
    // Recorded only once honoured, so that a retry still sees the annotation as changed.
    this.pending.recordForceSync(key, force);
    this.pending.noteSnapshot(key, fresh.revision);
    if (fresh.kind === 'overBound') throw tooLarge(spec, overBoundOf(fresh.summary, fresh.revision));
    return { revision: fresh.revision, entries: fresh.content.entries() };
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

/** The summary of a one-off read whose values went over the bound. */
function overBoundOf(summary: OverBoundSummary, revision: bigint): MirrorOverBound {
  return {
    revision,
    keyCount: summary.keyCount,
    valueBytes: summary.valueBytes,
    unmeasuredKeyCount: summary.keyCount - summary.measuredKeyCount,
    maxValueBytes: ONE_OFF_READ_MAX_VALUE_BYTES,
    largest: summary.largest,
  };
}

/**
 * `TooLarge` for a prefix whose values are over what a ConfigMap can hold: the render's own words (how
 * big, over which limit) and hint, plus how many keys and which are the biggest — all the operator
 * keeps of such a prefix. When the read stopped taking values past the limit, the size is what it had
 * measured by then ("more than"). Waits for a change in etcd.
 */
export function tooLarge(spec: ResolvedPrefixSyncSpec, over: MirrorOverBound): ReconcileFailure {
  const problems: Problem[] = [
    { kind: 'TooLarge', byteCount: over.valueBytes, limitBytes: over.maxValueBytes },
  ];
  const keys = `${over.keyCount} key${over.keyCount === 1 ? '' : 's'} under ${spec.prefix}`;
  const measured = over.keyCount - over.unmeasuredKeyCount;
  const size =
    over.unmeasuredKeyCount === 0
      ? `${summarizeProblems(problems)}, in ${keys}`
      : `content is more than ${over.maxValueBytes} bytes: ${over.valueBytes} bytes in ${measured} of its ${keys} (the operator reads no more values than a ConfigMap can hold)`;
  const biggest = over.largest
    .map((k) => `${displayBytes(k.key)} (${k.valueBytes} byte${k.valueBytes === 1 ? '' : 's'})`)
    .join(', ');
  const more = measured > over.largest.length ? ', …' : '';
  return new ReconcileFailure(
    PrefixSyncReason.TooLarge,
    explainProblems(problems, `${size}; the biggest: ${biggest}${more}`),
    'wait',
  );
}

/**
 * `SourceBudgetExceeded`: the source's mirrors have no room for this prefix. Names the budget, what is
 * used and what this prefix needs; waits (the source's budget asks for a reconcile once there is room).
 */
export function budgetExceeded(err: SourceBudgetExceededError): ReconcileFailure {
  return new ReconcileFailure(
    PrefixSyncReason.SourceBudgetExceeded,
    `mirroring ${err.prefix} needs at least ${formatBytes(err.neededBytes)}, but the ${err.mirrorCount} mirror${err.mirrorCount === 1 ? '' : 's'} of ClusterEtcdSource ${err.source} already hold ${formatBytes(err.usedBytes)} of its budget of ${formatBytes(err.limitBytes)} (spec.limits.maxMirrorBytes): the ConfigMap keeps its last good content, and syncs again once there is room; ask the owners of the ClusterEtcdSource to raise the budget, or sync a smaller prefix`,
    'wait',
    { cause: err },
  );
}
