// The operator's own view of a window, from two scrapes of its /metrics: where a change's time went
// inside the operator (its sync-latency histogram), and what the event loop and the GC did meanwhile.
// It separates the operator's share of a slow tail from the benchmark process's (simulator, watch).
// Parsing is pure (text in, numbers out), so it is unit-tested.

/** One scrape: every sample line as `name{labels}` → value. */
export type MetricsSnapshot = ReadonlyMap<string, number>;

/** Parses Prometheus text exposition into samples (comments and blank lines skipped). */
export function parseMetrics(text: string): MetricsSnapshot {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (m) samples.set(m[1]!, Number(m[2]));
  }
  return samples;
}

/** Fetches and parses one scrape. */
export async function scrapeAll(url: string): Promise<MetricsSnapshot> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
  return parseMetrics(await res.text());
}

/** Sum of every sample of `name` (any labels) in `after` minus in `before`. */
export function counterDelta(before: MetricsSnapshot, after: MetricsSnapshot, name: string): number {
  const sum = (s: MetricsSnapshot): number => {
    let total = 0;
    for (const [key, value] of s) if (key === name || key.startsWith(`${name}{`)) total += value;
    return total;
  };
  return sum(after) - sum(before);
}

/** The histogram's cumulative bucket counts by upper bound (labels other than `le` summed). */
function buckets(s: MetricsSnapshot, name: string): Map<number, number> {
  const byBound = new Map<number, number>();
  const prefix = `${name}_bucket{`;
  for (const [key, value] of s) {
    if (!key.startsWith(prefix)) continue;
    const le = /le="([^"]+)"/.exec(key)?.[1];
    if (le === undefined) continue;
    const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
    byBound.set(bound, (byBound.get(bound) ?? 0) + value);
  }
  return byBound;
}

/**
 * The q-quantile of what histogram `name` observed between the two scrapes, as the upper bound of the
 * bucket it falls in (what the histogram can say: "at most"); NaN when nothing was observed.
 */
export function histogramQuantileDelta(
  before: MetricsSnapshot,
  after: MetricsSnapshot,
  name: string,
  q: number,
): number {
  const b0 = buckets(before, name);
  const b1 = buckets(after, name);
  const bounds = [...b1.keys()].sort((x, y) => x - y);
  const total = (b1.get(Number.POSITIVE_INFINITY) ?? 0) - (b0.get(Number.POSITIVE_INFINITY) ?? 0);
  if (!(total > 0)) return Number.NaN;
  const rank = q * total;
  for (const bound of bounds) {
    if ((b1.get(bound) ?? 0) - (b0.get(bound) ?? 0) >= rank) return bound;
  }
  return Number.POSITIVE_INFINITY;
}

/** What the operator's metrics say about a window. */
export interface OperatorWindow {
  /** Its sync latency (change reached the operator → ConfigMap written), bucket upper bounds in ms. */
  syncP50Ms: number;
  syncP99Ms: number;
  /** Seconds of GC pauses in the window, by kind (minor, major, incremental, weakcb). */
  gcS: Record<string, number>;
  /** Event-loop delay over the window (prom-client resets its monitor at each scrape): p99 and max, ms. */
  loopLagP99Ms: number;
  loopLagMaxMs: number;
  /** p99 of a key's wait in the work queue, and of a reconcile, bucket upper bounds in ms. */
  queueWaitP99Ms: number;
  reconcileP99Ms: number;
  /** Reconciles that ended in an error, and keys re-queued with backoff (work-queue retries). */
  reconcileErrors: number;
  queueRetries: number;
}

/** The window between two scrapes of the same operator. */
export function operatorWindow(before: MetricsSnapshot, after: MetricsSnapshot): OperatorWindow {
  const gcS: Record<string, number> = {};
  for (const kind of ['minor', 'major', 'incremental', 'weakcb']) {
    const key = `nodejs_gc_duration_seconds_sum{kind="${kind}"}`;
    gcS[kind] = (after.get(key) ?? 0) - (before.get(key) ?? 0);
  }
  return {
    syncP50Ms: histogramQuantileDelta(before, after, 'etcdconfig_sync_latency_seconds', 0.5) * 1000,
    syncP99Ms: histogramQuantileDelta(before, after, 'etcdconfig_sync_latency_seconds', 0.99) * 1000,
    gcS,
    loopLagP99Ms: (after.get('nodejs_eventloop_lag_p99_seconds') ?? Number.NaN) * 1000,
    loopLagMaxMs: (after.get('nodejs_eventloop_lag_max_seconds') ?? Number.NaN) * 1000,
    queueWaitP99Ms: histogramQuantileDelta(before, after, 'workqueue_queue_duration_seconds', 0.99) * 1000,
    reconcileP99Ms:
      histogramQuantileDelta(before, after, 'controller_runtime_reconcile_time_seconds', 0.99) * 1000,
    reconcileErrors: counterDelta(before, after, 'controller_runtime_reconcile_errors_total'),
    queueRetries: counterDelta(before, after, 'workqueue_retries_total'),
  };
}
