// Phase 3: many PrefixSyncs (one key each) synced by a freshly started operator over one etcd source.
import { readFile } from 'node:fs/promises';
import { Watch } from '@kubernetes/client-node';
import { GROUP, PREFIX_SYNC, VERSION, type PrefixSync } from '../../src/api/index.js';
import { scrapeMetric } from '../../test/e2e/support/etcd-metrics.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';
import type { RunningOperator } from './launch.js';
import { waitFor } from '../../test/e2e/support/wait.js';

/** Objects created at once when setting up. */
const CREATE_CONCURRENCY = 16;
/** Keys per etcd transaction when seeding. */
const SEED_TXN_OPS = 100;

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

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** utime + stime of `pid` in seconds (Linux /proc; USER_HZ is 100 on every Linux we run). */
async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmRSS:\s+(\d+)\s+kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/**
 * Creates `count` PrefixSyncs (each its own prefix with one key, files format, no rollout) while no
 * operator runs, then starts the operator and times until all of them are synced.
 */
export async function measureScale(
  env: OperatorEnv,
  startOperator: () => Promise<RunningOperator>,
  count: number,
  progress: (msg: string) => void,
): Promise<ScaleResult> {
  const ns = 'scale';
  await env.kube.createNamespace(ns);
  await env.kube.createSource('scale', {
    endpoints: [env.etcdEndpoint],
    access: [{ namespaces: [ns], prefixes: ['/scale/'] }],
  });
  for (let i = 0; i < count; i += SEED_TXN_OPS) {
    await env.etcdClient.kv.txn({
      success: Array.from({ length: Math.min(SEED_TXN_OPS, count - i) }, (_, j) => ({
        type: 'put' as const,
        key: `/scale/p${i + j}/value`,
        value: `v${i + j}`,
      })),
    });
  }
  await inParallel(count, async (i) => {
    await env.kube.createPrefixSync(ns, `ps-${i}`, {
      sourceRef: { name: 'scale' },
      prefix: `/scale/p${i}/`,
      target: { name: `cm-${i}` },
      rollout: { mode: 'none' },
      debounce: '0s',
    });
  });
  progress(`created ${count} PrefixSyncs; starting the operator`);

  const synced = new Set<string>();
  let onChange = (): void => undefined;
  const abort = await new Watch(env.kc).watch(
    `/apis/${GROUP}/${VERSION}/namespaces/${ns}/${PREFIX_SYNC.plural}`,
    {},
    (_type: string, ps: PrefixSync) => {
      const ready = ps.status?.conditions?.find((c) => c.type === 'Ready');
      if (ready?.status === 'True' && ps.status?.syncedRevision !== undefined)
        synced.add(ps.metadata.name ?? '');
      onChange();
    },
    () => undefined,
  );
  try {
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const op = await startOperator();
    let startMs = Number.NaN;
    const ready = op.waitReady(120_000).then(() => (startMs = performance.now() - t0));
    const allSynced = new Promise<void>((resolve) => {
      onChange = () => {
        if (synced.size >= count) resolve();
      };
      onChange();
    });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      allSynced,
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`only ${synced.size}/${count} PrefixSyncs synced in 10 min`)),
          600_000,
        );
      }),
    ]).finally(() => clearTimeout(timer));
    const initialSyncMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    const operatorCpuS = await cpuSeconds(op.pid!);
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
      operatorCpuS,
      simCpuS: (cpu.user + cpu.system) / 1e6,
      watchesOpenMs,
      prefixSyncs: count,
      startMs,
      initialSyncMs,
      rssMiB: await rssMiB(op.pid!),
      etcdWatchers: await waitFor(
        'etcd watcher gauge',
        async () => (await scrapeMetric(metrics, 'etcd_debugging_mvcc_watcher_total')) ?? 'absent',
      ),
      etcdWatchStreams: (await scrapeMetric(metrics, 'etcd_debugging_mvcc_watch_stream_total')) ?? Number.NaN,
    };
  } finally {
    abort.abort();
  }
}
