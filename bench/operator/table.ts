// The one table `npm run bench:operator` prints: every figure with its goal (issue 15's where it sets
// one), the median over the runs, each run's value, and whether the median meets the goal.
import { formatNumber, median } from '../watch/stats.js';
import type { RunResult } from './results.js';
import { SHARDS } from './shards.js';
import { SOAK_TOLERANCE } from './steady.js';

/** One row of the table. */
export interface Metric {
  phase: string;
  name: string;
  /** Printed goal; '' for a figure without one. */
  goal: string;
  digits: number;
  pick: (r: RunResult) => number | undefined;
  /** Whether a value meets the goal (absent: no goal). */
  meets?: (v: number) => boolean;
}

/** What the rows depend on besides the results. */
export interface TableSizes {
  scaleSizes: readonly number[];
  burst: number;
  steadyPrefixSyncs: number;
  shardPrefixSyncs: number;
}

type Goal = Pick<Metric, 'goal' | 'meets'>;
const NO_GOAL: Goal = { goal: '' };
const atMost = (x: number, unit = ''): Goal => ({
  goal: `≤ ${formatNumber(x)}${unit}`,
  meets: (v) => v <= x,
});
const below = (x: number): Goal => ({ goal: `< ${x}`, meets: (v) => v < x });
const exactly = (x: number): Goal => ({ goal: `= ${formatNumber(x)}`, meets: (v) => v === x });
const fmt = (n: number): string => n.toLocaleString('en-US');

/** Issue 15's start-up goals: 10,000 within 20 s, 1,000 within 4 s (none set for other sizes). */
function syncTimeGoal(n: number): Goal {
  if (n === 1000) return atMost(4);
  if (n === 10_000) return atMost(20);
  return NO_GOAL;
}

/** Issue 15's resource goals, set for 10,000 PrefixSyncs per operator. */
function isIssueSize(n: number): boolean {
  return n === 10_000;
}

function scaleRows(n: number): Metric[] {
  const phase = `scale ${fmt(n)}`;
  const s = (r: RunResult): RunResult['scale'][number] | undefined => r.scale[n];
  return [
    { phase, name: 'spawn → /readyz (s)', ...NO_GOAL, digits: 2, pick: (r) => ms(s(r)?.startMs) },
    {
      phase,
      name: 'spawn → all synced (s)',
      ...syncTimeGoal(n),
      digits: 2,
      pick: (r) => ms(s(r)?.initialSyncMs),
    },
    {
      phase,
      name: 'operator CPU until synced, incl. start (s)',
      ...(isIssueSize(n) ? atMost(20) : NO_GOAL),
      digits: 1,
      pick: (r) => s(r)?.operatorCpuS,
    },
    {
      phase,
      name: 'operator CPU per PrefixSync, CPU / N (ms)',
      ...(isIssueSize(n) ? atMost(2) : NO_GOAL),
      digits: 2,
      pick: (r) => perItem(s(r)?.operatorCpuS, n, 1000),
    },
    {
      phase,
      name: 'simulator + bench process CPU meanwhile (s)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => s(r)?.simCpuS,
    },
    {
      phase,
      name: 'operator RSS when synced (MiB)',
      ...(isIssueSize(n) ? atMost(250) : NO_GOAL),
      digits: 0,
      pick: (r) => s(r)?.rssMiB,
    },
    { phase, name: 'RSS / N (KiB)', ...NO_GOAL, digits: 1, pick: (r) => perItem(s(r)?.rssMiB, n, 1024) },
    {
      phase,
      name: 'all synced → all etcd watches open (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => s(r)?.watchesOpenMs,
    },
    { phase, name: 'etcd watchers', ...exactly(n), digits: 0, pick: (r) => s(r)?.etcdWatchers },
    { phase, name: 'etcd watch streams', ...exactly(1), digits: 0, pick: (r) => s(r)?.etcdWatchStreams },
  ];
}

/** Growth between the smallest and the largest scale size, per PrefixSync: what one more costs. */
function marginalRows(sizes: readonly number[]): Metric[] {
  if (sizes.length < 2) return [];
  const lo = Math.min(...sizes);
  const hi = Math.max(...sizes);
  const phase = `scale ${fmt(lo)}→${fmt(hi)}`;
  const delta = (r: RunResult, f: (s: RunResult['scale'][number]) => number): number | undefined => {
    const a = r.scale[lo];
    const b = r.scale[hi];
    return a && b ? (f(b) - f(a)) / (hi - lo) : undefined;
  };
  return [
    {
      phase,
      name: 'operator CPU per added PrefixSync (ms)',
      ...atMost(2),
      digits: 2,
      pick: (r) => delta(r, (s) => s.operatorCpuS * 1000),
    },
    {
      phase,
      name: 'operator RSS per added PrefixSync (KiB)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => delta(r, (s) => s.rssMiB * 1024),
    },
  ];
}

function steadyRows(n: number): Metric[] {
  const phase = `steady ${fmt(n)}`;
  return [
    { phase, name: 'change → ConfigMap p50 (ms)', ...NO_GOAL, digits: 1, pick: (r) => r.steady?.p50 },
    { phase, name: 'change → ConfigMap p99 (ms)', ...atMost(100), digits: 1, pick: (r) => r.steady?.p99 },
    { phase, name: 'change → ConfigMap max (ms)', ...NO_GOAL, digits: 1, pick: (r) => r.steady?.max },
    { phase, name: 'changes made', ...NO_GOAL, digits: 0, pick: (r) => r.steady?.made },
    {
      phase,
      name: 'changes never seen in a ConfigMap',
      ...exactly(0),
      digits: 0,
      pick: (r) => r.steady?.missing,
    },
    {
      phase,
      name: 'changes seen per second (writer start → last seen)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.seenPerS,
    },
    {
      phase,
      name: 'operator metrics: reconciles per second',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.reconcilesPerS,
    },
    {
      phase,
      name: 'operator metrics: reconcile time mean (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.reconcileMeanMs,
    },
    {
      phase,
      name: 'operator metrics: work-queue depth when the writer stopped',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.queueDepthEnd,
    },
    {
      phase,
      name: 'operator metrics: sync latency p50, bucket bound (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.operator.syncP50Ms,
    },
    {
      phase,
      name: 'operator metrics: sync latency p99, bucket bound (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.operator.syncP99Ms,
    },
    {
      phase,
      name: 'operator metrics: event-loop delay p99 (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.operator.loopLagP99Ms,
    },
    {
      phase,
      name: 'operator metrics: event-loop delay max (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.operator.loopLagMaxMs,
    },
    {
      phase,
      name: 'operator metrics: GC pauses, minor (s)',
      ...NO_GOAL,
      digits: 2,
      pick: (r) => r.steady?.operator.gcS['minor'],
    },
    {
      phase,
      name: 'operator metrics: GC pauses, major + incremental (s)',
      ...NO_GOAL,
      digits: 2,
      pick: (r) =>
        r.steady
          ? (r.steady.operator.gcS['major'] ?? 0) + (r.steady.operator.gcS['incremental'] ?? 0)
          : undefined,
    },
    {
      phase,
      name: 'operator metrics: work-queue wait p99, bucket bound (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.operator.queueWaitP99Ms,
    },
    {
      phase,
      name: 'operator metrics: reconcile time p99, bucket bound (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.operator.reconcileP99Ms,
    },
    {
      phase,
      name: 'operator metrics: reconciles ending in an error',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.operator.reconcileErrors,
    },
    {
      phase,
      name: 'operator metrics: work-queue retries (backoff)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.operator.queueRetries,
    },
    {
      phase,
      name: 'changes seen only through a later one (coalesced)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.superseded,
    },
    { phase, name: 'puts that failed', ...exactly(0), digits: 0, pick: (r) => r.steady?.putErrors },
    {
      phase,
      name: 'writer behind its schedule, max (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.writerLagMaxMs,
    },
    { phase, name: 'operator CPU (cores)', ...below(0.5), digits: 2, pick: (r) => r.steady?.operatorCores },
    {
      phase,
      name: 'simulator + bench process CPU (cores)',
      ...NO_GOAL,
      digits: 2,
      pick: (r) => r.steady?.simCores,
    },
    {
      phase,
      name: 'bench process (simulator, watch) event-loop delay p99 (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.benchLoopDelayP99Ms,
    },
    {
      phase,
      name: 'bench process (simulator, watch) event-loop delay max (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.steady?.benchLoopDelayMaxMs,
    },
    { phase, name: 'operator RSS at start (MiB)', ...NO_GOAL, digits: 0, pick: (r) => r.steady?.rssStartMiB },
    { phase, name: 'operator RSS at end (MiB)', ...NO_GOAL, digits: 0, pick: (r) => r.steady?.rssEndMiB },
    { phase, name: 'operator open fds at start', ...NO_GOAL, digits: 0, pick: (r) => r.steady?.fdsStart },
    { phase, name: 'operator open fds at end', ...NO_GOAL, digits: 0, pick: (r) => r.steady?.fdsEnd },
  ];
}

function soakRows(): Metric[] {
  const phase = 'soak';
  const pct = (x: number): Goal => ({ goal: `≤ +${x * 100} %`, meets: (v) => v <= x * 100 });
  return [
    { phase, name: 'samples (every 10 s)', ...NO_GOAL, digits: 0, pick: (r) => r.steady?.soak?.samples },
    {
      phase,
      name: 'RSS, first third median (MiB)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.soak?.rssMiB.first,
    },
    {
      phase,
      name: 'RSS, last third median (MiB)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.soak?.rssMiB.last,
    },
    {
      phase,
      name: 'RSS growth, first → last third (%)',
      ...pct(SOAK_TOLERANCE.rss.relative),
      digits: 1,
      pick: (r) => percent(r.steady?.soak?.rssMiB.growthRatio),
    },
    {
      phase,
      name: 'V8 heap used, first third (MiB)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.soak?.heapMiB.first,
    },
    {
      phase,
      name: 'V8 heap used, last third (MiB)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.soak?.heapMiB.last,
    },
    {
      phase,
      name: 'V8 heap growth, first → last third (%)',
      ...pct(SOAK_TOLERANCE.heap.relative),
      digits: 1,
      pick: (r) => percent(r.steady?.soak?.heapMiB.growthRatio),
    },
    {
      phase,
      name: 'open fds, first third median',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.steady?.soak?.fds.first,
    },
    {
      phase,
      name: 'open fds growth, first → last third',
      ...atMost(SOAK_TOLERANCE.fds.absolute),
      digits: 0,
      pick: (r) => r.steady?.soak?.fds.growth,
    },
  ];
}

function shardRows(perShard: number): Metric[] {
  const phase = `shards 3×${fmt(perShard)}`;
  const total = perShard * SHARDS.length;
  const figure = (
    r: RunResult,
    k: number,
  ): NonNullable<RunResult['shards']>['perShard'][number] | undefined => r.shards?.perShard[k];
  const rows: Metric[] = SHARDS.flatMap((shard, k) => [
    {
      phase,
      name: `shard ${shard}: spawn → its PrefixSyncs synced (s)`,
      ...syncTimeGoal(perShard),
      digits: 2,
      pick: (r: RunResult) => ms(figure(r, k)?.syncedMs),
    },
    {
      phase,
      name: `shard ${shard}: operator CPU until synced (s)`,
      ...(isIssueSize(perShard) ? atMost(20) : NO_GOAL),
      digits: 1,
      pick: (r: RunResult) => figure(r, k)?.cpuS,
    },
    {
      phase,
      name: `shard ${shard}: operator RSS when synced (MiB)`,
      ...(isIssueSize(perShard) ? atMost(250) : NO_GOAL),
      digits: 0,
      pick: (r: RunResult) => figure(r, k)?.rssMiB,
    },
    {
      phase,
      name: `shard ${shard}: PrefixSyncs its /metrics names`,
      ...exactly(perShard),
      digits: 0,
      pick: (r: RunResult) => figure(r, k)?.claimed,
    },
    {
      phase,
      name: `shard ${shard}: of them labelled for another shard`,
      ...exactly(0),
      digits: 0,
      pick: (r: RunResult) => figure(r, k)?.foreign,
    },
  ]);
  return [
    ...rows,
    { phase, name: 'spawn → all synced (s)', ...NO_GOAL, digits: 2, pick: (r) => ms(r.shards?.allSyncedMs) },
    {
      phase,
      name: 'simulator + bench process CPU meanwhile (s)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.shards?.simCpuS,
    },
    {
      phase,
      name: 'etcd watch streams (one per shard)',
      ...exactly(3),
      digits: 0,
      pick: (r) => r.shards?.etcdWatchStreams,
    },
    {
      phase,
      name: 'etcd watchers (one per PrefixSync)',
      ...exactly(total),
      digits: 0,
      pick: (r) => r.shards?.etcdWatchers,
    },
    {
      phase,
      name: 'PrefixSyncs named by two shards',
      ...exactly(0),
      digits: 0,
      pick: (r) => r.shards?.claimedTwice,
    },
    {
      phase,
      name: 'PrefixSyncs named by no shard',
      ...exactly(0),
      digits: 0,
      pick: (r) => r.shards?.unclaimed,
    },
    {
      phase,
      name: 'ConfigMaps written exactly once',
      ...exactly(total),
      digits: 0,
      pick: (r) => r.shards?.configMapsWrittenOnce,
    },
  ];
}

function ms(v: number | undefined): number | undefined {
  return v === undefined ? undefined : v / 1000;
}

function perItem(v: number | undefined, n: number, scale: number): number | undefined {
  return v === undefined ? undefined : (v * scale) / n;
}

function percent(v: number | undefined): number | undefined {
  return v === undefined ? undefined : v * 100;
}

/** Every row, in the order printed; rows no run has a value for are dropped when rendering. */
export function metrics(sizes: TableSizes): Metric[] {
  const b = fmt(sizes.burst);
  const scaleSizes = [...new Set([...sizes.scaleSizes])].sort((a, c) => a - c);
  return [
    {
      phase: 'latency',
      name: 'put → ConfigMap p50 (ms), debounce 0',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.latency?.p50,
    },
    {
      phase: 'latency',
      name: 'put → ConfigMap p99 (ms), debounce 0',
      ...atMost(20),
      digits: 1,
      pick: (r) => r.latency?.p99,
    },
    {
      phase: 'latency',
      name: 'put → ConfigMap max (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.latency?.max,
    },
    {
      phase: 'latency',
      name: 'of it: the put round trip, p50 (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.latency?.putP50,
    },
    {
      phase: 'latency',
      name: 'of it: operator sync, its metric, mean (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.latency?.operatorSyncMeanMs,
    },
    {
      phase: 'latency',
      name: 'bench process event-loop delay p99 (ms)',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.latency?.benchLoopDelayP99Ms,
    },
    ...['files', 'yaml', 'template'].flatMap((f): Metric[] => [
      {
        phase: 'template',
        name: `50 keys, format ${f}: put → ConfigMap p50 (ms)`,
        ...NO_GOAL,
        digits: 1,
        pick: (r) => r.template?.[f]?.p50,
      },
      {
        phase: 'template',
        name: `50 keys, format ${f}: put → ConfigMap p99 (ms)`,
        ...NO_GOAL,
        digits: 1,
        pick: (r) => r.template?.[f]?.p99,
      },
    ]),
    {
      phase: 'rollout',
      name: 'operator metric: sync latency mean (ms), without debounce',
      ...NO_GOAL,
      digits: 1,
      pick: (r) => r.rollout?.syncMetricMeanMs,
    },
    {
      phase: 'rollout',
      name: 'put → rollout complete p50 (ms), 2 replicas',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.rollout?.p50,
    },
    {
      phase: 'rollout',
      name: 'put → rollout complete p99 (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.rollout?.p99,
    },
    {
      phase: 'rollout',
      name: 'operator metric: change → rollout complete mean (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.rollout?.rolloutMetricMeanMs,
    },
    {
      phase: 'burst',
      name: `${b} puts: duration (ms)`,
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.burst?.burstMs,
    },
    {
      phase: 'burst',
      name: 'first put → converged (ms)',
      ...NO_GOAL,
      digits: 0,
      pick: (r) => r.burst?.convergeMs,
    },
    {
      phase: 'burst',
      name: 'ConfigMap writes',
      ...atMost(5),
      digits: 0,
      pick: (r) => r.burst?.configMapWrites,
    },
    { phase: 'burst', name: 'rollouts', ...exactly(1), digits: 0, pick: (r) => r.burst?.rollouts },
    ...scaleSizes.flatMap(scaleRows),
    ...marginalRows(scaleSizes),
    ...steadyRows(sizes.steadyPrefixSyncs),
    ...soakRows(),
    ...shardRows(sizes.shardPrefixSyncs),
  ];
}

/** Columns after the first three are numbers, right-aligned. */
const LEFT_ALIGNED_COLUMNS = 3;

/**
 * The table, as Markdown (so that it pastes into the README): phase, metric, goal, median, each run's
 * value, and ✔/✘ for the median against the goal.
 */
export function renderResults(rowsOf: readonly Metric[], runs: readonly RunResult[]): string {
  const header = ['phase', 'metric', 'goal', 'median', 'runs', 'ok'];
  const rows = rowsOf
    .filter((m) => runs.some((r) => m.pick(r) !== undefined))
    .map((m) => {
      const values = runs.map((r) => m.pick(r) ?? Number.NaN);
      const med = median(values);
      const ok = m.meets === undefined || Number.isNaN(med) ? '' : m.meets(med) ? '✔' : '✘';
      return [
        m.phase,
        m.name,
        m.goal,
        formatNumber(med, m.digits),
        values.map((v) => formatNumber(v, m.digits)).join(' / '),
        ok,
      ];
    });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (i < LEFT_ALIGNED_COLUMNS ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `| ${widths.map((w, i) => (i < LEFT_ALIGNED_COLUMNS ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
