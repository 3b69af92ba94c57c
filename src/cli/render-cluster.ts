// What `render` and the kubectl plugin read from the cluster, through the user's kubeconfig: the
// PrefixSync, its ClusterEtcdSource, the live target (ConfigMap or Secret) and a template ConfigMap.
// Absent objects are `undefined`, not errors.
import { KubeConfig, type V1ConfigMap, type V1Secret } from '@kubernetes/client-node';
import type { ClusterEtcdSource, PrefixSync } from '../api/index.js';
import { clusterEtcdSourceResource, prefixSyncResource } from '../controller/index.js';
import { ConfigMapClient, NotFoundError, SecretClient } from '../kube/index.js';

/**
 * The kubeconfig at `path`, or as kubectl finds it ($KUBECONFIG, ~/.kube/config, in-cluster), on
 * `context` when given. Throws when that context does not exist.
 */
export function loadKubeConfig(path?: string, context?: string): KubeConfig {
  const kc = new KubeConfig();
  if (path !== undefined) kc.loadFromFile(path);
  else kc.loadFromDefault();
  if (context !== undefined) {
    if (!kc.getContextObject(context))
      throw new Error(`--context: no context '${context}' in the kubeconfig`);
    kc.setCurrentContext(context);
  }
  return kc;
}

/** The current context's namespace, or `default` (kubectl's rule). */
export function contextNamespace(kc: KubeConfig): string {
  return kc.getContextObject(kc.getCurrentContext())?.namespace ?? 'default';
}

async function orUndefined<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (err) {
    if (err instanceof NotFoundError) return undefined;
    throw err;
  }
}

/** Reads of one cluster. Every method throws the kube layer's typed errors but for NotFound. */
export class ClusterReader {
  constructor(readonly kubeConfig: KubeConfig) {}

  prefixSync(namespace: string, name: string): Promise<PrefixSync | undefined> {
    return orUndefined(prefixSyncResource(this.kubeConfig).api.get({ namespace, name }));
  }

  source(name: string): Promise<ClusterEtcdSource | undefined> {
    return orUndefined(clusterEtcdSourceResource(this.kubeConfig).api.get({ name }));
  }

  configMap(namespace: string, name: string): Promise<V1ConfigMap | undefined> {
    return orUndefined(new ConfigMapClient(this.kubeConfig).get({ namespace, name }));
  }

  secret(namespace: string, name: string): Promise<V1Secret | undefined> {
    return orUndefined(new SecretClient(this.kubeConfig).get({ namespace, name }));
  }
}
