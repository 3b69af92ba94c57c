// Phase 1: put → ConfigMap-updated latency with debounce 0, one put at a time.
import type { V1ConfigMap } from '@kubernetes/client-node';
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
}

/**
 * `samples` sequential puts to one key; each latency runs from just before the put to the moment a
 * client-node watch on the ConfigMap delivers the new value (what any ConfigMap consumer sees).
 */
export async function measureLatency(env: OperatorEnv, samples: number): Promise<LatencyResult> {
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
  try {
    // A few unmeasured puts warm up the paths (JIT, connections).
    for (let i = -5; i < samples; i++) {
      const value = `v${i}`;
      const seen = rec.next((c) => c.object.data?.['k'] === value);
      const t0 = performance.now();
      await env.etcdClient.kv.put(`${t.prefix}k`, value);
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
    rec.stop();
  }
  latencies.sort((a, b) => a - b);
  return {
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? Number.NaN,
    samples: latencies.length,
  };
}
