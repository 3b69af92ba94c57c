// How the ClusterEtcdSource controller plugs into the manager: what makes a source reconcile (its own
// spec, the Secrets it reads, a went-back noted by a mirror, its client's connectivity) and the parts
// of one session (reconciler, shared etcd connections).
import type { KubernetesObject, V1Secret } from '@kubernetes/client-node';
import type { ClusterEtcdSource } from '../../api/index.js';
import type { Informer } from '../../kube/index.js';
import {
  Controller,
  type ControllerSetup,
  type InformerRegistry,
  type Request,
  type SessionQueue,
  type SessionScope,
} from '../../runtime/index.js';
import { sessionConnections } from '../connections/session-connections.js';
import type { ControllerEnv } from '../shared/controller-env.js';
import { operatorSecretInformer, sourceInformer } from '../shared/informers.js';
import { asClusterEtcdSource, clusterEtcdSourceResource } from '../shared/resources.js';
import { onEveryChange } from '../shared/handlers.js';
import { EtcdSourceReconciler } from './reconciler.js';
import { requestsForSecret, sourceSpecChanged } from './triggers.js';

/** The controller's name in logs and metrics. */
export const SOURCE_CONTROLLER = 'clusteretcdsource';
/** Parallel probes: sources are few. */
const WORKERS = 2;

interface Caches {
  readonly sources: Informer<KubernetesObject>;
  readonly secrets: Informer<V1Secret>;
}

/** The ClusterEtcdSource controller's watches and per-session parts. */
export class EtcdSourceSetup implements ControllerSetup {
  readonly name = SOURCE_CONTROLLER;
  private caches: Caches | undefined;

  constructor(private readonly env: ControllerEnv) {}

  watch(informers: InformerRegistry, queue: SessionQueue): void {
    const caches: Caches = {
      sources: sourceInformer(informers, this.env),
      secrets: operatorSecretInformer(informers, this.env),
    };
    this.caches = caches;
    caches.sources.addHandlers(
      onEveryChange((obj) => queue.enqueue({ name: obj.metadata?.name ?? '' }), sourceSpecChanged),
    );
    // A Secret a source reads (TLS, credentials) appeared, changed or went away.
    caches.secrets.addHandlers(
      onEveryChange((secret) => {
        for (const r of requestsForSecret(secret.metadata?.name ?? '', this.sources())) queue.enqueue(r);
      }),
    );
  }

  build(session: SessionScope, queue: SessionQueue): Controller {
    const caches = this.watched();
    const env = this.env;
    const connections = sessionConnections(session, env);
    // A mirror or PrefixSync saw etcd go back: the source's probe reports it once (Event, warn log).
    connections.subscribe({ onWentBackNoted: (source) => queue.enqueue({ name: source }) });
    const reconciler = new EtcdSourceReconciler({
      sources: clusterEtcdSourceResource(env.kubeConfig).api,
      secrets: (name) => caches.secrets.store.get(name, env.namespace),
      namespace: env.namespace,
      connections,
      events: env.events,
      metrics: env.metrics,
      requeue: (source) => queue.enqueue({ name: source }),
      ...(env.sourceProbeIntervalMs !== undefined ? { probeIntervalMs: env.sourceProbeIntervalMs } : {}),
    });
    return new Controller({
      name: SOURCE_CONTROLLER,
      reconciler,
      workers: WORKERS,
      metrics: env.metrics.reconcileHooks(),
      queueMetrics: env.metrics.queueHooks(SOURCE_CONTROLLER),
      logger: env.logger,
    });
  }

  initialRequests(): Request[] {
    return this.watched()
      .sources.store.list()
      .map((o) => ({ name: o.metadata?.name ?? '' }));
  }

  private sources(): ClusterEtcdSource[] {
    return this.watched()
      .sources.store.list()
      .map((o) => asClusterEtcdSource(o) as ClusterEtcdSource);
  }

  private watched(): Caches {
    if (!this.caches) throw new Error('EtcdSourceSetup: watch() must come before build()');
    return this.caches;
  }
}
