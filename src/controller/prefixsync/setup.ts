// How the PrefixSync controller plugs into the manager: what makes a PrefixSync reconcile (its own
// changes, its ConfigMap's, its source's, its namespace's labels, the workloads its rollout may
// restart, its prefix's content, its source's health) and the parts of one session (reconciler,
// pending changes, shared etcd connections).
import { isDeepStrictEqual } from 'node:util';
import type { KubernetesObject, V1ConfigMap, V1Namespace } from '@kubernetes/client-node';
import type { PrefixSync } from '../../api/index.js';
import {
  ConfigMapClient,
  ControllerRevisionClient,
  NotFoundError,
  SecretClient,
  type Informer,
  type KindInformer,
  type Workload,
} from '../../kube/index.js';
import {
  Controller,
  type ControllerSetup,
  type InformerRegistry,
  type Request,
  type SessionQueue,
  type SessionScope,
} from '../../runtime/index.js';
import { sessionConnections } from '../connections/session-connections.js';
import { sourceSpecChanged } from '../etcdsource/triggers.js';
import type { ControllerEnv } from '../shared/controller-env.js';
import { onEveryChange } from '../shared/handlers.js';
import {
  managedConfigMapInformer,
  managedSecretInformer,
  namespaceInformer,
  prefixSyncInformer,
  sourceInformer,
  workloadInformer,
} from '../shared/informers.js';
import { ReadThroughCache, readThroughConfigMaps, readThroughResourceApi } from '../shared/read-through.js';
import { asClusterEtcdSource, asPrefixSync, prefixSyncResource } from '../shared/resources.js';
import { PendingChanges } from './pending-changes.js';
import { PrefixSyncReconciler } from './reconciler.js';
import {
  requestsForTemplateConfigMap,
  templateConfigMapInformer,
  TemplateRefs,
} from './template-configmaps.js';
import { TemplatePool } from './template-pool.js';
import { secretTargetApi } from './secret-view.js';
import {
  prefixSyncChanged,
  requestForConfigMap,
  requestOf,
  requestsForNamespace,
  requestsForSource,
  requestsFollowingWorkload,
  requestsForWorkload,
  routeMirrorChange,
  workloadChanged,
} from './triggers.js';
import { rolloutKindsOf, workloadClientFor } from './workload-kinds.js';

/** The controller's name in logs and metrics. */
export const PREFIX_SYNC_CONTROLLER = 'prefixsync';
/** The session's template worker pool (one per session, closed with it). */
const TEMPLATE_POOL_KEY = 'prefixsync/template-pool';
/** Default parallel reconciles. */
const DEFAULT_WORKERS = 4;

interface Caches {
  /** In the watched namespaces only (see ControllerEnv.watchNamespaces), as are the ConfigMaps. */
  readonly prefixSyncs: KindInformer<KubernetesObject>;
  readonly sources: Informer<KubernetesObject>;
  readonly configMaps: KindInformer<V1ConfigMap>;
  readonly namespaces: Informer<V1Namespace>;
  /**
   * The ConfigMaps without the managed-by label (templates among them): with `configMaps`, every
   * ConfigMap of the watched namespaces, each in one of the two.
   */
  readonly unmanagedConfigMaps: KindInformer<V1ConfigMap>;
}

/** GETs the informer caches answer (read-through.ts), kept from watch() to every session's reconciler. */
interface CachedReads {
  readonly prefixSyncs: ReadThroughCache<PrefixSync>;
  readonly configMaps: ReadThroughCache<V1ConfigMap>;
}

/** The ConfigMap `namespace/name` as the two ConfigMap informers hold it (either, never both for long). */
function cachedConfigMap(
  caches: Caches,
  name: string,
  namespace: string | undefined,
): V1ConfigMap | undefined {
  return (
    caches.configMaps.store.get(name, namespace) ?? caches.unmanagedConfigMaps.store.get(name, namespace)
  );
}

/**
 * A GET of an object the informers do not hold: they hold every PrefixSync of the shard and every
 * ConfigMap of the watched namespaces, so it does not exist (or was created a moment ago: its create
 * then fails with AlreadyExists, and the key is read from the server from then on).
 */
function notCached(resource: string): (key: { namespace?: string | undefined; name: string }) => Error {
  return (key) => {
    // Thrown at the first sync of every target (thousands at a start): built without a stack trace,
    // which cost more than the rest of the lookup and tells nothing the message does not.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      return new NotFoundError(
        `get ${resource} ${key.namespace ?? ''}/${key.name}: not in the informer cache`,
        404,
        'NotFound',
      );
    } finally {
      Error.stackTraceLimit = limit;
    }
  };
}

/** The PrefixSync controller's watches and per-session parts. */
export class PrefixSyncSetup implements ControllerSetup {
  readonly name = PREFIX_SYNC_CONTROLLER;
  private caches: Caches | undefined;
  private reads: CachedReads | undefined;

  constructor(private readonly env: ControllerEnv) {}

  watch(informers: InformerRegistry, queue: SessionQueue): void {
    const caches: Caches = {
      prefixSyncs: prefixSyncInformer(informers, this.env),
      sources: sourceInformer(informers, this.env),
      configMaps: managedConfigMapInformer(informers, this.env),
      namespaces: namespaceInformer(informers, this.env),
      unmanagedConfigMaps: templateConfigMapInformer(informers, this.env),
    };
    this.caches = caches;
    const reads: CachedReads = {
      prefixSyncs: new ReadThroughCache(
        (k) => asPrefixSync(caches.prefixSyncs.store.get(k.name, k.namespace)),
        { absent: notCached('prefixsync') },
      ),
      configMaps: new ReadThroughCache((k) => cachedConfigMap(caches, k.name, k.namespace), {
        absent: notCached('configmap'),
      }),
    };
    this.reads = reads;
    const enqueueAll = (requests: readonly Request[]): void => {
      for (const r of requests) queue.enqueue(r);
    };
    const own = (obj: KubernetesObject): void => queue.enqueue(requestOf(asPrefixSync(obj) as PrefixSync));
    caches.prefixSyncs.addHandlers(
      onEveryChange(own, (old, cur) =>
        prefixSyncChanged(asPrefixSync(old) as PrefixSync, asPrefixSync(cur) as PrefixSync),
      ),
    );
    caches.prefixSyncs.addHandlers({ onDelete: (p) => reads.prefixSyncs.deleted(p) });
    // A source's access rules or settings changed: every PrefixSync of it re-checks.
    caches.sources.addHandlers(
      onEveryChange(
        (obj) => enqueueAll(requestsForSource(obj.metadata?.name ?? '', this.prefixSyncs())),
        sourceSpecChanged,
      ),
    );
    // An edited or deleted ConfigMap is repaired by the PrefixSync that writes it; the version its
    // own write made (the event of our own create or replace) needs nothing.
    const repair = (cm: V1ConfigMap): void => {
      const request = requestForConfigMap(cm);
      if (request) queue.enqueue(request);
    };
    caches.configMaps.addHandlers({
      onAdd: (cm) => {
        if (!reads.configMaps.isOwnVersion(cm)) repair(cm);
      },
      onUpdate: (_old, cm) => {
        if (!reads.configMaps.isOwnVersion(cm)) repair(cm);
      },
      onDelete: (cm) => {
        reads.configMaps.deleted(cm);
        repair(cm);
      },
    });
    caches.unmanagedConfigMaps.addHandlers({ onDelete: (cm) => reads.configMaps.deleted(cm) });
    // The same for Secret targets; their informer exists only when `watch` on Secrets is granted.
    if (this.env.secretTargets) {
      managedSecretInformer(informers, this.env).addHandlers(
        onEveryChange((secret) => {
          const request = requestForConfigMap(secret);
          if (request) queue.enqueue(request);
        }),
      );
    }
    // A template ConfigMap added, edited or deleted re-renders the PrefixSyncs that use it (it may be
    // another PrefixSync's target, so both ConfigMap informers say).
    const templateRefs = new TemplateRefs();
    caches.prefixSyncs.addHandlers(templateRefs.handlers());
    const templateHandlers = onEveryChange<V1ConfigMap>(
      (cm) => {
        if (templateRefs.uses(cm)) enqueueAll(requestsForTemplateConfigMap(cm, this.prefixSyncs()));
      },
      (old, cur) => !isDeepStrictEqual(old.data ?? {}, cur.data ?? {}),
    );
    caches.unmanagedConfigMaps.addHandlers(templateHandlers);
    caches.configMaps.addHandlers(templateHandlers);
    caches.namespaces.addHandlers(
      onEveryChange(
        (ns) => enqueueAll(requestsForNamespace(ns.metadata?.name ?? '', this.prefixSyncs())),
        (old, cur) => !isDeepStrictEqual(old.metadata?.labels ?? {}, cur.metadata?.labels ?? {}),
      ),
    );
    // A rollout target created, deleted or changed (or, in mode auto, a workload that uses the
    // ConfigMap) is checked at once: TargetNotFound clears without waiting for the resync.
    // A workload's status moving wakes the PrefixSyncs following its rollout.
    for (const kind of rolloutKindsOf(this.env)) {
      const inNamespace = (workload: Workload): PrefixSync[] =>
        caches.prefixSyncs.store
          .listByNamespace(workload.metadata?.namespace ?? '')
          .map((o) => asPrefixSync(o) as PrefixSync);
      const concerned = (workload: Workload): void =>
        enqueueAll(requestsForWorkload(kind, workload, inNamespace(workload)));
      workloadInformer(informers, this.env, kind).addHandlers({
        onAdd: concerned,
        onDelete: concerned,
        onUpdate: (old, current) => {
          if (workloadChanged(old, current)) concerned(current);
          else enqueueAll(requestsFollowingWorkload(kind, current, inNamespace(current)));
        },
      });
    }
  }

  build(session: SessionScope, queue: SessionQueue): Controller {
    const caches = this.watched();
    const reads = this.cachedReads();
    const env = this.env;
    const connections = sessionConnections(session, env);
    const pending = new PendingChanges();
    connections.subscribe({
      onMirrorChange: (_source, holders, kind, _count, revision) => {
        if (kind === 'update') for (const h of holders) pending.noteChange(h, revision);
        routeMirrorChange(holders, kind, (k) => pending.debounceOf(k), queue);
      },
      onHealthChange: (source) => {
        for (const r of requestsForSource(source, this.prefixSyncs())) queue.enqueue(r);
      },
    });
    const psyncResource = prefixSyncResource(env.kubeConfig);
    const templatePool = session.shared(TEMPLATE_POOL_KEY, () => new TemplatePool());
    const reconciler = new PrefixSyncReconciler({
      // GETs answered by the informers when they hold the very version last read or written.
      prefixSyncs: readThroughResourceApi(psyncResource.api, reads.prefixSyncs),
      configMaps: readThroughConfigMaps(new ConfigMapClient(env.kubeConfig), reads.configMaps),
      ...(env.secretTargets ? { secrets: secretTargetApi(new SecretClient(env.kubeConfig)) } : {}),
      workloads: workloadClientFor(env),
      history: new ControllerRevisionClient(env.kubeConfig),
      ...(env.restartNonConsumers ? { restartNonConsumers: true } : {}),
      ...(env.maxConcurrentRollouts ? { maxConcurrentRollouts: env.maxConcurrentRollouts } : {}),
      sources: (name) => asClusterEtcdSource(caches.sources.store.get(name)),
      namespaceLabels: (name) => caches.namespaces.store.get(name)?.metadata?.labels,
      managedConfigMaps: (namespace, ownerUid) =>
        ownerUid === undefined
          ? caches.configMaps.store.listByNamespace(namespace)
          : caches.configMaps.store.listByOwner(namespace, ownerUid),
      connections,
      pending,
      events: env.events,
      metrics: env.metrics,
      // With a shard selector, the informer's cache is the shard: a PrefixSync that left it (or a
      // ConfigMap event about another shard's PrefixSync) is not ours to touch.
      ...(env.shardSelector
        ? {
            owns: (p: PrefixSync) =>
              caches.prefixSyncs.store.get(p.metadata.name ?? '', p.metadata.namespace) !== undefined,
          }
        : {}),
      ...(env.resyncPeriodMs !== undefined ? { resyncPeriodMs: env.resyncPeriodMs } : {}),
      templates: (p: PrefixSync) => ({
        pool: templatePool,
        configMapData: (name: string) => {
          const cm = cachedConfigMap(caches, name, p.metadata.namespace);
          return Promise.resolve(cm ? (cm.data ?? {}) : undefined);
        },
      }),
    });
    return new Controller({
      name: PREFIX_SYNC_CONTROLLER,
      reconciler,
      workers: env.workers ?? DEFAULT_WORKERS,
      metrics: env.metrics.reconcileHooks(),
      queueMetrics: env.metrics.queueHooks(PREFIX_SYNC_CONTROLLER),
      logger: env.logger,
    });
  }

  initialRequests(): Request[] {
    return this.prefixSyncs().map(requestOf);
  }

  private prefixSyncs(): PrefixSync[] {
    return this.watched()
      .prefixSyncs.store.list()
      .map((o) => asPrefixSync(o) as PrefixSync);
  }

  private watched(): Caches {
    if (!this.caches) throw new Error('PrefixSyncSetup: watch() must come before build()');
    return this.caches;
  }

  private cachedReads(): CachedReads {
    if (!this.reads) throw new Error('PrefixSyncSetup: watch() must come before build()');
    return this.reads;
  }
}
