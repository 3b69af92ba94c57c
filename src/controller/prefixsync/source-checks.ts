// The checks a PrefixSync passes before its prefix is read: its source exists, the source's access
// rules let this namespace read this prefix, and the source is connected and healthy. Each failure is
// a ReconcileFailure whose message says what to do.
import {
  PrefixSyncReason,
  checkAccess,
  resolveClusterEtcdSourceSpec,
  type ClusterEtcdSource,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
  type RevocationPolicy,
} from '../../api/index.js';
import type { EtcdClient } from '../../etcd/index.js';
import type { SourceConnections } from '../connections/source-connections.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';

/** The PrefixSync's ClusterEtcdSource, from the informer cache; `SourceNotFound` if absent. */
export function lookupSource(
  sources: (name: string) => ClusterEtcdSource | undefined,
  spec: ResolvedPrefixSyncSpec,
): ClusterEtcdSource {
  const source = sources(spec.sourceRef.name);
  if (!source) {
    throw new ReconcileFailure(
      PrefixSyncReason.SourceNotFound,
      `ClusterEtcdSource ${spec.sourceRef.name} not found: create it, or set spec.sourceRef.name to one that exists (kubectl get clusteretcdsources)`,
      'wait',
    );
  }
  return source;
}

/**
 * `PrefixForbidden` unless an access rule of the source lets the PrefixSync's namespace read its prefix;
 * returns that rule's `onRevoke`.
 */
export function checkPrefixAccess(
  namespaceLabels: (name: string) => Record<string, string> | undefined,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
  source: ClusterEtcdSource,
): RevocationPolicy {
  const namespace = psync.metadata.namespace ?? '';
  const resolved = resolveClusterEtcdSourceSpec(source.spec);
  const rules = resolved.ok ? resolved.spec.access : [];
  const labels = namespaceLabels(namespace) ?? {};
  const decision = checkAccess(rules, { name: namespace, labels }, spec.prefix);
  if (decision.allowed) return rules[decision.ruleIndex]?.onRevoke ?? 'Keep';
  throw new ReconcileFailure(
    PrefixSyncReason.PrefixForbidden,
    `no access rule of ClusterEtcdSource ${spec.sourceRef.name} lets namespace ${namespace} read ${spec.prefix}: a rule in its spec.access must name this namespace (or select it by labels) and a prefix covering this one`,
    'wait',
  );
}

/** The source's client when its last probe found it healthy; `Pending` or `SourceUnavailable` otherwise. */
export function healthyClient(connections: SourceConnections, spec: ResolvedPrefixSyncSpec): EtcdClient {
  const name = spec.sourceRef.name;
  const connection = connections.get(name);
  const health = connection?.health;
  if (!connection || !health || health.state === 'pending') {
    throw new ReconcileFailure(
      PrefixSyncReason.Pending,
      `waiting for ClusterEtcdSource ${name} to connect`,
      'wait',
    );
  }
  if (health.state === 'failed') {
    throw new ReconcileFailure(
      PrefixSyncReason.SourceUnavailable,
      `ClusterEtcdSource ${name} is not ready (${health.reason}): ${health.message}`,
      'wait', // the source's health change queues it again
    );
  }
  return connection.client;
}
