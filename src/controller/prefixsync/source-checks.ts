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
 * Each cached ClusterEtcdSource's resolved spec. The informer replaces its copy when the source
 * changes and never edits it, so one resolve per version serves every PrefixSync's reconcile.
 */
const resolvedSources = new WeakMap<ClusterEtcdSource, ReturnType<typeof resolveClusterEtcdSourceSpec>>();

function resolvedSourceSpec(source: ClusterEtcdSource): ReturnType<typeof resolveClusterEtcdSourceSpec> {
  let resolved = resolvedSources.get(source);
  if (!resolved) {
    resolved = resolveClusterEtcdSourceSpec(source.spec);
    resolvedSources.set(source, resolved);
  }
  return resolved;
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
  const resolved = resolvedSourceSpec(source);
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

/** What the checks of every source found: the clients to read from, and the revocation policy. */
export interface CheckedSources {
  /** ClusterEtcdSource name → its healthy client, for every source the spec reads. */
  clients: Map<string, EtcdClient>;
  /** `Delete` when the rule allowing any one source says so: losing that source deletes the target. */
  onRevoke: RevocationPolicy;
}

/**
 * The checks of {@link lookupSource}, {@link checkPrefixAccess} and {@link healthyClient} for every
 * entry of spec.sources, in order: each source must exist and let the namespace read its prefix before
 * any is read (one forbidden source is `PrefixForbidden` naming it, and nothing is published), then
 * each source must be healthy.
 */
export function checkSources(
  sources: (name: string) => ClusterEtcdSource | undefined,
  namespaceLabels: (name: string) => Record<string, string> | undefined,
  connections: SourceConnections,
  psync: PrefixSync,
  spec: ResolvedPrefixSyncSpec,
): CheckedSources {
  let onRevoke: RevocationPolicy = 'Keep';
  for (const [i, entry] of spec.sources.entries()) {
    const one = { ...spec, sourceRef: entry.sourceRef, prefix: entry.prefix };
    const source = lookupSource(sources, one);
    try {
      if (checkPrefixAccess(namespaceLabels, psync, one, source) === 'Delete') onRevoke = 'Delete';
    } catch (err) {
      if (!(err instanceof ReconcileFailure) || spec.sources.length === 1) throw err;
      throw new ReconcileFailure(
        PrefixSyncReason.PrefixForbidden,
        `spec.sources[${i}]: ${err.message}; nothing is published until every source may be read`,
        'wait',
      );
    }
  }
  const clients = new Map<string, EtcdClient>();
  for (const entry of spec.sources) {
    const name = entry.sourceRef.name;
    if (!clients.has(name))
      clients.set(name, healthyClient(connections, { ...spec, sourceRef: entry.sourceRef }));
  }
  return { clients, onRevoke };
}
