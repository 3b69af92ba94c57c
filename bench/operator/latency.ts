// Phase 1: put → ConfigMap-updated latency with debounce 0, one put at a time. Besides the end-to-end
// figure it reports its parts, so that a reader can tell whose time it is: the put's own round trip,
// the operator's own sync time (its metric), and how late this process's event loop ran (the API
// simulator and the watching client both live in it).
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { V1ConfigMap } from '@kubernetes/client-node';
import { scrapeMetric } from '../../test/e2e/support/etcd-metrics.js';
import { ObjectRecorder } from '../../test/e2e/support/object-recorder.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { newTenant, specFor, waitForExactSync } from '../../test/e2e/support/scenario.js';
import { quantile } from '../watch/stats.js';

/** A put whose ConfigMap update has not arrived after this long counts as failed. */
const SAMPLE_TIMEOUT_MS = 10_000;

/** Latency percentiles in ms. */
export interface LatencyResult {
  p50: number;
  p99: number;
  max: number;
  samples: number;
  /** The put's own round trip (call → etcd's answer), p50 ms. */
  putP50: number;
  /** The operator's etcdconfig_sync_latency_seconds over the samples: mean ms (change seen → written). */
  operatorSyncMeanMs: number;
  /** This process's event-loop delay over the samples, p99 ms (the simulator and the watcher wait that long). */
  benchLoopDelayP99Ms: number;
}

/** The operator's sync-latency histogram's sum (s) and count. */
async function syncLatency(metricsUrl: string): Promise<{ sum: number; count: number }> {
  const [sum, count] = await Promise.all([
    scrapeMetric(metricsUrl, 'etcdconfig_sync_latency_seconds_sum'),
    scrapeMetric(metricsUrl, 'etcdconfig_sync_latency_seconds_count'),
  ]);
  return { sum: sum ?? Number.NaN, count: count ?? Number.NaN };
}

/**
 * `samples` sequential puts to one key; each latency runs from just before the put to the moment a
 * client-node watch on the ConfigMap delivers the new value (what any ConfigMap consumer sees).
 */
export async function measureLatency(
  env: OperatorEnv,
  samples: number,
  metricsUrl: string,
): Promise<LatencyResult> {
  const t = await newTenant(env, 'lat');
  await env.etcdClient.kv.put(`${t.prefix}k`, 'initial');
  await env.kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { rollout: { mode: 'none' } }));
  const synced = await waitForExactSync(env, t);
  const rec = await ObjectRecorder.start<V1ConfigMap>(
    env.kc,
    `/api/v1/namespaces/${t.namespace}/configmaps`,
    t.configMap,
    synced.configMap.metadata?.resourceVersion,
  );
  const latencies: number[] = [];
  const putMs: number[] = [];
  const loop = monitorEventLoopDelay({ resolution: 1 });
  let before = { sum: Number.NaN, count: Number.NaN };
  try {
    // A few unmeasured puts warm up the paths (JIT, connections).
    for (let i = -5; i < samples; i++) {
      const value = `v${i}`;
      const seen = rec.next((c) => c.object.data?.['k'] === value);
      if (i === 0) {
        before = await syncLatency(metricsUrl);
        loop.enable();
      }
      const t0 = performance.now();
      await env.etcdClient.kv.put(`${t.prefix}k`, value);
      if (i >= 0) putMs.push(performance.now() - t0);
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`put ${i}: no ConfigMap update within ${SAMPLE_TIMEOUT_MS} ms`)),
          SAMPLE_TIMEOUT_MS,
        );
      });
      await Promise.race([seen, timeout]).finally(() => clearTimeout(timer));
      if (i >= 0) latencies.push(performance.now() - t0);
    }
  } finally {
    loop.disable();
    rec.stop();
  }
  const after = await syncLatency(metricsUrl);
  latencies.sort((a, b) => a - b);
  putMs.sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    samples: latencies.length,
    putP50: quantile(putMs, 0.5),
    operatorSyncMeanMs: ((after.sum - before.sum) / (after.count - before.count)) * 1000,
    benchLoopDelayP99Ms: loop.percentile(99) / 1e6,
  };
}
