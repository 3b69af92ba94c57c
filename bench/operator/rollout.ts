// Phase 4: put → rollout complete, debounce 0: each put's content rolled out to a Deployment of two
// replicas (the simulator's workload controller, default step delay) until status says Complete; and
// the operator's own two histograms over the same puts (sync latency without debounce, change →
// rollout complete), read from its /metrics.
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { newTenant, specFor, waitForExactSync } from '../../test/e2e/support/scenario.js';
import { waitFor } from '../../test/e2e/support/wait.js';
import { quantile } from '../watch/stats.js';

/** Rollout percentiles in ms, and the operator's histogram means over the same puts. */
export interface RolloutResult {
  p50: number;
  p99: number;
  samples: number;
  /** Mean of etcdconfig_sync_latency_seconds over the phase (ms), when /metrics could be read. */
  syncMetricMeanMs?: number;
  /** Mean of etcdconfig_rollout_duration_seconds{result="complete"} over the phase (ms). */
  rolloutMetricMeanMs?: number;
}

/** Sum and count of one histogram series in a Prometheus text exposition. */
function histogram(text: string, name: string, labels = ''): { sum: number; count: number } {
  const value = (suffix: string): number => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}_${suffix}${labels} `));
    return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
  };
  return { sum: value('sum'), count: value('count') };
}

/** `samples` sequential puts, each waited on until its content is rolled out (status.rollout Complete). */
export async function measureRollout(
  env: OperatorEnv,
  samples: number,
  metricsUrl: string | undefined,
): Promise<RolloutResult> {
  const t = await newTenant(env, 'roll');
  await env.etcdClient.kv.put(`${t.prefix}k`, 'initial');
  await env.kube.createDeployment(t.namespace, t.deployment, t.configMap);
  await env.kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t));
  await waitForExactSync(env, t);
  const scrape = async (): Promise<string | undefined> =>
    metricsUrl ? (await fetch(metricsUrl).catch(() => undefined))?.text() : undefined;
  const before = await scrape();
  const durations: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    const put = await env.etcdClient.kv.put(`${t.prefix}k`, `v${i}`);
    await waitFor(
      `put ${i} rolled out`,
      async () => {
        const s = (await env.kube.getPrefixSync(t.namespace, t.prefixSync))?.status;
        const done =
          s?.syncedRevision !== undefined &&
          BigInt(s.syncedRevision) >= put.revision &&
          s.rollout?.phase === 'Complete' &&
          s.rollout.contentHash === s.contentHash;
        return done || `rollout ${s?.rollout?.phase ?? 'none'}`;
      },
      60_000,
    );
    durations.push(performance.now() - t0);
  }
  durations.sort((a, b) => a - b);
  const result: RolloutResult = {
    p50: quantile(durations, 0.5),
    p99: quantile(durations, 0.99),
    samples: durations.length,
  };
  const after = await scrape();
  if (before !== undefined && after !== undefined) {
    const mean = (name: string, labels?: string): number | undefined => {
      const a = histogram(after, name, labels);
      const b = histogram(before, name, labels);
      return a.count > b.count ? ((a.sum - b.sum) / (a.count - b.count)) * 1000 : undefined;
    };
    const sync = mean('etcdconfig_sync_latency_seconds');
    const rollout = mean('etcdconfig_rollout_duration_seconds', '{result="complete"}');
    if (sync !== undefined) result.syncMetricMeanMs = sync;
    if (rollout !== undefined) result.rolloutMetricMeanMs = rollout;
  }
  return result;
}
