// Phase `shards`: three operators, each run with `--shard-selector shard=<a|b|c>`, over 3 × N
// PrefixSyncs labelled evenly and created before any starts. Per shard: spawn → all of its PrefixSyncs
// synced, CPU, RSS. Then the check that no PrefixSync was handled by two shards, from three sides:
// etcd's watcher gauge (one watcher per PrefixSync over all shards), each shard's /metrics (the
// per-PrefixSync condition series name exactly the PrefixSyncs of its label), and a ConfigMap watch
// (each target written exactly once).
import { Watch, type V1ConfigMap } from '@kubernetes/client-node';
import { scrapeMetric } from '../../test/e2e/support/etcd-metrics.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import { waitFor } from '../../test/e2e/support/wait.js';
import type { RunningOperator } from './launch.js';
import { cpuSeconds, rssMiB } from './proc.js';
import { createScaleSet, SCALE_NAMESPACE, SyncTracker } from './scale-set.js';

/** The shards, as label values of `shard`. */
export const SHARDS = ['a', 'b', 'c'] as const;
const SHARD_LABEL = 'shard';
/** How long the initial sync may take before the phase fails. */
const SYNC_TIMEOUT_MS = 1_800_000;
/** The per-PrefixSync series each operator exports for the PrefixSyncs it handles. */
const PER_PREFIXSYNC_SERIES = 'etcdconfig_prefixsync_status_condition';

/** One shard's figures. */
export interface ShardFigures {
  shard: string;
  /** Spawn of the first operator → every PrefixSync labelled for this shard synced. */
  syncedMs: number;
  /** This operator's CPU seconds from its spawn to its PrefixSyncs synced. */
  cpuS: number;
  /** Its RSS when its PrefixSyncs were synced. */
  rssMiB: number;
  /** PrefixSyncs its /metrics names (per-PrefixSync condition series). */
  claimed: number;
  /** Of them, labelled for another shard. */
  foreign: number;
}

/** What the shards phase measured. */
export interface ShardsResult {
  perShard: ShardFigures[];
  /** PrefixSyncs per shard. */
  perShardCount: number;
  /** Spawn → every PrefixSync synced. */
  allSyncedMs: number;
  /** CPU seconds of the benchmark process (simulator, watches) meanwhile. */
  simCpuS: number;
  etcdWatchers: number;
  etcdWatchStreams: number;
  /** PrefixSyncs named in more than one shard's /metrics. */
  claimedTwice: number;
  /** PrefixSyncs named in no shard's /metrics. */
  unclaimed: number;
  /** ConfigMaps `cm-<i>` written (ADDED or MODIFIED) exactly once, and more than once. */
  configMapsWrittenOnce: number;
  configMapsWrittenMore: number;
}

/** The PrefixSync names of `namespace` that a Prometheus text page has per-PrefixSync series for. */
function claimedNames(text: string, namespace: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${PER_PREFIXSYNC_SERIES}{`)) continue;
    const labels = line.slice(line.indexOf('{'), line.indexOf('}') + 1);
    if (!labels.includes(`namespace="${namespace}"`)) continue;
    const name = /[{,]name="([^"]+)"/.exec(labels)?.[1];
    if (name !== undefined) names.add(name);
  }
  return names;
}

/** Counts ADDED/MODIFIED events per ConfigMap of the scale namespace from now on. */
async function countConfigMapWrites(env: OperatorEnv, writes: Map<string, number>): Promise<AbortController> {
  return new Watch(env.kc).watch(
    `/api/v1/namespaces/${SCALE_NAMESPACE}/configmaps`,
    {},
    (type: string, cm: V1ConfigMap) => {
      if (type !== 'ADDED' && type !== 'MODIFIED') return;
      const name = cm.metadata?.name ?? '';
      writes.set(name, (writes.get(name) ?? 0) + 1);
    },
    () => undefined,
  );
}

/**
 * Creates `3 × perShard` PrefixSyncs, PrefixSync i labelled `shard=<SHARDS[i % 3]>`, then starts the
 * three operators and measures each shard until all are synced.
 */
export async function measureShards(
  env: OperatorEnv,
  startShard: (shard: string) => Promise<RunningOperator>,
  perShard: number,
  progress: (msg: string) => void,
): Promise<ShardsResult> {
  const count = perShard * SHARDS.length;
  await createScaleSet(env, count, (i) => ({ [SHARD_LABEL]: SHARDS[i % SHARDS.length]! }));
  progress(`created ${count} PrefixSyncs over ${SHARDS.length} shards; starting the operators`);
  const tracker = await SyncTracker.start(env, SHARD_LABEL);
  const writes = new Map<string, number>();
  const abort = await countConfigMapWrites(env, writes);
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const ops: RunningOperator[] = [];
    for (const shard of SHARDS) ops.push(await startShard(shard));
    const perShardFigures = await Promise.all(
      SHARDS.map(async (shard, k) => {
        await tracker.until(perShard, SYNC_TIMEOUT_MS, shard);
        const syncedMs = performance.now() - t0;
        const pid = ops[k]!.pid!;
        const [cpuS, rss] = await Promise.all([cpuSeconds(pid), rssMiB(pid)]);
        progress(`shard ${shard}: ${perShard} synced after ${(syncedMs / 1000).toFixed(1)} s`);
        return { shard, syncedMs, cpuS, rssMiB: rss };
      }),
    );
    await tracker.until(count, SYNC_TIMEOUT_MS);
    const allSyncedMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);

    const etcdMetrics = `${env.etcd.clientUrls[0]!}/metrics`;
    const etcdWatchers = await waitFor(
      'one etcd watcher per PrefixSync',
      async () => {
        const w = (await scrapeMetric(etcdMetrics, 'etcd_debugging_mvcc_watcher_total')) ?? 0;
        return w >= count ? w : `${w}`;
      },
      60_000,
    ).catch(async () => (await scrapeMetric(etcdMetrics, 'etcd_debugging_mvcc_watcher_total')) ?? Number.NaN);
    const etcdWatchStreams =
      (await scrapeMetric(etcdMetrics, 'etcd_debugging_mvcc_watch_stream_total')) ?? Number.NaN;

    // Which PrefixSyncs each shard says it handles; each must be its own label's, and each exactly once.
    const claims = await Promise.all(
      ops.map(async (op) => claimedNames(await (await fetch(op.metricsUrl)).text(), SCALE_NAMESPACE)),
    );
    const owners = new Map<string, number>();
    for (const names of claims) for (const n of names) owners.set(n, (owners.get(n) ?? 0) + 1);
    const shardOf = (name: string): string => SHARDS[Number(name.slice('ps-'.length)) % SHARDS.length]!;
    let configMapsWrittenOnce = 0;
    let configMapsWrittenMore = 0;
    for (let i = 0; i < count; i++) {
      const w = writes.get(`cm-${i}`) ?? 0;
      if (w === 1) configMapsWrittenOnce++;
      else if (w > 1) configMapsWrittenMore++;
    }
    return {
      perShard: perShardFigures.map((f, k) => ({
        ...f,
        claimed: claims[k]!.size,
        foreign: [...claims[k]!].filter((n) => shardOf(n) !== f.shard).length,
      })),
      perShardCount: perShard,
      allSyncedMs,
      simCpuS: (cpu.user + cpu.system) / 1e6,
      etcdWatchers,
      etcdWatchStreams,
      claimedTwice: [...owners.values()].filter((c) => c > 1).length,
      unclaimed: count - owners.size,
      configMapsWrittenOnce,
      configMapsWrittenMore,
    };
  } finally {
    abort.abort();
    tracker.stop();
  }
}
