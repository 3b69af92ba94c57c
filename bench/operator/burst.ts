// Phase 2: a burst of puts against a PrefixSync with the default debounce and a Deployment to roll.
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import {
  newTenant,
  recordWrites,
  rolloutState,
  specFor,
  waitForExactSync,
} from '../../test/e2e/support/scenario.js';
import { waitFor } from '../../test/e2e/support/wait.js';

/** Puts in flight at once. */
const CONCURRENCY = 500;
/** After convergence, how long stray writes/rollouts are still counted. */
const QUIET_WINDOW_MS = 3_000;

/** What a burst caused. */
export interface BurstResult {
  puts: number;
  burstMs: number;
  /** From the first put to the ConfigMap holding the final state. */
  convergeMs: number;
  configMapWrites: number;
  rollouts: number;
}

/** `puts` puts as fast as one client can issue them; counts ConfigMap writes and rollouts (generations). */
export async function measureBurst(env: OperatorEnv, puts: number): Promise<BurstResult> {
  const t = await newTenant(env, 'burst');
  await env.etcdClient.kv.put(`${t.prefix}seed`, 'x');
  await env.kube.createDeployment(t.namespace, t.deployment, t.configMap);
  await env.kube.createPrefixSync(t.namespace, t.prefixSync, specFor(t, { debounce: undefined }));
  await waitForExactSync(env, t);
  const gen0 = (await rolloutState(env, t)).generation;
  const rec = await recordWrites(env, t);
  try {
    const t0 = performance.now();
    let last = 0n;
    for (let i = 0; i < puts; i += CONCURRENCY) {
      const batch = Array.from({ length: Math.min(CONCURRENCY, puts - i) }, (_, j) =>
        env.etcdClient.kv.put(`${t.prefix}k${String(i + j).padStart(5, '0')}`, `v${i + j}`),
      );
      for (const r of await Promise.all(batch)) if (r.revision > last) last = r.revision;
    }
    const burstMs = performance.now() - t0;
    const synced = await waitForExactSync(env, t, { exactRevision: last, timeoutMs: 120_000 });
    const convergeMs = performance.now() - t0;
    await waitFor('the burst to be rolled out', async () => {
      const r = await rolloutState(env, t);
      return r.hash === synced.prefixSync.status?.contentHash || `annotation ${r.hash}`;
    });
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    return {
      puts,
      burstMs,
      convergeMs,
      configMapWrites: rec.configMap.writes,
      rollouts: (await rolloutState(env, t)).generation - gen0,
    };
  } finally {
    rec.stop();
  }
}
