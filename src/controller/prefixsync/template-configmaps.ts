// The ConfigMaps that hold templates (`target.template.configMapRef`): read from the informers' caches,
// and a change to one re-renders the PrefixSyncs that use it (otherwise a PrefixSync waiting after
// TemplateFailed would wait for etcd or its spec only).
import type { KubernetesObject, V1ConfigMap } from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type PrefixSync } from '../../api/index.js';
import { ConfigMapClient, type InformerHandlers, type KindInformer } from '../../kube/index.js';
import type { InformerRegistry, Request } from '../../runtime/index.js';
import type { ControllerEnv } from '../shared/controller-env.js';
import { inWatchedNamespaces } from '../shared/informers.js';
import { asPrefixSync } from '../shared/resources.js';
import { requestOf } from './triggers.js';

/** Registry key of the informer of the ConfigMaps the operator does not manage (templates among them). */
export const TEMPLATE_CONFIGMAPS_INFORMER_KEY = 'configmaps (unmanaged)';

/**
 * Every ConfigMap of the watched namespaces without the operator's managed-by label, cached: a
 * template ConfigMap is the user's, so no label of ours selects it. The managed ones are in the
 * managed-ConfigMaps informer, so the two caches together hold every ConfigMap once (a PrefixSync's
 * target can still be another's template). Made on first use and shared by the registry.
 */
export function templateConfigMapInformer(
  registry: InformerRegistry,
  env: ControllerEnv,
): KindInformer<V1ConfigMap> {
  // A namespace-scoped operator lists ConfigMaps only where it may (one list-watch per namespace).
  return registry.informer(TEMPLATE_CONFIGMAPS_INFORMER_KEY, () =>
    inWatchedNamespaces(env, new ConfigMapClient(env.kubeConfig), {
      labelSelector: `${MANAGED_BY_LABEL}!=${MANAGED_BY_VALUE}`,
    }),
  );
}

/** The ConfigMap a PrefixSync's templates come from, if they come from one. */
export function templateConfigMapOf(psync: PrefixSync): string | undefined {
  const spec = psync.spec as PrefixSync['spec'] | undefined;
  return spec?.target?.format === 'template' ? spec.target.template?.configMapRef?.name : undefined;
}

/** The PrefixSyncs of `cm`'s namespace whose templates are `cm` (it was added, changed or deleted). Pure. */
export function requestsForTemplateConfigMap(cm: V1ConfigMap, psyncs: readonly PrefixSync[]): Request[] {
  const name = cm.metadata?.name;
  const namespace = cm.metadata?.namespace;
  if (!name || !namespace) return [];
  return psyncs
    .filter((p) => p.metadata.namespace === namespace && templateConfigMapOf(p) === name)
    .map(requestOf);
}

/**
 * Which template ConfigMaps (`namespace/name`) the cached PrefixSyncs use, kept by the PrefixSync
 * informer's handlers. The ConfigMap informers see every ConfigMap of the watched namespaces — the
 * operator's own targets too — and a scan of every PrefixSync on each of those events made a start with
 * N PrefixSyncs O(N²); only a ConfigMap that some PrefixSync uses needs the scan.
 */
export class TemplateRefs {
  /** `namespace/name` → how many cached PrefixSyncs use it. */
  private readonly counts = new Map<string, number>();

  /** Whether some cached PrefixSync takes its templates from `cm`. */
  uses(cm: V1ConfigMap): boolean {
    return this.counts.has(`${cm.metadata?.namespace ?? ''}/${cm.metadata?.name ?? ''}`);
  }

  /** Handlers for the PrefixSync informer that keep the counts equal to its cache. */
  handlers(): InformerHandlers<KubernetesObject> {
    return {
      onAdd: (p) => this.change(p, 1),
      onUpdate: (old, cur) => {
        this.change(old, -1);
        this.change(cur, 1);
      },
      onDelete: (p) => this.change(p, -1),
    };
  }

  private change(obj: KubernetesObject, by: 1 | -1): void {
    const p = asPrefixSync(obj) as PrefixSync;
    const name = templateConfigMapOf(p);
    if (name === undefined) return;
    const key = `${p.metadata.namespace ?? ''}/${name}`;
    const count = (this.counts.get(key) ?? 0) + by;
    if (count > 0) this.counts.set(key, count);
    else this.counts.delete(key);
  }
}
