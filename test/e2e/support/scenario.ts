import { strict as assert } from 'node:assert';
import type { V1ConfigMap, V1Deployment } from '@kubernetes/client-node';
import {
  CONFIG_HASH_ANNOTATION,
  PrefixSyncConditionType,
  type PrefixSync,
  type PrefixSyncSpec,
} from '../../../src/api/index.js';
import { conditionOf, describeConditions } from './kube-api.js';
import { ObjectRecorder } from './object-recorder.js';
import type { OperatorEnv } from './operator-env.js';
import { waitFor } from './wait.js';

let counter = 0;

/** One test's own namespace, etcd prefix, ClusterEtcdSource and names: tests sharing an env never meet. */
export interface Tenant {
  namespace: string;
  /** An etcd prefix no other test uses, e.g. `/e2e-3/`. */
  prefix: string;
  /** A ClusterEtcdSource allowing exactly this namespace to read `prefix`. */
  source: string;
  /** Conventional names within the namespace. */
  prefixSync: string;
  configMap: string;
  deployment: string;
}

/** Creates a namespace and a ClusterEtcdSource that allows it `prefix` (and nothing else). */
export async function newTenant(env: OperatorEnv, label = 't'): Promise<Tenant> {
  const n = `${label}${++counter}-${process.pid}`;
  const t: Tenant = {
    namespace: `ns-${n}`,
    prefix: `/e2e-${n}/`,
    source: `src-${n}`,
    prefixSync: 'app',
    configMap: 'app-config',
    deployment: 'web',
  };
  await env.kube.createNamespace(t.namespace);
  await env.kube.createSource(t.source, {
    endpoints: [...env.etcd.endpoints],
    access: [{ namespaces: [t.namespace], prefixes: [t.prefix] }],
  });
  return t;
}

/** A PrefixSync spec for the tenant: files format, rollout of its Deployment, debounce 0s unless set. */
export function specFor(t: Tenant, overrides: Partial<PrefixSyncSpec> = {}): PrefixSyncSpec {
  return {
    sourceRef: { name: t.source },
    prefix: t.prefix,
    target: { name: t.configMap },
    rollout: { mode: 'targets', targets: [{ kind: 'Deployment', name: t.deployment }] },
    debounce: '0s',
    ...overrides,
  };
}

/** The ConfigMap data a `files` PrefixSync with separator `.` must hold for etcd's entries. */
export function expectedFilesData(entries: Map<string, string>): Record<string, string> {
  const pairs: [string, string][] = [...entries].map(([k, v]) => [k.replaceAll('/', '.'), v]);
  return Object.fromEntries(pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function sorted(data: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(data ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** What the user sees once a sync is complete. */
export interface SyncedState {
  configMap: V1ConfigMap;
  prefixSync: PrefixSync;
  revision: bigint;
}

/**
 * Waits until the ConfigMap holds etcd's exact current content under the prefix and the PrefixSync's
 * status says so: `syncedRevision` at least the revision of that content (exactly `exactRevision`
 * when given), Synced and Ready True. Returns what it saw.
 */
export async function waitForExactSync(
  env: OperatorEnv,
  t: Tenant,
  options: { exactRevision?: bigint; name?: string; configMap?: string; timeoutMs?: number } = {},
): Promise<SyncedState> {
  const name = options.name ?? t.prefixSync;
  const cmName = options.configMap ?? t.configMap;
  return waitFor(
    `ConfigMap ${t.namespace}/${cmName} and PrefixSync ${name} to match etcd under ${t.prefix}`,
    async () => {
      const etcd = await env.etcdPrefix(t.prefix);
      const want = expectedFilesData(etcd.entries);
      const cm = await env.kube.getConfigMap(t.namespace, cmName);
      const ps = await env.kube.getPrefixSync(t.namespace, name);
      const got = sorted(cm?.data);
      if (JSON.stringify(got) !== JSON.stringify(want)) {
        return `ConfigMap data ${truncate(JSON.stringify(got))} != etcd ${truncate(JSON.stringify(want))}; ${describeConditions(ps)}`;
      }
      const synced = ps?.status?.syncedRevision;
      const rev = synced === undefined ? undefined : BigInt(synced);
      const lastMod = await lastModRevision(env, t.prefix);
      if (rev === undefined || rev < lastMod) return `status.syncedRevision ${synced} < ${lastMod}`;
      if (options.exactRevision !== undefined && rev !== options.exactRevision)
        return `status.syncedRevision ${synced}, want exactly ${options.exactRevision}`;
      const ready = conditionOf(ps, PrefixSyncConditionType.Ready);
      const syncedCond = conditionOf(ps, PrefixSyncConditionType.Synced);
      if (ready?.status !== 'True' || syncedCond?.status !== 'True')
        return `conditions: ${describeConditions(ps)}`;
      return { configMap: cm!, prefixSync: ps!, revision: rev };
    },
    options.timeoutMs,
  );
}

/** The highest mod revision under `prefix` (0 when empty): the least a correct syncedRevision can be. */
async function lastModRevision(env: OperatorEnv, prefix: string): Promise<bigint> {
  const r = await env.etcdClient.kv.range({ prefix });
  return r.kvs.reduce((m, kv) => (kv.modRevision > m ? kv.modRevision : m), 0n);
}

function truncate(s: string): string {
  return s.length > 300 ? `${s.slice(0, 300)}…` : s;
}

/** The Deployment's rollout state: generation and the config-hash pod-template annotation. */
export async function rolloutState(
  env: OperatorEnv,
  t: Tenant,
): Promise<{ generation: number; hash: string | undefined; deployment: V1Deployment }> {
  const d = await env.kube.getDeployment(t.namespace, t.deployment);
  assert.ok(d, `Deployment ${t.namespace}/${t.deployment} exists`);
  return {
    generation: d.metadata?.generation ?? 0,
    hash: d.spec?.template.metadata?.annotations?.[CONFIG_HASH_ANNOTATION],
    deployment: d,
  };
}

/** Starts recording writes to the tenant's ConfigMap and Deployment from their current resourceVersions. */
export async function recordWrites(
  env: OperatorEnv,
  t: Tenant,
): Promise<{
  configMap: ObjectRecorder<V1ConfigMap>;
  deployment: ObjectRecorder<V1Deployment>;
  stop: () => void;
}> {
  const cm = await env.kube.getConfigMap(t.namespace, t.configMap);
  const d = await env.kube.getDeployment(t.namespace, t.deployment);
  const configMap = await ObjectRecorder.start<V1ConfigMap>(
    env.kc,
    `/api/v1/namespaces/${t.namespace}/configmaps`,
    t.configMap,
    cm?.metadata?.resourceVersion,
  );
  const deployment = await ObjectRecorder.start<V1Deployment>(
    env.kc,
    `/apis/apps/v1/namespaces/${t.namespace}/deployments`,
    t.deployment,
    d?.metadata?.resourceVersion,
  );
  return {
    configMap,
    deployment,
    stop: () => {
      configMap.stop();
      deployment.stop();
    },
  };
}

/**
 * Waits until the PrefixSync has condition `type` with `status` and `reason`; returns the object.
 */
export async function waitForCondition(
  env: OperatorEnv,
  namespace: string,
  name: string,
  type: string,
  status: 'True' | 'False' | 'Unknown',
  reason: string,
  timeoutMs?: number,
): Promise<PrefixSync> {
  return waitFor(
    `PrefixSync ${namespace}/${name} to have ${type}=${status} with reason ${reason}`,
    async () => {
      const ps = await env.kube.getPrefixSync(namespace, name);
      const c = conditionOf(ps, type);
      return (c?.status === status && c.reason === reason && ps) || `conditions: ${describeConditions(ps)}`;
    },
    timeoutMs,
  );
}
