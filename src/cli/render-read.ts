// The etcd read step of `render`: the content the operator would render now, and the failures it
// would report for it, worded as the PrefixSync's Ready condition words them.
import { CONFIGMAP_MAX_BYTES, PrefixSyncReason, type ResolvedPrefixSyncSpec } from '../api/index.js';
import {
  CompactedError,
  FutureRevisionError,
  loadPrefixContent,
  type EtcdClient,
  type MirrorSnapshot,
} from '../etcd/index.js';
import { tooLarge, type SourcesSnapshot } from '../controller/index.js';

/** A failure `render` reports with the condition reason and message the operator would set (exit 2). */
export class RenderFailure extends Error {
  constructor(
    /** The PrefixSync condition reason, e.g. `SourceUnavailable`. */
    readonly reason: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'RenderFailure';
  }
}

/**
 * Reads every source of `spec` (spec.sources, or spec.prefix) as the operator would sync it now: all at
 * one revision — the pin, else that of the first read — so that a transaction over several prefixes is
 * never seen half applied. `render` connects to one etcd: a source on another ClusterEtcdSource than
 * spec.sourceRef is refused (`InvalidSpec`). Throws as {@link readSnapshot} does.
 */
export async function readSources(
  client: EtcdClient,
  spec: ResolvedPrefixSyncSpec,
  signal: AbortSignal,
): Promise<SourcesSnapshot> {
  const elsewhere = spec.sources.find((s) => s.sourceRef.name !== spec.sourceRef.name);
  if (elsewhere) {
    throw new RenderFailure(
      PrefixSyncReason.InvalidSpec,
      `render reads one etcd (spec.sourceRef's): source ${elsewhere.prefix} is on ClusterEtcdSource ${elsewhere.sourceRef.name}`,
    );
  }
  const sources: MirrorSnapshot[] = [];
  let revision = spec.pinRevision === undefined ? undefined : BigInt(spec.pinRevision);
  for (const source of spec.sources) {
    const pinned = revision === undefined ? spec : { ...spec, pinRevision: Number(revision) };
    const read = await readSnapshot(client, { ...pinned, prefix: source.prefix }, signal);
    revision ??= read.revision;
    sources.push(read);
  }
  return { revision: revision ?? 0n, sources };
}

/**
 * Reads `spec.prefix` as the operator would sync it now: at `spec.pinRevision` when set, else at etcd's
 * current revision; holding no more values than a ConfigMap can take, as the operator's one-off reads.
 * Throws {@link RenderFailure}: `RevisionCompacted`, `InvalidSpec` (a pin etcd has not reached),
 * `SourceUnavailable`, `TooLarge`.
 */
export async function readSnapshot(
  client: EtcdClient,
  spec: ResolvedPrefixSyncSpec,
  signal: AbortSignal,
): Promise<MirrorSnapshot> {
  const revision = spec.pinRevision === undefined ? undefined : BigInt(spec.pinRevision);
  let read;
  try {
    read = await loadPrefixContent(client.kv, Buffer.from(spec.prefix), {
      ...(revision !== undefined ? { revision } : {}),
      maxValueBytes: CONFIGMAP_MAX_BYTES,
      signal,
    });
  } catch (err) {
    if (revision !== undefined && err instanceof CompactedError) {
      throw new RenderFailure(
        PrefixSyncReason.RevisionCompacted,
        `spec.pinRevision ${revision} is compacted in etcd, so the prefix cannot be read as it was then: pin a newer revision or remove the pin (the last good ConfigMap stays)`,
        { cause: err },
      );
    }
    if (revision !== undefined && err instanceof FutureRevisionError) {
      throw new RenderFailure(
        PrefixSyncReason.InvalidSpec,
        `spec.pinRevision ${revision} is ahead of etcd's current revision: pin a revision etcd has reached`,
        { cause: err },
      );
    }
    const at = revision !== undefined ? ` at revision ${revision}` : '';
    // An abort carries why (the dial timeout) as its reason.
    const cause: unknown = signal.aborted ? signal.reason : err;
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new RenderFailure(
      PrefixSyncReason.SourceUnavailable,
      `reading ${spec.prefix}${at} from ClusterEtcdSource ${spec.sourceRef.name} failed: ${why}`,
      { cause: err },
    );
  }
  if (read.kind === 'overBound') {
    // The operator's own words (snapshots.ts), from what its one-off reads keep of such a prefix.
    const { keyCount, measuredKeyCount, valueBytes, largest } = read.summary;
    const failure = tooLarge(spec, {
      revision: read.revision,
      keyCount,
      valueBytes,
      unmeasuredKeyCount: keyCount - measuredKeyCount,
      maxValueBytes: CONFIGMAP_MAX_BYTES,
      largest,
    });
    throw new RenderFailure(failure.reason, failure.message, { cause: failure });
  }
  return { revision: read.revision, entries: read.content.entries() };
}
