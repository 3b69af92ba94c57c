// The informers the controllers read, each under one key of the manager's registry so that two
// controllers reading the same kind share one list-watch and one cache.
import type { KubernetesObject, V1ConfigMap, V1Namespace, V1Secret } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type WorkloadKind } from '../../api/index.js';
import {
  ConfigMapClient,
  Informer,
  MultiNamespaceInformer,
  NamespaceSource,
  SecretSource,
  WorkloadClient,
  type InformerOptions,
  type KindInformer,
  type Workload,
} from '../../kube/index.js';
import type { InformerRegistry } from '../../runtime/index.js';
import type { ControllerEnv } from './controller-env.js';
import { clusterEtcdSourceResource, prefixSyncResource } from './resources.js';

/** Registry keys: the resource each informer lists, as named in "cannot list" logs. */
export const INFORMER_KEYS = {
  prefixSyncs: 'prefixsyncs.etcdconfig.dev',
  sources: 'clusteretcdsources.etcdconfig.dev',
  managedConfigMaps: 'configmaps',
  // Not `secrets`: that key is the operator namespace's Secret informer, a different list-watch.
  managedSecrets: 'secrets (managed targets)',
  namespaces: 'namespaces',
  operatorSecrets: 'secrets',
  deployments: 'deployments.apps',
  statefulSets: 'statefulsets.apps',
  daemonSets: 'daemonsets.apps',
  cronJobs: 'cronjobs.batch',
  argoRollouts: 'rollouts.argoproj.io',
} as const;

/** The registry key of each workload kind's informer. */
const WORKLOAD_INFORMER_KEYS: Readonly<Record<WorkloadKind, string>> = {
  Deployment: INFORMER_KEYS.deployments,
  StatefulSet: INFORMER_KEYS.statefulSets,
  DaemonSet: INFORMER_KEYS.daemonSets,
  CronJob: INFORMER_KEYS.cronJobs,
  Rollout: INFORMER_KEYS.argoRollouts,
};

function options<T extends KubernetesObject>(
  env: ControllerEnv,
  source: InformerOptions<T>['source'],
  extra: Pick<InformerOptions<T>, 'namespace' | 'labelSelector'> = {},
): InformerOptions<T> {
  return {
    source,
    kubeConfig: env.kubeConfig,
    logger: env.logger.child({ component: 'informer' }),
    ...extra,
  };
}

/**
 * An informer of a namespaced kind over the namespaces the operator watches: one list-watch across
 * the cluster, or (a namespace-scoped install) one per watched namespace, so that nothing is ever
 * listed or watched elsewhere.
 */
export function inWatchedNamespaces<T extends KubernetesObject>(
  env: ControllerEnv,
  source: InformerOptions<T>['source'],
  extra: Pick<InformerOptions<T>, 'labelSelector'> = {},
): KindInformer<T> {
  const namespaces = env.watchNamespaces ?? [];
  if (namespaces.length === 0) return new Informer(options(env, source, extra));
  return new MultiNamespaceInformer(
    new Map(
      namespaces.map((namespace) => [namespace, new Informer(options(env, source, { ...extra, namespace }))]),
    ),
  );
}

/** The PrefixSyncs of this replica's shard (every one without a shard selector) in the watched namespaces. */
export function prefixSyncInformer(
  registry: InformerRegistry,
  env: ControllerEnv,
): KindInformer<KubernetesObject> {
  return registry.informer(INFORMER_KEYS.prefixSyncs, () =>
    inWatchedNamespaces(
      env,
      prefixSyncResource(env.kubeConfig).raw,
      env.shardSelector ? { labelSelector: env.shardSelector } : {},
    ),
  );
}

/** Every ClusterEtcdSource. */
export function sourceInformer(registry: InformerRegistry, env: ControllerEnv): Informer<KubernetesObject> {
  return registry.informer(
    INFORMER_KEYS.sources,
    () => new Informer(options(env, clusterEtcdSourceResource(env.kubeConfig).raw)),
  );
}

/** The ConfigMaps the operator manages (by its managed-by label), in the watched namespaces. */
export function managedConfigMapInformer(
  registry: InformerRegistry,
  env: ControllerEnv,
): KindInformer<V1ConfigMap> {
  return registry.informer(INFORMER_KEYS.managedConfigMaps, () =>
    inWatchedNamespaces(env, new ConfigMapClient(env.kubeConfig), {
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    }),
  );
}

/**
 * The Secrets the operator manages (Secret targets, by its managed-by label), in the watched namespaces.
 * Ask for it only with Secret targets on (`--secret-targets`): only then is `watch` on Secrets granted.
 */
export function managedSecretInformer(
  registry: InformerRegistry,
  env: ControllerEnv,
): KindInformer<V1Secret> {
  return registry.informer(INFORMER_KEYS.managedSecrets, () =>
    inWatchedNamespaces(env, new SecretSource(env.kubeConfig), {
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    }),
  );
}

/** Every Namespace (their labels feed access rules with a namespaceSelector). */
export function namespaceInformer(registry: InformerRegistry, env: ControllerEnv): Informer<V1Namespace> {
  return registry.informer(
    INFORMER_KEYS.namespaces,
    () => new Informer(options(env, new NamespaceSource(env.kubeConfig))),
  );
}

/** The Secrets of the operator's namespace (TLS material and credentials of sources). */
export function operatorSecretInformer(registry: InformerRegistry, env: ControllerEnv): Informer<V1Secret> {
  return registry.informer(
    INFORMER_KEYS.operatorSecrets,
    () => new Informer(options(env, new SecretSource(env.kubeConfig), { namespace: env.namespace })),
  );
}

/**
 * Every workload of `kind` in the watched namespaces: the ones a rollout may restart, watched so that a target
 * created, deleted or changed is noticed at once. Ask only for the kinds the operator rolls (their RBAC
 * may be granted only then). Argo Rollouts' informer syncs (empty) while its CRD is not installed: it
 * logs that once, keeps looking with backoff, and the rest of the operator does not wait for it.
 */
export function workloadInformer(
  registry: InformerRegistry,
  env: ControllerEnv,
  kind: WorkloadKind,
): KindInformer<Workload> {
  const logger = env.logger.child({ component: 'informer' });
  return registry.informer(WORKLOAD_INFORMER_KEYS[kind], () =>
    inWatchedNamespaces(env, new WorkloadClient(env.kubeConfig, { logger }).source(kind)),
  );
}
