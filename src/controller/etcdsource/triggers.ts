// What makes a ClusterEtcdSource reconcile besides its own changes: the Secrets it reads.
import { resolveClusterEtcdSourceSpec, type ClusterEtcdSource } from '../../api/index.js';
import type { Request } from '../../runtime/index.js';
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
