// Phase `steady`: with the scale set synced, a writer makes `rate` changes per second to random
// prefixes for `durationS`, paced by the clock (open loop: a slow answer does not slow the writer), and
// a client-node watch on the ConfigMaps times each change until a ConfigMap shows it. With `soak`,
// the operator's RSS, V8 heap and open fds are sampled every 10 s and judged flat or not.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { CoreV1Api, Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { scrapeMetric } from '../../test/e2e/support/etcd-metrics.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { waitFor } from '../../test/e2e/support/wait.js';
import { ChangeTracker, type ChangeSummary } from './change-tracker.js';
import { flatness, type Flatness, type Tolerance } from './flatness.js';
import type { RunningOperator } from './launch.js';
import { counterDelta, operatorWindow, scrapeAll, type OperatorWindow } from './operator-view.js';
import { sampleProc } from './proc.js';
import { SCALE_NAMESPACE, scaleKey } from './scale-set.js';

/** After the writer stops, how long the changes still unseen may take before they count as missing. */
const DRAIN_TIMEOUT_MS = 15_000;
/** The soak's sampling period. */
const SOAK_SAMPLE_MS = 10_000;
/** What "flat" allows, per series (stated in the README and the output). */
export const SOAK_TOLERANCE = {
  rss: { relative: 0.1, absolute: 0 },
  heap: { relative: 0.2, absolute: 0 },
  fds: { relative: 0, absolute: 4 },
} as const satisfies Record<string, Tolerance>;

/** What the soak sampled and its verdict per series. */
export interface SoakResult {
  samples: number;
  rssMiB: Flatness;
  heapMiB: Flatness;
  fds: Flatness;
}

/** What the steady phase measured. */
export interface SteadyResult extends ChangeSummary {
  rate: number;
  durationS: number;
  /** Puts etcd refused or that failed (each is also a change never seen). */
  putErrors: number;
  /** The most the writer fell behind its schedule (ms): the bench process's own lag. */
  writerLagMaxMs: number;
  /** Changes seen per second, from the writer's start to the last change seen: what the operator kept up with. */
  seenPerS: number;
  /** The operator's own view over the window (its /metrics): reconciles per second, and their mean time. */
  reconcilesPerS: number;
  reconcileMeanMs: number;
  /** Its work-queue depth when the writer stopped (keys waiting for a worker). */
  queueDepthEnd: number;
  /** Its own view of the window: sync latency inside it, event-loop delay, GC pauses. */
  operator: OperatorWindow;
  /** Operator CPU seconds per wall second over the window (1 = one core). */
  operatorCores: number;
  /** The benchmark process's (simulator, writer, watch) CPU share meanwhile. */
  simCores: number;
  /**
   * Its event-loop delay over the window, p99 and max (ms): the API server stand-in answering the
   * operator and the watch timing the changes both wait behind it.
   */
  benchLoopDelayP99Ms: number;
  benchLoopDelayMaxMs: number;
  rssStartMiB: number;
  rssEndMiB: number;
  fdsStart: number;
  fdsEnd: number;
  soak?: SoakResult;
}

/** Options of {@link measureSteady}. */
export interface SteadyOptions {
  /** PrefixSyncs in the scale set (all synced). */
  count: number;
  /** Changes per second. */
  rate: number;
  durationS: number;
  /** Sample RSS, heap and fds every 10 s and judge their flatness. */
  soak: boolean;
}

/** A random order of 0..n−1 (Fisher–Yates): each prefix changes once before any changes again. */
function shuffled(n: number): number[] {
  const xs = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

/**
 * Calls `fire(seq, lagMs)` for seq 0..total−1, change `seq` due at start + seq / rate; changes that
 * fell due while the event loop was busy are fired at once, in order (the schedule is not stretched).
 */
async function paced(total: number, rate: number, fire: (seq: number, lagMs: number) => void): Promise<void> {
  const t0 = performance.now();
  const due = (seq: number): number => t0 + (seq * 1000) / rate;
  let seq = 0;
  while (seq < total) {
    const now = performance.now();
    for (; seq < total && due(seq) <= now; seq++) fire(seq, now - due(seq));
    // Pacing by the clock is the point here: the timer waits for the next change's due time.
    if (seq < total) await new Promise((r) => setTimeout(r, Math.max(0, due(seq) - performance.now())));
  }
}

/** Starts a ConfigMap collection watch from now on; calls `onSeen(index, seq, at)` for each change shown. */
async function watchChanges(
  env: OperatorEnv,
  onSeen: (index: number, seq: number, at: number) => void,
  onEnd: (err: unknown) => void,
): Promise<AbortController> {
  // A one-item list gives the collection's resourceVersion: the watch starts there without replaying
  // the N ConfigMaps as ADDED.
  const list = await env.kc
    .makeApiClient(CoreV1Api)
    .listNamespacedConfigMap({ namespace: SCALE_NAMESPACE, limit: 1 });
  return new Watch(env.kc).watch(
    `/api/v1/namespaces/${SCALE_NAMESPACE}/configmaps`,
    { resourceVersion: list.metadata?.resourceVersion },
    (_type: string, cm: V1ConfigMap) => {
      const at = performance.now();
      const value = cm.data?.['value'];
      const name = cm.metadata?.name ?? '';
      if (!value?.startsWith('seq:') || !name.startsWith('cm-')) return;
      onSeen(Number(name.slice(3)), Number(value.slice(4)), at);
    },
    onEnd,
  );
}

/** The steady-state window against a running operator whose `count` PrefixSyncs are synced. */
export async function measureSteady(
  env: OperatorEnv,
  op: RunningOperator,
  options: SteadyOptions,
  progress: (msg: string) => void,
): Promise<SteadyResult> {
  const pid = op.pid!;
  const tracker = new ChangeTracker();
  let isWindowOver = false;
  const abort = await watchChanges(
    env,
    (i, seq, at) => tracker.seen(String(i), seq, at),
    // client-node's watch does not resume: changes after an early end would count as missing.
    (err) => {
      if (!isWindowOver) progress(`steady: the ConfigMap watch ended early (${String(err)})`);
    },
  );
  const heapMiB = async (): Promise<number> =>
    ((await scrapeMetric(op.metricsUrl, 'nodejs_heap_size_used_bytes')) ?? Number.NaN) / 2 ** 20;
  const soak = { rss: [] as number[], heap: [] as number[], fds: [] as number[] };
  let sampler: NodeJS.Timeout | undefined;
  try {
    const order = shuffled(options.count);
    const total = Math.round(options.rate * options.durationS);
    const puts = new Set<Promise<void>>();
    let putErrors = 0;
    let writerLagMaxMs = 0;
    progress(`steady: ${total} changes at ${options.rate}/s over ${options.count} prefixes`);
    const metrics0 = await scrapeAll(op.metricsUrl);
    const benchLoop = monitorEventLoopDelay({ resolution: 1 });
    benchLoop.enable();
    const start = await sampleProc(pid);
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    if (options.soak) {
      const sample = async (): Promise<void> => {
        const [p, heap, depth] = await Promise.all([
          sampleProc(pid),
          heapMiB(),
          scrapeMetric(op.metricsUrl, 'workqueue_depth'),
        ]);
        soak.rss.push(p.rssMiB);
        soak.fds.push(p.fds);
        soak.heap.push(heap);
        // The latency of the last 10 s and the queue: a slow spell shows when it came, next to memory.
        const w = tracker.sinceLastWindow();
        progress(
          `soak: rss ${p.rssMiB.toFixed(0)} MiB, heap ${heap.toFixed(0)} MiB, ${p.fds} fds; ` +
            `${w.seen} changes seen, p99 ${w.p99.toFixed(0)} ms, max ${w.max.toFixed(0)} ms; queue ${depth ?? '?'}`,
        );
      };
      await sample();
      sampler = setInterval(() => void sample().catch(() => undefined), SOAK_SAMPLE_MS);
    }
    await paced(total, options.rate, (seq, lagMs) => {
      writerLagMaxMs = Math.max(writerLagMaxMs, lagMs);
      const i = order[seq % order.length]!;
      tracker.make(String(i), seq, performance.now());
      const put = env.etcdClient.kv
        .put(scaleKey(i), `seq:${seq}`)
        .then(() => undefined)
        .catch(() => void putErrors++)
        .finally(() => puts.delete(put));
      puts.add(put);
    });
    const wallS = (performance.now() - t0) / 1000;
    const end = await sampleProc(pid);
    const cpu = process.cpuUsage(cpu0);
    benchLoop.disable();
    const metrics1 = await scrapeAll(op.metricsUrl);
    const queueDepthEnd = counterDelta(new Map(), metrics1, 'workqueue_depth');
    const reconciles = counterDelta(metrics0, metrics1, 'controller_runtime_reconcile_time_seconds_count');
    const reconcileS = counterDelta(metrics0, metrics1, 'controller_runtime_reconcile_time_seconds_sum');
    clearInterval(sampler);
    await Promise.all(puts);
    await waitFor(
      'every change seen in a ConfigMap',
      () => tracker.outstanding === 0 || `${tracker.outstanding} not seen`,
      DRAIN_TIMEOUT_MS,
    ).catch(() => undefined);
    const summary = tracker.summary();
    return {
      ...summary,
      seenPerS: (summary.seen / (summary.lastSeenAt - t0)) * 1000,
      reconcilesPerS: reconciles / wallS,
      reconcileMeanMs: (reconcileS / reconciles) * 1000,
      queueDepthEnd,
      operator: operatorWindow(metrics0, metrics1),
      rate: options.rate,
      durationS: options.durationS,
      putErrors,
      writerLagMaxMs,
      operatorCores: (end.cpuS - start.cpuS) / wallS,
      simCores: (cpu.user + cpu.system) / 1e6 / wallS,
      benchLoopDelayP99Ms: benchLoop.percentile(99) / 1e6,
      benchLoopDelayMaxMs: benchLoop.max / 1e6,
      rssStartMiB: start.rssMiB,
      rssEndMiB: end.rssMiB,
      fdsStart: start.fds,
      fdsEnd: end.fds,
      ...(options.soak
        ? {
            soak: {
              samples: soak.rss.length,
              rssMiB: flatness(soak.rss, SOAK_TOLERANCE.rss),
              heapMiB: flatness(soak.heap, SOAK_TOLERANCE.heap),
              fds: flatness(soak.fds, SOAK_TOLERANCE.fds),
            },
          }
        : {}),
    };
  } finally {
    isWindowOver = true;
    clearInterval(sampler);
    abort.abort();
  }
}
