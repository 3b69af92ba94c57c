// Phase 3: many PrefixSyncs (one key each) synced by a freshly started operator over one etcd source.
import { scrapeMetric } from '../../test/e2e/support/etcd-metrics.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { waitFor } from '../../test/e2e/support/wait.js';
import type { RunningOperator } from './launch.js';
import { cpuSeconds, rssMiB } from './proc.js';
import { createScaleSet, SyncTracker } from './scale-set.js';

/** How long the initial sync may take before the phase fails. */
const SYNC_TIMEOUT_MS = 600_000;

/** What the scale run measured. */
export interface ScaleResult {
  prefixSyncs: number;
  /** Operator spawn → /readyz 200. */
  startMs: number;
  /** Operator spawn → every PrefixSync Ready=True with a syncedRevision. */
  initialSyncMs: number;
  rssMiB: number;
  /** CPU seconds the operator process used from spawn to all synced. */
  operatorCpuS: number;
  /** CPU seconds this process (the API simulator and the watch counting) used meanwhile. */
  simCpuS: number;
  /** All synced → etcd's watcher gauge reaching one watcher per PrefixSync (NaN if not within 60 s). */
  watchesOpenMs: number;
  /** etcd's own gauges once everything is synced (the test's client never watches). */
  etcdWatchers: number;
  etcdWatchStreams: number;
}

/** The scale phase's set-up and first sync, with the operator left running for a phase that follows. */
export interface ScaleRun {
  result: ScaleResult;
  operator: RunningOperator;
}

/**
 * Creates `count` PrefixSyncs (each its own prefix with one key, files format, no rollout, debounce 0)
 * while no operator runs, then starts the operator and times until all of them are synced.
 */
export async function measureScale(
  env: OperatorEnv,
  startOperator: () => Promise<RunningOperator>,
  count: number,
  progress: (msg: string) => void,
): Promise<ScaleRun> {
  await createScaleSet(env, count);
  progress(`created ${count} PrefixSyncs; starting the operator`);
  const tracker = await SyncTracker.start(env);
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const op = await startOperator();
    let startMs = Number.NaN;
    const ready = op.waitReady(120_000).then(() => (startMs = performance.now() - t0));
    await tracker.until(count, SYNC_TIMEOUT_MS);
    const initialSyncMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const operatorCpuS = await cpuSeconds(op.pid!);
    const rss = await rssMiB(op.pid!);
    await ready;
    const metrics = `${env.etcd.clientUrls[0]!}/metrics`;
    const watchesOpenMs = await waitFor(
      'one etcd watcher per PrefixSync',
      async () => {
        const w = (await scrapeMetric(metrics, 'etcd_debugging_mvcc_watcher_total')) ?? 0;
        return (w >= count && performance.now() - t0 - initialSyncMs) || `${w}`;
      },
      60_000,
    ).catch(() => Number.NaN);
    return {
      operator: op,
      result: {
        operatorCpuS,
        simCpuS: (cpu.user + cpu.system) / 1e6,
        watchesOpenMs,
        prefixSyncs: count,
        startMs,
        initialSyncMs,
        rssMiB: rss,
        etcdWatchers: await waitFor(
          'etcd watcher gauge',
          async () => (await scrapeMetric(metrics, 'etcd_debugging_mvcc_watcher_total')) ?? 'absent',
        ),
        etcdWatchStreams:
          (await scrapeMetric(metrics, 'etcd_debugging_mvcc_watch_stream_total')) ?? Number.NaN,
      },
    };
  } finally {
    tracker.stop();
  }
}
