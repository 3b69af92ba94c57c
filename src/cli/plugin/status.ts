// `kubectl etcdconfig status`: every PrefixSync with its Ready reason, how far it is behind its source,
// and when its content last changed. Pure: the table from the objects and the time.
import type { ClusterEtcdSource, PrefixSync } from '../../api/index.js';

/** One row of the status table. */
export interface StatusRow {
  namespace: string;
  name: string;
  /** The Ready condition's status: True, False or Unknown (also when absent). */
  ready: string;
  /** The Ready condition's reason, `-` when absent. */
  reason: string;
  /** status.syncedRevision, `-` before the first sync. */
  synced: string;
  /**
   * Revisions between syncedRevision and the source's status.revision (the last revision the
   * operator saw there), `-` when either is unknown. 0 can still be behind by what etcd got since.
   */
  lag: string;
  /** Age of status.lastSyncTime, the last time the content changed; `-` when never. */
  lastChange: string;
}

const DECIMAL = /^[0-9]+$/;

/** A duration the way kubectl prints ages: 45s, 12m, 3h, 5d. */
export function age(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h`;
  return `${Math.floor(h / 24)}d`;
}

/** The rows, sorted by namespace and name. `sources` gives each source's object by name. */
export function statusRows(
  psyncs: readonly PrefixSync[],
  sources: ReadonlyMap<string, ClusterEtcdSource>,
  now: Date,
): StatusRow[] {
  return psyncs
    .map((p) => {
      const ready = p.status?.conditions?.find((c) => c.type === 'Ready');
      const synced = p.status?.syncedRevision;
      const sourceName = typeof p.spec?.sourceRef?.name === 'string' ? p.spec.sourceRef.name : undefined;
      const seen = sourceName !== undefined ? sources.get(sourceName)?.status?.revision : undefined;
      const lag =
        synced !== undefined && seen !== undefined && DECIMAL.test(synced) && DECIMAL.test(seen)
          ? BigInt(seen) > BigInt(synced)
            ? (BigInt(seen) - BigInt(synced)).toString()
            : '0'
          : '-';
      const changed = p.status?.lastSyncTime ? Date.parse(p.status.lastSyncTime) : NaN;
      return {
        namespace: p.metadata.namespace ?? '',
        name: p.metadata.name ?? '',
        ready: ready?.status ?? 'Unknown',
        reason: ready?.reason || '-',
        synced: synced ?? '-',
        lag,
        lastChange: Number.isNaN(changed) ? '-' : age(now.getTime() - changed),
      };
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}

/** The rows as kubectl prints a table; NAMESPACE only with `withNamespace` (-A). */
export function formatStatus(rows: readonly StatusRow[], withNamespace: boolean): string {
  const header = ['NAME', 'READY', 'REASON', 'SYNCED', 'LAG', 'LAST CHANGE'];
  const cells = rows.map((r) => [r.name, r.ready, r.reason, r.synced, r.lag, r.lastChange]);
  if (withNamespace) {
    header.unshift('NAMESPACE');
    rows.forEach((r, i) => cells[i]!.unshift(r.namespace));
  }
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string =>
    c
      .map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]! + 3)))
      .join('')
      .trimEnd();
  return [header, ...cells].map(line).join('\n') + '\n';
}
