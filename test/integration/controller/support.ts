// Test environment for the controllers: real etcd, the Kubernetes API simulator with our CRDs, and the
// operator's Manager in this process, talking to both through the real clients.
import { readFile } from 'node:fs/promises';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
  type V1PodSpec,
} from '@kubernetes/client-node';
import { parse } from 'yaml';
import {
  configHashAnnotation,
  type ClusterEtcdSourceSpec,
  type PrefixSync,
  type PrefixSyncSpec,
} from '../../../src/api/index.js';
import { EtcdClient } from '../../../src/etcd/index.js';
import { EtcdCluster } from '../../../src/envtest/etcd/index.js';
import { KubeSim } from '../../../src/envtest/kube-sim/index.js';
import { createLogger, silentLogger } from '../../../src/observability/index.js';
import { Manager, type ManagerOptions } from '../../../src/operator/index.js';

const CRDS = new URL('../../../crds/', import.meta.url);

export { waitFor } from '../../support/wait.js';

/** Installs the project's CRDs into the simulator as kubectl would (raw JSON keeps x-kubernetes-* keys). */
export async function installCrds(sim: KubeSim): Promise<void> {
  for (const file of ['etcdconfig.dev_prefixsyncs.yaml', 'etcdconfig.dev_clusteretcdsources.yaml']) {
    const body = parse(await readFile(new URL(file, CRDS), 'utf8')) as object;
    const res = await fetch(`${sim.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify(body),
    });
    if (res.status !== 201) throw new Error(`installing ${file}: HTTP ${res.status} ${await res.text()}`);
  }
}

/** etcd + simulator + clients for one test file. */
export class TestEnv {
  private managers: Manager[] = [];
  private counter = 0;

  private constructor(
    readonly etcd: EtcdCluster,
    readonly sim: KubeSim,
    readonly kc: KubeConfig,
    /** A client of our own etcd layer, to write test data. */
    readonly etcdClient: EtcdClient,
  ) {}

  static async start(options: { crds?: boolean } = {}): Promise<TestEnv> {
    const etcd = await EtcdCluster.start();
    let sim: KubeSim | undefined;
    try {
      sim = await KubeSim.start();
      if (options.crds ?? true) await installCrds(sim);
      const kc = sim.kubeConfig();
      return new TestEnv(etcd, sim, kc, new EtcdClient({ endpoints: etcd.endpoints }));
    } catch (err) {
      await sim?.close();
      await etcd.close();
      throw err;
    }
  }

  get custom(): CustomObjectsApi {
    return this.kc.makeApiClient(CustomObjectsApi);
  }
  get core(): CoreV1Api {
    return this.kc.makeApiClient(CoreV1Api);
  }
  get apps(): AppsV1Api {
    return this.kc.makeApiClient(AppsV1Api);
  }

  /** A fresh namespace (with `labels`) for one test: its own objects, its own etcd prefix. */
  async namespace(labels: Record<string, string> = {}): Promise<string> {
    const name = `t${++this.counter}-${Math.random().toString(36).slice(2, 7)}`;
    await this.core.createNamespace({ body: { metadata: { name, labels } } });
    return name;
  }

  /** Starts a Manager on this environment (silent unless OPERATOR_TEST_LOGS is set); closed by close(). */
  async startManager(options: Partial<ManagerOptions> = {}): Promise<Manager> {
    const manager = new Manager({
      kubeConfig: this.kc,
      namespace: 'default',
      leaderElection: false,
      sourceProbeIntervalMs: 300,
      logger: process.env['OPERATOR_TEST_LOGS'] ? createLogger({ level: 'debug' }) : silentLogger,
      ...options,
    });
    this.managers.push(manager);
    await manager.start();
    return manager;
  }

  async put(key: string, value: string | Buffer): Promise<bigint> {
    return (await this.etcdClient.kv.put(key, value)).revision;
  }

  async createSource(name: string, spec: Partial<ClusterEtcdSourceSpec> = {}): Promise<void> {
    await this.custom.createClusterCustomObject({
      group: 'etcdconfig.dev',
      version: 'v1alpha1',
      plural: 'clusteretcdsources',
      body: {
        apiVersion: 'etcdconfig.dev/v1alpha1',
        kind: 'ClusterEtcdSource',
        metadata: { name },
        spec: { endpoints: this.etcd.endpoints, ...spec },
      },
    });
  }

  async patchSource(name: string, patch: object): Promise<void> {
    const res = await fetch(`${this.sim.url}/apis/etcdconfig.dev/v1alpha1/clusteretcdsources/${name}`, {
      method: 'PATCH',
      headers: { 'Content-Type': 'application/merge-patch+json', Accept: 'application/json' },
      body: JSON.stringify(patch),
    });
    if (res.status !== 200)
      throw new Error(`patch clusteretcdsource: HTTP ${res.status} ${await res.text()}`);
  }

  async deleteSource(name: string): Promise<void> {
    await this.custom.deleteClusterCustomObject({
      group: 'etcdconfig.dev',
      version: 'v1alpha1',
      plural: 'clusteretcdsources',
      name,
    });
  }

  async createPrefixSync(
    namespace: string,
    name: string,
    spec: PrefixSyncSpec,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    await this.custom.createNamespacedCustomObject({
      group: 'etcdconfig.dev',
      version: 'v1alpha1',
      plural: 'prefixsyncs',
      namespace,
      body: {
        apiVersion: 'etcdconfig.dev/v1alpha1',
        kind: 'PrefixSync',
        metadata: { name, ...metadata },
        spec,
      },
    });
  }

  /**
   * A fresh namespace holding etcd `keys` under its own prefix `/<ns>/`, and PrefixSync `app` of that
   * prefix (source `main`) into ConfigMap `cfg` without debounce; `spec` overrides.
   */
  async freshApp(
    spec: Partial<PrefixSyncSpec> = {},
    keys: Record<string, string> = {},
  ): Promise<{ ns: string; prefix: string }> {
    const ns = await this.namespace();
    const prefix = `/${ns}/`;
    for (const [k, v] of Object.entries(keys)) await this.put(`${prefix}${k}`, v);
    await this.createPrefixSync(ns, 'app', {
      sourceRef: { name: 'main' },
      prefix,
      target: { name: 'cfg' },
      debounce: '0s',
      ...spec,
    });
    return { ns, prefix };
  }

  async patchPrefixSync(namespace: string, name: string, patch: object): Promise<void> {
    const res = await fetch(
      `${this.sim.url}/apis/etcdconfig.dev/v1alpha1/namespaces/${namespace}/prefixsyncs/${name}`,
      {
        method: 'PATCH',
        headers: { 'Content-Type': 'application/merge-patch+json', Accept: 'application/json' },
        body: JSON.stringify(patch),
      },
    );
    if (res.status !== 200) throw new Error(`patch prefixsync: HTTP ${res.status} ${await res.text()}`);
  }

  async deletePrefixSync(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: 'etcdconfig.dev',
      version: 'v1alpha1',
      plural: 'prefixsyncs',
      namespace,
      name,
    });
  }

  async prefixSync(namespace: string, name: string): Promise<PrefixSync | undefined> {
    try {
      return (await this.custom.getNamespacedCustomObject({
        group: 'etcdconfig.dev',
        version: 'v1alpha1',
        plural: 'prefixsyncs',
        namespace,
        name,
      })) as PrefixSync;
    } catch {
      return undefined;
    }
  }

  /** The condition of `type` of a PrefixSync, as `Status/Reason`, e.g. `False/InvalidKey`. */
  async condition(namespace: string, name: string, type = 'Ready'): Promise<string | undefined> {
    const c = (await this.prefixSync(namespace, name))?.status?.conditions?.find((x) => x.type === type);
    return c ? `${c.status}/${c.reason}` : undefined;
  }

  async configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    try {
      return await this.core.readNamespacedConfigMap({ namespace, name });
    } catch {
      return undefined;
    }
  }

  async createDeployment(
    namespace: string,
    name: string,
    podSpec: V1PodSpec,
    labels: Record<string, string> = {},
  ): Promise<void> {
    await this.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, labels },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: { metadata: { labels: { app: name } }, spec: podSpec },
        },
      },
    });
  }

  async deployment(namespace: string, name: string): Promise<V1Deployment> {
    return this.apps.readNamespacedDeployment({ namespace, name });
  }

  /** Events about a PrefixSync, as `Type/Reason: message`. */
  async events(namespace: string, name: string): Promise<string[]> {
    const list = await this.core.listNamespacedEvent({ namespace });
    return list.items
      .filter((e) => e.involvedObject.kind === 'PrefixSync' && e.involvedObject.name === name)
      .map((e) => `${e.type ?? ''}/${e.reason ?? ''}: ${e.message ?? ''}`);
  }

  /** The Event objects about PrefixSync `name`, with how often each was seen (aggregated repeats). */
  async eventRecords(
    namespace: string,
    name: string,
  ): Promise<{ type: string; reason: string; message: string; count: number }[]> {
    const list = await this.core.listNamespacedEvent({ namespace });
    return list.items
      .filter((e) => e.involvedObject.kind === 'PrefixSync' && e.involvedObject.name === name)
      .map((e) => ({
        type: e.type ?? '',
        reason: e.reason ?? '',
        message: e.message ?? '',
        count: e.series?.count ?? e.count ?? 1,
      }));
  }

  async closeManagers(): Promise<void> {
    const managers = this.managers;
    this.managers = [];
    await Promise.all(managers.map((m) => m.close()));
  }

  async close(): Promise<void> {
    await this.closeManagers();
    await this.etcdClient.close();
    await this.sim.close();
    await this.etcd.close();
  }
}

/** The spec of the `main` ClusterEtcdSource most suites use: any namespace, any prefix. */
export const OPEN_SOURCE: Partial<ClusterEtcdSourceSpec> = {
  access: [{ namespaceSelector: {}, prefixes: ['/'] }],
};

/**
 * The setup the controller and operator suites share, as mocha hooks of the calling `describe`: before
 * its tests a TestEnv starts (with the CRDs unless `crds: false`; with the open source `main` unless
 * `mainSource: false` or without CRDs) and is handed to `use`, which keeps it and may start managers;
 * after them it closes, managers included.
 */
export function useTestEnv(
  use: (env: TestEnv) => void | Promise<void>,
  options: { crds?: boolean; mainSource?: boolean } = {},
): void {
  let env: TestEnv | undefined;
  before(async () => {
    env = await TestEnv.start({ crds: options.crds ?? true });
    if (options.mainSource ?? options.crds ?? true) await env.createSource('main', OPEN_SOURCE);
    await use(env);
  });
  after(async () => {
    await env?.close();
  });
}

/** A pod spec whose one container mounts ConfigMap `configMap` as a volume. */
export function mountingPodSpec(configMap: string): V1PodSpec {
  return {
    containers: [{ name: 'app', image: 'nginx', volumeMounts: [{ name: 'cfg', mountPath: '/cfg' }] }],
    volumes: [{ name: 'cfg', configMap: { name: configMap } }],
  };
}

/** The config-hash annotation of a Deployment's pod template. */
export function templateHashOf(d: V1Deployment, prefixSync = 'app'): string | undefined {
  return d.spec?.template.metadata?.annotations?.[configHashAnnotation(prefixSync)];
}
