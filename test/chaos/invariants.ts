import type { V1ConfigMap, V1Deployment, V1Lease } from '@kubernetes/client-node';
import {
  CONFIG_HASH_ANNOTATION,
  GROUP,
  PREFIX_SYNC,
  PrefixSyncConditionType,
  VERSION,
  withPrefixSyncDefaults,
  type PrefixSync,
} from '../../src/api/index.js';
import { CompactedError, type KeyValue } from '../../src/etcd/index.js';
import { contentHash, renderConfigMap, type RenderSuccess } from '../../src/sync/index.js';
import { conditionOf, describeConditions } from '../e2e/support/kube-api.js';
import { microTimeMs } from '../e2e/support/lease.js';
import { CONFIG_MAP, DEPLOYMENT, PREFIX_SYNC_NAME, type ChaosEnv, type ChaosTenant } from './chaos-env.js';
import type { ClusterChange } from './cluster-recorder.js';

/** How often the convergence checker looks (3 lists and one etcd range per look). */
const POLL_INTERVAL_MS = 100;

/** What the convergence checker found. */
export type Convergence = (
  { isConverged: true; compactedSkips: number } | { isConverged: false; pending: string[] }
) & {
  /** From `sinceMs` to the verdict. */
  ms: number;
  /** What the first look found pending: evidence that the check saw the fault's effect. */
  firstPending: string[];
};

/** A broken promise, with the fault after which it was first seen. */
export interface Violation {
  invariant: 'convergence' | 'rollout' | 'single-actor' | 'recording';
  detail: string;
}

function sorted(record: Record<string, string> | undefined): string {
  return JSON.stringify(Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function keyDiff(got: Record<string, string> | undefined, want: Record<string, string>): string {
  const g = got ?? {};
  const keys = [...new Set([...Object.keys(g), ...Object.keys(want)])].filter((k) => g[k] !== want[k]);
  const show = (v: string | undefined): string =>
    v === undefined ? '∅' : v.length > 40 ? `${JSON.stringify(v.slice(0, 40))}…` : JSON.stringify(v);
  return keys
    .slice(0, 3)
    .map((k) => `${k}: ${show(g[k])} ≠ etcd ${show(want[k])}`)
    .concat(keys.length > 3 ? [`… ${keys.length - 3} more`] : [])
    .join(', ');
}

/** The ConfigMap the PrefixSync promises for `entries` of its prefix read at `revision`. */
function render(psync: PrefixSync, entries: readonly KeyValue[], revision: bigint): RenderSuccess | string {
  const spec = withPrefixSyncDefaults(psync.spec);
  const r = renderConfigMap(
    { prefix: spec.prefix, revision, entries },
    {
      format: spec.target.format,
      separator: spec.keys.separator,
      ...(spec.target.key !== undefined ? { key: spec.target.key } : {}),
    },
  );
  return r.ok ? r : `etcd's content does not render: ${JSON.stringify(r.problems).slice(0, 200)}`;
}

/** What differs between a ConfigMap and a rendering, or undefined when they are equal. */
function contentDiff(cm: V1ConfigMap, want: RenderSuccess): string | undefined {
  if (sorted(cm.data) !== sorted(want.data)) return `data ${keyDiff(cm.data, want.data)}`;
  if (sorted(cm.binaryData) !== sorted(want.binaryData))
    return `binaryData ${keyDiff(cm.binaryData, want.binaryData)}`;
  return undefined;
}

/** The content hash of the first ConfigMap content the operator published for the tenant. */
function firstContentHash(env: ChaosEnv, namespace: string): string | undefined {
  const first = env.recorded.configMaps.changes.find(
    (c) => c.namespace === namespace && c.type !== 'DELETED',
  );
  return first && contentHash(first.object.data ?? {}, first.object.binaryData ?? {});
}

/** One look at the cluster; per tenant what is not yet as promised (nothing when converged). */
async function look(
  env: ChaosEnv,
): Promise<{ pending: string[]; synced: Map<ChaosTenant, [PrefixSync, V1ConfigMap]> }> {
  const list = (await env.kube.custom.listClusterCustomObject({
    group: GROUP,
    version: VERSION,
    plural: PREFIX_SYNC.plural,
  })) as { items: PrefixSync[] };
  const cms = await env.kube.core.listConfigMapForAllNamespaces({
    fieldSelector: `metadata.name=${CONFIG_MAP}`,
  });
  const deps = await env.kube.apps.listDeploymentForAllNamespaces({
    fieldSelector: `metadata.name=${DEPLOYMENT}`,
  });
  const now = await env.healthyClient().kv.range({ prefix: env.rootPrefix });
  const pending: string[] = [];
  const synced = new Map<ChaosTenant, [PrefixSync, V1ConfigMap]>();
  for (const t of env.tenants) {
    const where = `PrefixSync ${t.namespace}/${PREFIX_SYNC_NAME} (prefix ${t.prefix})`;
    const fail = (why: string): void => void pending.push(`${where}: ${why}`);
    const ps = list.items.find((p) => p.metadata.namespace === t.namespace);
    const cm = cms.items.find((c) => c.metadata?.namespace === t.namespace);
    const dep = deps.items.find((d) => d.metadata?.namespace === t.namespace);
    const at = ps?.status?.syncedRevision;
    if (!ps || at === undefined) {
      fail('no status.syncedRevision yet');
      continue;
    }
    const revision = BigInt(at);
    if (revision > now.revision) {
      fail(
        `status.syncedRevision ${at} is ahead of etcd's current revision ${now.revision}: etcd went back (restore) and the PrefixSync has not followed`,
      );
      continue;
    }
    const ready = conditionOf(ps, PrefixSyncConditionType.Ready)?.status;
    const syncedCond = conditionOf(ps, PrefixSyncConditionType.Synced)?.status;
    if (ready !== 'True' || syncedCond !== 'True') {
      fail(`conditions ${describeConditions(ps)}`);
      continue;
    }
    if (!cm) {
      fail('no ConfigMap');
      continue;
    }
    const entries = now.kvs.filter((kv) => kv.key.toString('utf8').startsWith(t.prefix));
    const want = render(ps, entries, now.revision);
    if (typeof want === 'string') {
      fail(want);
      continue;
    }
    const diff = contentDiff(cm, want);
    if (diff !== undefined) {
      fail(`ConfigMap ≠ etcd at its current revision ${now.revision} (status.syncedRevision ${at}): ${diff}`);
      continue;
    }
    if (ps.status?.contentHash !== want.contentHash) {
      fail(`status.contentHash ${ps.status?.contentHash} ≠ etcd's ${want.contentHash}`);
      continue;
    }
    const lastChange = entries.reduce((m, kv) => (kv.modRevision > m ? kv.modRevision : m), 0n);
    if (revision < lastChange) {
      fail(`status.syncedRevision ${at} is older than the prefix's last change at ${lastChange}`);
      continue;
    }
    const rolled = dep?.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION];
    const unrolled = rolled === undefined && want.contentHash === firstContentHash(env, t.namespace);
    if (rolled !== want.contentHash && !unrolled) {
      fail(`Deployment ${DEPLOYMENT} is on config-hash ${rolled}, content is ${want.contentHash}`);
      continue;
    }
    synced.set(t, [ps, cm]);
  }
  return { pending, synced };
}

/**
 * The exact check of the promise: each ConfigMap equals etcd's prefix read at exactly its
 * status.syncedRevision. A revision compaction has removed cannot be read; those are counted and
 * skipped (the ConfigMap then equals etcd now and no key changed after the status revision).
 */
async function exactAtStatusRevision(
  env: ChaosEnv,
  synced: Map<ChaosTenant, [PrefixSync, V1ConfigMap]>,
): Promise<{ pending: string[]; compactedSkips: number }> {
  const pending: string[] = [];
  let compactedSkips = 0;
  for (const [t, [ps, cm]] of synced) {
    const revision = BigInt(ps.status!.syncedRevision!);
    let kvs: KeyValue[];
    try {
      kvs = (await env.healthyClient().kv.range({ prefix: t.prefix, revision })).kvs;
    } catch (e) {
      if (e instanceof CompactedError) {
        compactedSkips++;
        continue;
      }
      throw e;
    }
    const want = render(ps, kvs, revision);
    const diff = typeof want === 'string' ? want : contentDiff(cm, want);
    if (diff !== undefined)
      pending.push(
        `PrefixSync ${t.namespace}/${PREFIX_SYNC_NAME} (prefix ${t.prefix}): ConfigMap ≠ etcd at status.syncedRevision ${revision}: ${diff}`,
      );
  }
  return { pending, compactedSkips };
}

/**
 * With the writer paused, waits until every PrefixSync has converged: Ready and Synced, its ConfigMap
 * equal to etcd's prefix at status.syncedRevision *and* now (so the status revision is current, not
 * ahead of etcd and not behind the prefix's last change), status.contentHash that content's hash, and
 * its Deployment rolled to it (or never rolled, if the content is still the first one). Polls until
 * `timeoutMs` after `sinceMs`; converged or not, says how long it took.
 */
export async function waitConverged(env: ChaosEnv, sinceMs: number, timeoutMs: number): Promise<Convergence> {
  const deadline = sinceMs + timeoutMs;
  let firstPending: string[] | undefined;
  for (;;) {
    let pending: string[];
    try {
      const seen = await look(env);
      pending = seen.pending;
      if (pending.length === 0) {
        const exact = await exactAtStatusRevision(env, seen.synced);
        pending = exact.pending;
        firstPending ??= pending;
        if (pending.length === 0) {
          const ms = Date.now() - sinceMs;
          return { isConverged: true, ms, compactedSkips: exact.compactedSkips, firstPending };
        }
      }
      firstPending ??= pending;
    } catch (e) {
      pending = [`look failed: ${e instanceof Error ? e.message : String(e)}`];
    }
    if (Date.now() > deadline)
      return { isConverged: false, ms: Date.now() - sinceMs, pending, firstPending: firstPending ?? pending };
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}

/** Rollout-relevant changes of one object kind for one namespace, collapsed to value changes. */
function valueChanges<T>(
  changes: readonly ClusterChange<T>[],
  namespace: string,
  valueOf: (o: T) => string | undefined,
): { value: string; resourceVersion: bigint }[] {
  const out: { value: string; resourceVersion: bigint }[] = [];
  let current: string | undefined;
  for (const c of changes) {
    if (c.namespace !== namespace || c.type === 'DELETED') continue;
    const v = valueOf(c.object);
    if (v !== undefined && v !== current) out.push({ value: v, resourceVersion: c.resourceVersion });
    current = v;
  }
  return out;
}

/**
 * "Nothing is rolled out without a content change": per tenant, the Deployment's config-hash
 * annotation values (each new value is one rollout, as the Deployment controller would see it) must be
 * an ordered subsequence of the ConfigMap's content changes after its first content — every rollout
 * matches one content change to that hash written before it, and no content change is rolled twice.
 * Going back to an earlier content (a restore) is a content change too. Order is the simulator's
 * global resourceVersion.
 */
export function rolloutViolations(env: ChaosEnv): string[] {
  const out: string[] = [];
  for (const t of env.tenants) {
    const contents = valueChanges<V1ConfigMap>(env.recorded.configMaps.changes, t.namespace, (cm) =>
      contentHash(cm.data ?? {}, cm.binaryData ?? {}),
    );
    const rollouts = valueChanges<V1Deployment>(
      env.recorded.deployments.changes,
      t.namespace,
      (d) => d.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
    );
    let next = 1; // the first content (the first sync) is never rolled
    for (const r of rollouts) {
      let k = next;
      while (
        k < contents.length &&
        !(contents[k]!.value === r.value && contents[k]!.resourceVersion < r.resourceVersion)
      )
        k++;
      if (k >= contents.length) {
        out.push(
          `Deployment ${t.namespace}/${DEPLOYMENT} rolled out config-hash ${r.value} (resourceVersion ${r.resourceVersion}) without a new ConfigMap content of that hash since its previous rollout`,
        );
        continue;
      }
      next = k + 1;
    }
  }
  return out;
}

/** Who held the Lease from when (acquireTime), in order. */
function holderTimeline(leases: readonly ClusterChange<V1Lease>[]): { holder: string; fromMs: number }[] {
  const out: { holder: string; fromMs: number }[] = [];
  for (const c of leases) {
    const holder = c.object.spec?.holderIdentity ?? '';
    const fromMs = microTimeMs(c.object.spec?.acquireTime) ?? 0;
    const last = out[out.length - 1];
    if (last && last.holder === holder && last.fromMs === fromMs) continue;
    out.push({ holder, fromMs });
  }
  return out;
}

/**
 * "No two replicas act at once": the replicas' acting windows (became leader → controllers stopped,
 * or death) never overlap, and every write a replica logged (ConfigMap written, workload rolled out)
 * falls inside one of its own windows and at a time the Lease names it holder.
 */
export function actorViolations(env: ChaosEnv): string[] {
  const out: string[] = [];
  const fmt = (ms: number | undefined): string => (ms === undefined ? 'now' : new Date(ms).toISOString());
  const replicas = env.replicas;
  for (let a = 0; a < replicas.length; a++) {
    for (let b = a + 1; b < replicas.length; b++) {
      for (const wa of replicas[a]!.windows) {
        for (const wb of replicas[b]!.windows) {
          const aEnd = wa.toMs ?? Infinity;
          const bEnd = wb.toMs ?? Infinity;
          if (wa.fromMs < bEnd && wb.fromMs < aEnd) {
            out.push(
              `${replicas[a]!.identity} acted ${fmt(wa.fromMs)}–${fmt(wa.toMs)} while ${replicas[b]!.identity} acted ${fmt(wb.fromMs)}–${fmt(wb.toMs)}`,
            );
          }
        }
      }
    }
  }
  const timeline = holderTimeline(env.recorded.leases.changes);
  for (const r of replicas) {
    for (const act of r.actions) {
      const inWindow = r.windows.some((w) => w.fromMs <= act.timeMs && act.timeMs <= (w.toMs ?? Infinity));
      const holder = [...timeline].reverse().find((h) => h.fromMs <= act.timeMs)?.holder ?? '';
      if (!inWindow || holder !== r.identity) {
        out.push(
          `${r.identity} logged '${act.message}' for ${act.namespace}/${act.name} (${act.detail}) at ${fmt(act.timeMs)}, ${inWindow ? '' : 'outside its acting windows, '}while the Lease named '${holder}'`,
        );
      }
    }
  }
  return out;
}

/** How much the rollout and single-actor checks had to go on: evidence that they were not vacuous. */
export function checkedEvidence(env: ChaosEnv): string {
  const cmChanges = env.recorded.configMaps.changes.length;
  const rollouts = env.tenants.reduce(
    (n, t) =>
      n +
      valueChanges<V1Deployment>(
        env.recorded.deployments.changes,
        t.namespace,
        (d) => d.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
      ).length,
    0,
  );
  const actions = env.replicas.reduce((n, r) => n + r.actions.length, 0);
  const actors = env.replicas.filter((r) => r.actions.length > 0).length;
  const terms = holderTimeline(env.recorded.leases.changes).filter((h) => h.holder !== '').length;
  const windows = env.replicas.reduce((n, r) => n + r.windows.length, 0);
  return (
    `checked: ${rollouts} rollouts against ${cmChanges} recorded ConfigMap writes; ` +
    `${actions} logged writes by ${actors} replicas against ${terms} Lease terms and ${windows} acting windows`
  );
}

/** Gaps in the recordings: a checker must not pass on a recording that missed changes. */
export function recordingViolations(env: ChaosEnv): string[] {
  return Object.values(env.recorded)
    .map((r) => r.gap)
    .filter((g): g is string => g !== undefined);
}
