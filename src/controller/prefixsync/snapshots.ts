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
  type SourceRevision,
} from '../../api/index.js';
import { abortable } from '../../base/index.js';
import {
  CompactedError,
  FutureRevisionError,
  loadPrefixContent,
  type EtcdClient,
  type KeyValue,
  type MirrorOverBound,
  type OverBoundSummary,
  type PrefixMirror,
} from '../../etcd/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import { displayBytes, summarizeProblems, type Problem } from '../../sync/index.js';
import { SourceBudgetExceededError } from '../connections/source-budget.js';
import type { SourceConnections } from '../connections/source-connections.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';
import type { SourcesSnapshot } from './content.js';
import { cutOf } from './consistent-cut.js';
import { errorText } from './outcome.js';
import type { PendingChanges } from './pending-changes.js';
import { explainProblems } from './problem-hints.js';

/** The most value bytes a one-off read (force-sync, pinRevision) holds: what one ConfigMap can. */
const ONE_OFF_READ_MAX_VALUE_BYTES = CONFIGMAP_MAX_BYTES;

/** How long a snapshot waits for idle mirrors to hear a progress reply before reading them instead. */
const CUT_WAIT_MS = 250;
/** How many times a snapshot asks for progress before it reads the lagging prefixes at the cut. */
const MAX_CUT_WAITS = 3;

/** The revision one ClusterEtcdSource was read at. */
export interface ClusterRevision {
  readonly source: string;
  readonly revision: bigint;
}

/**
 * Every source of a PrefixSync, read: one snapshot per spec.sources entry (in order; those of one
 * ClusterEtcdSource all at that source's one revision) and each source's revision. `revision` is the
 * primary cluster's (`clusters[0]`: spec.sourceRef's when a source reads it, else the first source's).
 */
export interface SourcesRead extends SourcesSnapshot {
  readonly clusters: readonly ClusterRevision[];
}

/** Reads the content a sync publishes. */
export class PrefixSnapshots {
  constructor(
    private readonly connections: SourceConnections,
    private readonly pending: PendingChanges,
  ) {}

  /**
   * Every source of `spec`: at `spec.pinRevision` (no watch: the mirrors are released; the validator
   * keeps a pin to one ClusterEtcdSource), freshly read when the force-sync annotation changed, else
   * from the shared prefix mirrors — those of one cluster combined at one revision (see consistent-cut).
   */
  async read(
    psync: PrefixSync,
    spec: ResolvedPrefixSyncSpec,
    key: string,
    clients: ReadonlyMap<string, EtcdClient>,
    ctx: ReconcileContext,
  ): Promise<SourcesRead> {
    const groups = clusterGroups(spec);
    if (spec.pinRevision !== undefined) {
      this.connections.release(key);
      const revision = BigInt(spec.pinRevision);
      return assemble(
        spec,
        await Promise.all(
          groups.map((g) => this.pinnedCluster(spec, g, clients.get(g.source)!, revision, ctx)),
        ),
      );
    }
    const mirrors = await this.acquire(spec, key, groups, ctx);
    const force = psync.metadata.annotations?.[FORCE_SYNC_ANNOTATION];
    let read: SourcesRead;
    if (!this.pending.isForceSyncDue(key, force)) {
      read = assemble(
        spec,
        await Promise.all(
          groups.map((g) =>
            this.clusterCaughtUp(
              psync,
              spec,
              g,
              mirrors.get(g.source)!,
              clients.get(g.source)!,
              groups.length,
              ctx,
            ),
          ),
        ),
      );
    } else {
      ctx.logger.info('force-sync annotation changed, reading a fresh snapshot', { prefix: spec.prefix });
      read = assemble(
        spec,
        await Promise.all(groups.map((g) => freshCluster(spec, g, clients.get(g.source)!, undefined, ctx))),
      );
    }
    // Recorded only once honoured, so that a retry still sees the annotation as changed.
    this.pending.recordForceSync(key, force);
    // Bookkeeping of pending changes compares revisions: the highest one covers every cluster's changes.
    this.pending.noteSnapshot(key, maxRevision(read.clusters));
    return read;
  }

  /**
   * One cluster from its mirrors, at least at the revision status reports for it when etcd is past
   * that. A mirror follows its prefix's own changes; one whose prefix stayed idle can be behind a
   * revision the PrefixSync reached through another prefix — the case after a source left
   * spec.sources — and progress replies need not move it (before etcd 3.4.25 / 3.5.8 none does). So a
   * behind cluster gets a progress request and CUT_WAIT_MS to catch up, MAX_CUT_WAITS times, and is
   * then read afresh: waiting on the mirror alone could hold the PrefixSync for good.
   */
  private async clusterCaughtUp(
    psync: PrefixSync,
    spec: ResolvedPrefixSyncSpec,
    group: ClusterGroup,
    mirrors: readonly PrefixMirror[],
    client: EtcdClient,
    clusterCount: number,
    ctx: ReconcileContext,
  ): Promise<ClusterRead> {
    const synced = syncedRevisionOf(psync, group.source, clusterCount);
    for (let attempt = 0; ; attempt++) {
      const read = await clusterFromMirrors(spec, group, mirrors, client, ctx);
      const health = this.connections.get(group.source)?.health;
      const isBehind =
        synced !== undefined &&
        read.revision < synced &&
        health?.state === 'ready' &&
        health.revision >= synced;
      if (!isBehind) return read;
      if (attempt >= MAX_CUT_WAITS) return freshCluster(spec, group, client, undefined, ctx);
      client.requestProgress();
      await reached(mirrors, synced, ctx.signal);
    }
  }

  /** Holds exactly the mirrors of `groups` for `key`; the budget's refusal or the failure typed. */
  private async acquire(
    spec: ResolvedPrefixSyncSpec,
    key: string,
    groups: readonly ClusterGroup[],
    ctx: ReconcileContext,
  ): Promise<Map<string, PrefixMirror[]>> {
    try {
      return await abortable(
        this.connections.acquireMirrors(key, new Map(groups.map((g) => [g.source, g.prefixes]))),
        ctx.signal,
      );
    } catch (err) {
      if (err instanceof SourceBudgetExceededError) throw budgetExceeded(err);
      throw unavailable(spec, groups.length === 1 ? groups[0]!.source : 'sources', err);
    }
  }

  /** The prefixes of one cluster at `revision`: a compacted pin is `RevisionCompacted`, a future one `InvalidSpec`. */
  private async pinnedCluster(
    spec: ResolvedPrefixSyncSpec,
    group: ClusterGroup,
    client: EtcdClient,
    revision: bigint,
    ctx: ReconcileContext,
  ): Promise<ClusterRead> {
    try {
      return await freshCluster(spec, group, client, revision, ctx);
    } catch (err) {
      const cause = err instanceof ReconcileFailure ? (err as { cause?: unknown }).cause : err;
      if (cause instanceof CompactedError) {
        throw new ReconcileFailure(
          PrefixSyncReason.RevisionCompacted,
          `spec.pinRevision ${revision} is compacted in etcd, so the prefix cannot be read as it was then: pin a newer revision or remove the pin (the last good ConfigMap stays)`,
          'wait',
          { cause },
        );
      }
      if (cause instanceof FutureRevisionError) {
        throw new ReconcileFailure(
          PrefixSyncReason.InvalidSpec,
          `spec.pinRevision ${revision} is ahead of etcd's current revision: pin a revision etcd has reached`,
          'wait',
          { cause },
        );
      }
      throw err;
    }
  }

  /**
   * Whether a cluster's snapshot is older than what status already reports for it while etcd itself is
   * not: a shared mirror still catching up must not take the ConfigMap back in time. (When etcd's own
   * revision is lower — restored from a backup — the snapshot is the truth and is applied.)
   */
  isMirrorBehind(psync: PrefixSync, read: SourcesRead): boolean {
    return read.clusters.some((c) => {
      const synced = syncedRevisionOf(psync, c.source, read.clusters.length);
      if (synced === undefined || c.revision >= synced) return false;
      const health = this.connections.get(c.source)?.health;
      return health?.state === 'ready' && health.revision >= synced;
    });
  }

  /**
   * The revision status reports for the primary cluster when the snapshot about to be applied is older:
   * etcd went back in time (isMirrorBehind has ruled out a mirror that is merely behind). Undefined
   * otherwise. Another cluster gone back is noted on its source, which reports it.
   */
  wentBackFrom(psync: PrefixSync, read: SourcesRead): bigint | undefined {
    let primary: bigint | undefined;
    read.clusters.forEach((c, i) => {
      const synced = syncedRevisionOf(psync, c.source, read.clusters.length);
      if (synced === undefined || c.revision >= synced) return;
      if (i === 0) primary = synced;
      else this.connections.noteWentBack(c.source, { fromRevision: synced, toRevision: c.revision });
    });
    return primary;
  }
}

/**
 * `status.sources` when spec.sources reads more than one ClusterEtcdSource: each source's cluster,
 * prefix and the revision it was read at (revisions of different clusters do not compare). Nothing
 * otherwise: `syncedRevision` says it all.
 */
export function sourceRevisions(
  spec: ResolvedPrefixSyncSpec,
  read: SourcesRead,
): { sources?: SourceRevision[] } {
  if (read.clusters.length < 2) return {};
  const revisionOf = new Map(read.clusters.map((c) => [c.source, c.revision.toString()]));
  return {
    sources: spec.sources.map((s) => ({
      sourceRef: { name: s.sourceRef.name },
      prefix: s.prefix,
      revision: revisionOf.get(s.sourceRef.name) ?? '0',
    })),
  };
}

/** The prefixes spec.sources reads from one ClusterEtcdSource (each once). */
interface ClusterGroup {
  readonly source: string;
  readonly prefixes: string[];
}

/** One cluster's prefixes read at one revision: prefix → its entries. */
interface ClusterRead {
  readonly source: string;
  readonly revision: bigint;
  readonly entries: ReadonlyMap<string, KeyValue[]>;
}

/** spec.sources grouped by cluster, the primary one first (see SourcesRead). */
function clusterGroups(spec: ResolvedPrefixSyncSpec): ClusterGroup[] {
  const groups = new Map<string, string[]>();
  const primary = spec.sources.some((s) => s.sourceRef.name === spec.sourceRef.name)
    ? spec.sourceRef.name
    : spec.sources[0]!.sourceRef.name;
  groups.set(primary, []);
  for (const s of spec.sources) {
    let prefixes = groups.get(s.sourceRef.name);
    if (!prefixes) groups.set(s.sourceRef.name, (prefixes = []));
    if (!prefixes.includes(s.prefix)) prefixes.push(s.prefix);
  }
  return [...groups].map(([source, prefixes]) => ({ source, prefixes }));
}

/** The per-source snapshots of spec.sources from each cluster's read. */
function assemble(spec: ResolvedPrefixSyncSpec, reads: readonly ClusterRead[]): SourcesRead {
  const bySource = new Map(reads.map((r) => [r.source, r]));
  const sources = spec.sources.map((s) => {
    const read = bySource.get(s.sourceRef.name)!;
    return { revision: read.revision, entries: read.entries.get(s.prefix) ?? [] };
  });
  const clusters = reads.map((r) => ({ source: r.source, revision: r.revision }));
  return { revision: clusters[0]!.revision, sources, clusters };
}

function maxRevision(clusters: readonly ClusterRevision[]): bigint {
  return clusters.reduce((max, c) => (c.revision > max ? c.revision : max), 0n);
}

/**
 * The revision status last reported for `source`: `syncedRevision` when the PrefixSync reads one
 * cluster, its `status.sources` entry otherwise. Undefined when there is none.
 */
function syncedRevisionOf(psync: PrefixSync, source: string, clusterCount: number): bigint | undefined {
  const text =
    clusterCount === 1
      ? psync.status?.syncedRevision
      : psync.status?.sources?.find((s) => s.sourceRef.name === source)?.revision;
  return text !== undefined && /^\d+$/.test(text) ? BigInt(text) : undefined;
}

function unavailable(spec: ResolvedPrefixSyncSpec, source: string, err: unknown): ReconcileFailure {
  return new ReconcileFailure(
    PrefixSyncReason.SourceUnavailable,
    `reading ${spec.sources.map((s) => s.prefix).join(', ')} from ClusterEtcdSource ${source} failed: ${errorText(err)}`,
    'retry',
    { cause: err },
  );
}

/**
 * One cluster's prefixes read straight from etcd, all at one revision: `revision`, or the current one
 * (that of the first read, the others then read at it). `TooLarge` past what a ConfigMap can hold.
 */
async function freshCluster(
  spec: ResolvedPrefixSyncSpec,
  group: ClusterGroup,
  client: EtcdClient,
  revision: bigint | undefined,
  ctx: ReconcileContext,
): Promise<ClusterRead> {
  const entries = new Map<string, KeyValue[]>();
  let at = revision;
  for (const prefix of group.prefixes) {
    let read;
    try {
      read = await abortable(
        loadPrefixContent(client.kv, Buffer.from(prefix), {
          ...(at !== undefined ? { revision: at } : {}),
          maxValueBytes: ONE_OFF_READ_MAX_VALUE_BYTES,
          signal: ctx.signal,
        }),
        ctx.signal,
      );
    } catch (err) {
      throw unavailable({ ...spec, sources: [{ ...spec.sources[0]!, prefix }] }, group.source, err);
    }
    at ??= read.revision;
    if (read.kind === 'overBound')
      throw tooLarge({ ...spec, prefix }, overBoundOf(read.summary, read.revision));
    entries.set(prefix, read.content.entries());
  }
  return { source: group.source, revision: at ?? 0n, entries };
}

/**
 * One cluster's prefixes from its mirrors, at one revision (see consistent-cut.ts). While the mirrors
 * have no common revision, asks etcd for progress (an idle watch then hears it is current) and waits
 * a little for them; after {@link MAX_CUT_WAITS} tries, reads the lagging prefixes at the cut instead.
 */
async function clusterFromMirrors(
  spec: ResolvedPrefixSyncSpec,
  group: ClusterGroup,
  mirrors: readonly PrefixMirror[],
  client: EtcdClient,
  ctx: ReconcileContext,
): Promise<ClusterRead> {
  for (let attempt = 0; ; attempt++) {
    const contents = mirrors.map((m, i) => {
      const content = m.content();
      if (content.kind === 'overBound') throw tooLarge({ ...spec, prefix: group.prefixes[i]! }, content);
      return content;
    });
    const cut = cutOf(contents);
    const entries = new Map(group.prefixes.map((p, i) => [p, contents[i]!.entries]));
    if (cut.kind === 'at') return { source: group.source, revision: cut.revision, entries };
    if (attempt < MAX_CUT_WAITS) {
      client.requestProgress();
      await reached(
        cut.lagging.map((i) => mirrors[i]!),
        cut.revision,
        ctx.signal,
      );
      continue;
    }
    // The lagging prefixes as they were at the cut, where the other contents are valid too.
    const lagging = { source: group.source, prefixes: cut.lagging.map((i) => group.prefixes[i]!) };
    const read = await freshCluster(spec, lagging, client, cut.revision, ctx);
    for (const [prefix, list] of read.entries) entries.set(prefix, list);
    return { source: group.source, revision: cut.revision, entries };
  }
}

/**
 * Resolves once every mirror of `mirrors` is current at `revision` or later, after
 * {@link CUT_WAIT_MS}, or when `signal` aborts — whichever comes first. Never rejects.
 */
function reached(mirrors: readonly PrefixMirror[], revision: bigint, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const isDone = (): boolean => signal.aborted || mirrors.every((m) => m.content().revision >= revision);
    const finish = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', finish);
      for (const m of mirrors) {
        m.off('progress', check);
        m.off('update', check);
        m.off('resync', check);
      }
      resolve();
    };
    const check = (): void => {
      if (isDone()) finish();
    };
    const timer = setTimeout(finish, CUT_WAIT_MS);
    signal.addEventListener('abort', finish);
    for (const m of mirrors) {
      m.on('progress', check);
      m.on('update', check);
      m.on('resync', check);
    }
    check();
  });
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
