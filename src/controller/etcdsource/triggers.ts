// What makes a ClusterEtcdSource reconcile besides its own changes: the Secrets it reads.
import { resolveClusterEtcdSourceSpec, type ClusterEtcdSource } from '../../api/index.js';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Request } from '../../runtime/index.js';
import { asClusterEtcdSource } from '../shared/resources.js';
import { referencedSecrets } from './connection-settings.js';

/** The sources whose TLS or auth settings name Secret `secret` (in the operator's namespace). */
export function requestsForSecret(secret: string, sources: readonly ClusterEtcdSource[]): Request[] {
  return sources
    .filter((source) => {
      const resolved = resolveClusterEtcdSourceSpec(source.spec);
      return resolved.ok && referencedSecrets(resolved.spec).includes(secret);
    })
    .map((source) => ({ name: source.metadata.name ?? '' }));
}

/** Whether an update of a source needs a reconcile: spec or deletion changed, not our status writes. */
export function sourceChanged(old: ClusterEtcdSource, current: ClusterEtcdSource): boolean {
  return (
    old.metadata.generation !== current.metadata.generation ||
    old.metadata.deletionTimestamp !== current.metadata.deletionTimestamp
  );
}

/** {@link sourceChanged}, on the informer's untyped objects. */
export function sourceSpecChanged(old: KubernetesObject, current: KubernetesObject): boolean {
  return sourceChanged(
    asClusterEtcdSource(old) as ClusterEtcdSource,
    asClusterEtcdSource(current) as ClusterEtcdSource,
  );
}
