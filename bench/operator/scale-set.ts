// The set-up the scale, steady and shards phases share: N PrefixSyncs (each its own prefix with one key,
// files format, no rollout, debounce 0) created while no operator runs, and a client-node watch that
// tells when they are synced.
import { CustomObjectsApi, Watch } from '@kubernetes/client-node';
import { API_VERSION, GROUP, PREFIX_SYNC, VERSION, type PrefixSync } from '../../src/api/index.js';
import type { OperatorEnv } from '../../test/e2e/support/operator-env.js';

/** Objects created at once when setting up. */
const CREATE_CONCURRENCY = 16;
/** Keys per etcd transaction when seeding. */
const SEED_TXN_OPS = 100;
/** The source, namespace and etcd root every scale set uses. */
export const SCALE_NAMESPACE = 'scale';
const SOURCE = 'scale';
const ROOT = '/scale/';

/** The one key of PrefixSync `i`; its ConfigMap `cm-<i>` holds it as data key `value`. */
export function scaleKey(i: number): string {
  return `${ROOT}p${i}/value`;
}

async function inParallel(count: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CREATE_CONCURRENCY }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/**
 * Creates the namespace, the ClusterEtcdSource, `count` keys and `count` PrefixSyncs `ps-<i>` →
 * ConfigMap `cm-<i>`, with `debounce: 0s` so that a change is written at once. `labels(i)` labels
 * PrefixSync `i` (the shards phase's `shard=a|b|c`).
 */
export async function createScaleSet(
  env: OperatorEnv,
  count: number,
  labels: (i: number) => Record<string, string> = () => ({}),
): Promise<void> {
  await env.kube.createNamespace(SCALE_NAMESPACE);
  await env.kube.createSource(SOURCE, {
    endpoints: [env.etcdEndpoint],
    access: [{ namespaces: [SCALE_NAMESPACE], prefixes: [ROOT] }],
  });
  for (let i = 0; i < count; i += SEED_TXN_OPS) {
    await env.etcdClient.kv.txn({
      success: Array.from({ length: Math.min(SEED_TXN_OPS, count - i) }, (_, j) => ({
        type: 'put' as const,
        key: scaleKey(i + j),
        value: `v${i + j}`,
      })),
    });
  }
  // The e2e KubeApi's createPrefixSync sets no labels; the shards need them, so create directly.
  const custom = env.kc.makeApiClient(CustomObjectsApi);
  await inParallel(count, async (i) => {
    const body: PrefixSync = {
      apiVersion: API_VERSION,
      kind: 'PrefixSync',
      metadata: { name: `ps-${i}`, namespace: SCALE_NAMESPACE, labels: labels(i) },
      spec: {
        sourceRef: { name: SOURCE },
        prefix: `${ROOT}p${i}/`,
        target: { name: `cm-${i}` },
        rollout: { mode: 'none' },
        debounce: '0s',
      },
    };
    await custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace: SCALE_NAMESPACE,
      plural: PREFIX_SYNC.plural,
      body,
    });
  });
}

/**
 * Watches the scale set's PrefixSyncs (one client-node collection watch) and keeps which are synced
 * (`Ready=True` with a `syncedRevision`), grouped by the value of one label (all in group '' without).
 * `stop()` ends the watch.
 */
export class SyncTracker {
  /** Names of the PrefixSyncs seen synced (never removed: the set only grows). */
  private readonly synced = new Set<string>();
  /** Group → how many of `synced` are in it. */
  private readonly perGroup = new Map<string, number>();
  private readonly waiters = new Set<() => void>();

  /** Ends the watch; set once the watch is open. */
  private abort: AbortController | undefined;

  private constructor(private readonly groupLabel: string | undefined) {}

  /** Starts the watch; resolves once it is open. */
  static async start(env: OperatorEnv, groupLabel?: string): Promise<SyncTracker> {
    const tracker = new SyncTracker(groupLabel);
    tracker.abort = await new Watch(env.kc).watch(
      `/apis/${GROUP}/${VERSION}/namespaces/${SCALE_NAMESPACE}/${PREFIX_SYNC.plural}`,
      {},
      (_type: string, ps: PrefixSync) => tracker.observe(ps),
      () => undefined,
    );
    return tracker;
  }

  private observe(ps: PrefixSync): void {
    const ready = ps.status?.conditions?.find((c) => c.type === 'Ready');
    if (ready?.status !== 'True' || ps.status?.syncedRevision === undefined) return;
    const name = ps.metadata?.name ?? '';
    if (this.synced.has(name)) return;
    this.synced.add(name);
    const group = this.groupLabel === undefined ? '' : (ps.metadata?.labels?.[this.groupLabel] ?? '');
    this.perGroup.set(group, (this.perGroup.get(group) ?? 0) + 1);
    for (const wake of this.waiters) wake();
  }

  /** PrefixSyncs synced so far, in `group` or in all. */
  count(group?: string): number {
    return group === undefined ? this.synced.size : (this.perGroup.get(group) ?? 0);
  }

  /**
   * Resolves when at least `want` PrefixSyncs (of `group`, if given) are synced; rejects after
   * `timeoutMs` saying how many were.
   */
  async until(want: number, timeoutMs: number, group?: string): Promise<void> {
    if (this.count(group) >= want) return;
    let wake: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        wake = () => {
          if (this.count(group) >= want) resolve();
        };
        this.waiters.add(wake);
        const what = `PrefixSyncs${group === undefined ? '' : ` of group ${group}`}`;
        timer = setTimeout(
          () => reject(new Error(`only ${this.count(group)}/${want} ${what} synced in ${timeoutMs} ms`)),
          timeoutMs,
        );
      });
    } finally {
      clearTimeout(timer);
      if (wake) this.waiters.delete(wake);
    }
  }

  stop(): void {
    this.abort?.abort();
  }
}
