import {
  ApiException,
  type AppsV1Api,
  type CoreV1Api,
  type CustomObjectsApi,
  type KubeConfig,
  type V1ConfigMap,
  type V1Deployment,
} from '@kubernetes/client-node';
import {
  API_VERSION,
  CLUSTER_ETCD_SOURCE,
  GROUP,
  PREFIX_SYNC,
  VERSION,
  type ClusterEtcdSource,
  type ClusterEtcdSourceSpec,
  type Condition,
  type PrefixSync,
  type PrefixSyncSpec,
} from '../../../src/api/index.js';

/** Retries of a read-modify-replace that loses a 409 race with the operator. */
const MAX_REPLACE_ATTEMPTS = 10;

/** True when `e` is the API server's answer with HTTP status `code`. */
export function isStatus(e: unknown, code: number): boolean {
  return e instanceof ApiException && e.code === code;
}

/** The condition of `type`, if present. */
export function conditionOf(
  obj: { status?: { conditions?: Condition[] } } | undefined,
  type: string,
): Condition | undefined {
  return obj?.status?.conditions?.find((c) => c.type === type);
}

/** `Type=Status/Reason` of every condition, for failure messages. */
export function describeConditions(obj: { status?: { conditions?: Condition[] } } | undefined): string {
  return (obj?.status?.conditions ?? [])
    .map((c) => `${c.type}=${c.status}/${c.reason}: ${c.message}`)
    .join('; ');
}

/**
 * What a user sees through the API server, by client-node (the way kubectl would show it): our custom
 * resources, ConfigMaps, Deployments and Namespaces. Reads return undefined on 404.
 */
export class KubeApi {
  constructor(
    readonly core: CoreV1Api,
    readonly apps: AppsV1Api,
    readonly custom: CustomObjectsApi,
    readonly kc: KubeConfig,
  ) {}

  async createNamespace(name: string, labels: Record<string, string> = {}): Promise<void> {
    await this.core.createNamespace({ body: { metadata: { name, labels } } });
  }

  async createSource(name: string, spec: ClusterEtcdSourceSpec): Promise<void> {
    const body: ClusterEtcdSource = {
      apiVersion: API_VERSION,
      kind: 'ClusterEtcdSource',
      metadata: { name },
      spec,
    };
    await this.custom.createClusterCustomObject({
      group: GROUP,
      version: VERSION,
      plural: CLUSTER_ETCD_SOURCE.plural,
      body,
    });
  }

  async getSource(name: string): Promise<ClusterEtcdSource | undefined> {
    return orUndefined(
      this.custom.getClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: CLUSTER_ETCD_SOURCE.plural,
        name,
      }),
    ) as Promise<ClusterEtcdSource | undefined>;
  }

  /** Read-modify-replace of a ClusterEtcdSource's spec, retried on 409. */
  async updateSource(name: string, edit: (spec: ClusterEtcdSourceSpec) => void): Promise<void> {
    await replaceWithRetry(async () => {
      const obj = await this.getSource(name);
      if (!obj) throw new Error(`ClusterEtcdSource ${name} not found`);
      edit(obj.spec);
      await this.custom.replaceClusterCustomObject({
        group: GROUP,
        version: VERSION,
        plural: CLUSTER_ETCD_SOURCE.plural,
        name,
        body: obj,
      });
    });
  }

  async createPrefixSync(
    namespace: string,
    name: string,
    spec: PrefixSyncSpec,
    annotations: Record<string, string> = {},
  ): Promise<void> {
    const body: PrefixSync = {
      apiVersion: API_VERSION,
      kind: 'PrefixSync',
      metadata: { name, namespace, annotations },
      spec,
    };
    await this.custom.createNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PREFIX_SYNC.plural,
      body,
    });
  }

  async getPrefixSync(namespace: string, name: string): Promise<PrefixSync | undefined> {
    return orUndefined(
      this.custom.getNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PREFIX_SYNC.plural,
        name,
      }),
    ) as Promise<PrefixSync | undefined>;
  }

  /** Read-modify-replace of a PrefixSync (spec or metadata), retried on 409. */
  async updatePrefixSync(namespace: string, name: string, edit: (obj: PrefixSync) => void): Promise<void> {
    await replaceWithRetry(async () => {
      const obj = await this.getPrefixSync(namespace, name);
      if (!obj) throw new Error(`PrefixSync ${namespace}/${name} not found`);
      edit(obj);
      await this.custom.replaceNamespacedCustomObject({
        group: GROUP,
        version: VERSION,
        namespace,
        plural: PREFIX_SYNC.plural,
        name,
        body: obj,
      });
    });
  }

  async deletePrefixSync(namespace: string, name: string): Promise<void> {
    await this.custom.deleteNamespacedCustomObject({
      group: GROUP,
      version: VERSION,
      namespace,
      plural: PREFIX_SYNC.plural,
      name,
    });
  }

  async getConfigMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return orUndefined(this.core.readNamespacedConfigMap({ namespace, name }));
  }

  async createConfigMap(namespace: string, name: string, data: Record<string, string>): Promise<V1ConfigMap> {
    return this.core.createNamespacedConfigMap({ namespace, body: { metadata: { name, namespace }, data } });
  }

  /** A one-replica Deployment whose pods mount ConfigMap `configMap` at /config. */
  async createDeployment(namespace: string, name: string, configMap: string): Promise<V1Deployment> {
    return this.apps.createNamespacedDeployment({
      namespace,
      body: {
        metadata: { name, namespace },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: name } },
          template: {
            metadata: { labels: { app: name } },
            spec: {
              containers: [
                { name: 'app', image: 'nginx', volumeMounts: [{ name: 'config', mountPath: '/config' }] },
              ],
              volumes: [{ name: 'config', configMap: { name: configMap } }],
            },
          },
        },
      },
    });
  }

  async getDeployment(namespace: string, name: string): Promise<V1Deployment | undefined> {
    return orUndefined(this.apps.readNamespacedDeployment({ namespace, name }));
  }

  /**
   * Events about one object, as `Type/Reason: message` (a cluster-scoped object's Events are in
   * `default`, as kubectl describe finds them).
   */
  async eventsOf(kind: string, name: string, namespace = 'default'): Promise<string[]> {
    const list = await this.core.listNamespacedEvent({ namespace });
    return list.items
      .filter((e) => e.involvedObject.kind === kind && e.involvedObject.name === name)
      .map((e) => `${e.type ?? ''}/${e.reason ?? ''}: ${e.message ?? ''}`);
  }
}

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isStatus(e, 404)) return undefined;
    throw e;
  }
}

async function replaceWithRetry(attempt: () => Promise<void>): Promise<void> {
  for (let i = 1; ; i++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isStatus(e, 409) || i >= MAX_REPLACE_ATTEMPTS) throw e;
    }
  }
}
