// `kubectl etcdconfig history`: the recent revisions at which a prefix changed, and the keys each one
// changed, read from etcd's own MVCC history with ranges at past revisions (no watch replay, so the
// read is bounded by --limit, not by how busy the prefix was).
import { CompactedError, type KeyValue, type KV } from '../../etcd/index.js';

/** The keys one revision changed under the prefix. */
export interface PrefixChange {
  revision: bigint;
  /** Keys written (created or updated) at this revision, sorted. */
  puts: string[];
  /** Keys deleted at this revision, sorted. */
  deletes: string[];
}

/** What {@link prefixHistory} found. */
export interface PrefixHistory {
  /** etcd's revision when the read began. */
  currentRevision: bigint;
  /** The most recent changes first, at most the limit asked for. */
  changes: PrefixChange[];
  /** Set when older changes exist but etcd compacted them: history before this revision is gone. */
  compactedAt?: bigint;
}

/** The reads history needs; the etcd layer's {@link KV}. */
export type HistoryKv = Pick<KV, 'range' | 'get'>;

type Snapshot = Map<string, KeyValue>;

function snapshotOf(kvs: readonly KeyValue[]): Snapshot {
  return new Map(kvs.map((kv) => [kv.key.toString('latin1'), kv]));
}

/** `text` as the user wrote it (keys are UTF-8 in practice; latin1 kept them byte-exact as map keys). */
function display(latin1: string): string {
  return Buffer.from(latin1, 'latin1').toString('utf8');
}

/**
 * The last `limit` revisions that changed `prefix`, newest first. Walks back one change at a time:
 * the newest modRevision R of a snapshot is a change; the range at R-1 shows what R and the revisions
 * after it (up to the snapshot) deleted, each deletion (and any write the key had before it in that
 * span) dated exactly by reading that key at earlier revisions. Stops at `limit`, at the first
 * revision, or at etcd's compaction (`compactedAt`). Not seen: a key created and deleted again
 * entirely between two changes that left other keys behind. Throws the etcd layer's errors.
 */
export async function prefixHistory(kv: HistoryKv, prefix: string, limit: number): Promise<PrefixHistory> {
  const first = await kv.range({ prefix });
  const changes = new Map<bigint, { puts: Set<string>; deletes: Set<string> }>();
  const at = (revision: bigint): { puts: Set<string>; deletes: Set<string> } => {
    let change = changes.get(revision);
    if (!change) changes.set(revision, (change = { puts: new Set(), deletes: new Set() }));
    return change;
  };
  let cursor = snapshotOf(first.kvs);
  let cursorRevision = first.revision;
  let compactedAt: bigint | undefined;
  while (changes.size < limit && cursor.size > 0) {
    let newest = 0n;
    for (const kv of cursor.values()) if (kv.modRevision > newest) newest = kv.modRevision;
    for (const [key, kv] of cursor) if (kv.modRevision === newest) at(newest).puts.add(key);
    let before: Snapshot;
    try {
      before =
        newest > 1n
          ? snapshotOf((await kv.range({ prefix, revision: newest - 1n })).kvs)
          : new Map<string, KeyValue>();
    } catch (err) {
      if (!(err instanceof CompactedError)) throw err;
      compactedAt = newest;
      break;
    }
    for (const key of before.keys()) {
      if (!cursor.has(key)) await traceDeletion(kv, key, newest, cursorRevision, at);
    }
    cursor = before;
    cursorRevision = newest - 1n;
  }
  const sorted = [...changes.entries()]
    .sort(([a], [b]) => (a > b ? -1 : a < b ? 1 : 0))
    .slice(0, limit)
    .map(([revision, change]) => ({
      revision,
      puts: [...change.puts].sort().map(display),
      deletes: [...change.deletes].sort().map(display),
    }));
  return { currentRevision: first.revision, changes: sorted, ...(compactedAt ? { compactedAt } : {}) };
}

/**
 * `key` existed at `from - 1` and not at `to`: finds the revision that deleted it (binary search over
 * single-key reads) and the writes it had in between.
 */
async function traceDeletion(
  kv: HistoryKv,
  key: string,
  from: bigint,
  to: bigint,
  at: (revision: bigint) => { puts: Set<string>; deletes: Set<string> },
): Promise<void> {
  const raw = Buffer.from(key, 'latin1');
  // Invariant: present at `low`, absent at `high`.
  let low = from - 1n;
  let high = to;
  while (high - low > 1n) {
    const mid = (low + high) / 2n;
    if (await kv.get(raw, { revision: mid })) low = mid;
    else high = mid;
  }
  at(high).deletes.add(key);
  let live = await kv.get(raw, { revision: high - 1n });
  while (live && live.modRevision >= from) {
    at(live.modRevision).puts.add(key);
    live = live.modRevision > 1n ? await kv.get(raw, { revision: live.modRevision - 1n }) : undefined;
  }
}

/** The history as text: one block per revision, `put`/`delete` and the key. */
export function formatHistory(prefix: string, history: PrefixHistory): string {
  const lines = [`# ${prefix} at etcd revision ${history.currentRevision}, newest change first`];
  if (history.changes.length === 0) lines.push('(no change found)');
  for (const change of history.changes) {
    lines.push(`revision ${change.revision}`);
    for (const key of change.puts) lines.push(`  put     ${key}`);
    for (const key of change.deletes) lines.push(`  delete  ${key}`);
  }
  if (history.compactedAt !== undefined) {
    lines.push(`# history before revision ${history.compactedAt} is compacted in etcd`);
  }
  return `${lines.join('\n')}\n`;
}
