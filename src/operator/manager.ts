// The operator's manager: informers feeding two controllers, leader election gating them, the HTTP
// endpoints, and an orderly shutdown.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type {
  KubeConfig,
  KubernetesObject,
  V1ConfigMap,
  V1Namespace,
  V1Secret,
} from '@kubernetes/client-node';
import { MANAGED_BY_LABEL, MANAGED_BY_VALUE, type ClusterEtcdSource, type PrefixSync } from '../api/index.js';
import {
  EtcdSourceReconciler,
  PendingChanges,
  PrefixSyncReconciler,
  SourceConnections,
  asClusterEtcdSource,
  asPrefixSync,
  clusterEtcdSourceResource,
  prefixSyncChanged,
  ReadThroughCache,
  readThroughConfigMaps,
  readThroughResourceApi,
  requestForConfigMap,
  requestOf,
  requestsForNamespace,
  requestsForSecret,
  requestsForSource,
  routeMirrorChange,
  sourceChanged,
  type TypedResource,
  prefixSyncResource,
} from '../controller/index.js';
import type { EtcdClientOptions } from '../etcd/index.js';
import {
  ConfigMapClient,
  EventClient,
  EventRecorder,
  Informer,
  LeaseClient,
  WorkloadClient,
  type InformerHandlers,
} from '../kube/index.js';
import { OperatorMetrics, silentLogger, type Logger } from '../observability/index.js';
import {
  Controller,
  InformerLeaseWatch,
  LeaderElector,
  type LeaderElection,
  type Request,
} from '../runtime/index.js';
import { NamespaceSource, SecretSource } from './core-sources.js';
import { HttpEndpoint, parseBindAddress } from './http-endpoint.js';

/** Controller names, as they appear in logs and metrics. */
export const PREFIX_SYNC_CONTROLLER = 'prefixsync';
export const SOURCE_CONTROLLER = 'clusteretcdsource';
/** Default Lease name. */
export const DEFAULT_LEASE_NAME = 'etcd-config-operator';
/** Event `source.component`. */
const COMPONENT = 'etcd-config-operator';
/** How long informers may take to sync before we say, loudly, that the CRDs may be missing. */
const SYNC_WARNING_AFTER_MS = 5_000;
/** Client defaults suited to an operator: fail over and report unreachable etcd in seconds, not 15 s. */
const DEFAULT_ETCD_CLIENT_OPTIONS = { connectTimeoutMs: 2_000, requestTimeoutMs: 5_000 };

/** Options of {@link Manager}. */
export interface ManagerOptions {
  /** Required. */
  kubeConfig: KubeConfig;
  /** The operator's namespace: Lease and the Secrets that sources refer to. Required. */
  namespace: string;
  /** Campaign for a Lease and act only while leading. Default true. */
  leaderElection?: boolean;
  /** Default {@link DEFAULT_LEASE_NAME}. */
  leaseName?: string;
  /** Default `<hostname>_<uuid>`. */
  identity?: string;
  /** Lease timings (see LeaderElectorOptions); defaults 15 s / 10 s / 2 s. */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
  /** `:8080`, `host:port`, or `0`/'' to disable. Default `0`. */
  metricsAddr?: string;
  /** `:8081`, `host:port`, or `0`/'' to disable. Default `0`. */
  probeAddr?: string;
  /** Label selector on PrefixSyncs: this replica handles only those (sharding). Default all. */
  shardSelector?: string;
  /** PrefixSync reconciles in parallel. Default 4. */
  workers?: number;
  /** Safety-net resync of every PrefixSync. Default 10 min. */
  resyncPeriodMs?: number;
  /** Probe period of each ClusterEtcdSource. Default 10 s. */
  sourceProbeIntervalMs?: number;
  /** etcd client timeouts. Default connect 2 s, request 5 s. */
  etcdClientOptions?: Omit<EtcdClientOptions, 'endpoints' | 'tls' | 'auth' | 'logger'>;
  /** Default a fresh registry. */
  metrics?: OperatorMetrics;
  /** Default silent. */
  logger?: Logger;
}

/** Everything that exists only while this process leads (or always, without leader election). */
interface Session {
  readonly connections: SourceConnections;
  readonly prefixSyncs: Controller;
  readonly sources: Controller;
}

/** The manager's lifecycle; changed only through `transition()`. */
export type ManagerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

/** The lifecycle's allowed transitions (close() may come before or during start()). */
export const MANAGER_TRANSITIONS: Readonly<Record<ManagerState, readonly ManagerState[]>> = {
  idle: ['starting', 'stopping'],
  starting: ['running', 'stopping'],
  running: ['stopping'],
  stopping: ['stopped'],
  stopped: [],
};

/**
 * Runs the operator: informers for PrefixSyncs (of this shard), ClusterEtcdSources, our ConfigMaps,
 * Namespaces and the operator namespace's Secrets keep caches warm at all times; the two controllers,
 * the etcd connections and every write exist only while this process leads. Losing the lease stops
 * them at once (their signal aborts); close() stops them, releases the lease, closes watches, clients
 * and listeners. Owns everything it starts.
 */
export class Manager {
  private readonly options: ManagerOptions;
  private readonly logger: Logger;
  /** The metrics registry `/metrics` serves. */
  readonly metrics: OperatorMetrics;
  private readonly psyncResource: TypedResource<PrefixSync>;
  private readonly sourceResource: TypedResource<ClusterEtcdSource>;
  private readonly configMaps: ConfigMapClient;
  private readonly workloads: WorkloadClient;
  private readonly recorder: EventRecorder;
  private readonly psyncInformer: Informer<KubernetesObject>;
  private readonly sourceInformer: Informer<KubernetesObject>;
  private readonly configMapInformer: Informer<V1ConfigMap>;
  private readonly namespaceInformer: Informer<V1Namespace>;
  private readonly secretInformer: Informer<V1Secret>;
  private readonly elector: LeaderElection | undefined;
  private readonly leaseName: string;
  /** The controllers while acting; undefined on a standby. */
  private session: Session | undefined;
  /** Stops a session started without leader election. */
  private readonly unelected = new AbortController();
  /** The session's run (start → signal → stop); awaited by close(). */
  private sessionRun: Promise<void> = Promise.resolve();
  private readonly endpoints: HttpEndpoint[] = [];
  private metricsPort: number | undefined;
  private probePort: number | undefined;
  private state: ManagerState = 'idle';
  private syncWarning: ReturnType<typeof setInterval> | undefined;
  private closing: Promise<void> | undefined;

  constructor(options: ManagerOptions) {
    if (!options.kubeConfig) throw new TypeError('Manager: set options.kubeConfig');
    if (!options.namespace) throw new TypeError('Manager: set options.namespace (the operator namespace)');
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? new OperatorMetrics();
    this.leaseName = options.leaseName ?? DEFAULT_LEASE_NAME;
    const kc = options.kubeConfig;
    this.psyncResource = prefixSyncResource(kc);
    this.sourceResource = clusterEtcdSourceResource(kc);
    this.configMaps = new ConfigMapClient(kc);
    this.workloads = new WorkloadClient(kc);
    this.recorder = new EventRecorder({
      sink: new EventClient(kc),
      component: COMPONENT,
      logger: this.logger.child({ component: 'events' }),
    });
    const informerLogger = this.logger.child({ component: 'informer' });
    const informer = <T extends KubernetesObject>(
      source: ConstructorParameters<typeof Informer<T>>[0]['source'],
      extra: { namespace?: string; labelSelector?: string } = {},
    ): Informer<T> => new Informer<T>({ source, kubeConfig: kc, logger: informerLogger, ...extra });
    this.psyncInformer = informer(this.psyncResource.raw, {
      ...(options.shardSelector ? { labelSelector: options.shardSelector } : {}),
    });
    this.sourceInformer = informer(this.sourceResource.raw);
    this.configMapInformer = informer(this.configMaps, {
      labelSelector: `${MANAGED_BY_LABEL}=${MANAGED_BY_VALUE}`,
    });
    this.namespaceInformer = informer(new NamespaceSource(kc));
    this.secretInformer = informer(new SecretSource(kc), { namespace: options.namespace });
    this.wireInformers();
    if (options.leaderElection ?? true) {
      // A standby reports 0 from the start, so "no replica leads" is visible (not an absent series).
      this.metrics.setLeader(this.leaseName, false);
      this.elector = new LeaderElector({
        leases: new LeaseClient(kc),
        namespace: options.namespace,
        name: this.leaseName,
        watch: new InformerLeaseWatch({
          kubeConfig: kc,
          namespace: options.namespace,
          name: this.leaseName,
          logger: this.logger.child({ component: 'lease-watch' }),
        }),
        identity: options.identity ?? `${hostname()}_${randomUUID()}`,
        logger: this.logger.child({ component: 'leader-election' }),
        ...(options.leaseDurationMs !== undefined ? { leaseDurationMs: options.leaseDurationMs } : {}),
        ...(options.renewDeadlineMs !== undefined ? { renewDeadlineMs: options.renewDeadlineMs } : {}),
        ...(options.retryPeriodMs !== undefined ? { retryPeriodMs: options.retryPeriodMs } : {}),
        callbacks: {
          onStartedLeading: (signal) => this.lead(signal),
          onNewLeader: (identity) => this.logger.info('leader observed', { leader: identity }),
        },
      });
    }
  }

  /** Current lifecycle state. */
  get currentState(): ManagerState {
    return this.state;
  }

  /** Whether the controllers are running in this process. */
  get isActing(): boolean {
    return this.session !== undefined;
  }

  /** The etcd connections while acting (for tests and diagnostics). */
  get connections(): SourceConnections | undefined {
    return this.session?.connections;
  }

  /** Ports actually bound (useful with port 0). */
  get boundPorts(): { metrics?: number; probes?: number } {
    return {
      ...(this.metricsPort !== undefined ? { metrics: this.metricsPort } : {}),
      ...(this.probePort !== undefined ? { probes: this.probePort } : {}),
    };
  }

  /** Whether every informer has listed once. */
  informersSynced(): boolean {
    return this.allInformers().every((i) => i.hasSynced());
  }

  /**
   * readyz: informers synced, and either acting with controllers started or a healthy standby
   * campaigning for the lease.
   */
  isReady(): boolean {
    if (this.state !== 'running' || !this.informersSynced()) return false;
    if (this.session) return true;
    return this.elector !== undefined && !this.elector.isLeader();
  }

  /**
   * Binds the HTTP endpoints (a taken port is logged, not fatal), starts the informers, and either campaigns
   * for the lease or starts the controllers. Resolves without waiting for informers to sync.
   */
  async start(): Promise<void> {
    if (this.state !== 'idle') throw new Error(`manager cannot start from state ${this.state}`);
    this.transition('starting');
    await this.listen();
    // close() while the endpoints were binding: it owns the shutdown; start nothing more.
    if (this.currentState !== 'starting') return;
    for (const i of this.allInformers()) i.start();
    this.warnWhileUnsynced();
    this.transition('running');
    if (this.elector) this.elector.start();
    else this.sessionRun = this.lead(this.unelected.signal);
    this.logger.info('manager started', {
      namespace: this.options.namespace,
      leaderElection: this.elector !== undefined,
      ...(this.options.shardSelector ? { shardSelector: this.options.shardSelector } : {}),
    });
  }

  /**
   * Orderly shutdown: stop the controllers (in-flight reconciles see their signal aborted), release
   * the lease, close etcd watches and clients, informers, the Event recorder and the listeners.
   * Idempotent; resolves when everything has ended.
   */
  close(): Promise<void> {
    this.closing ??= this.doClose();
    return this.closing;
  }

  private async doClose(): Promise<void> {
    this.transition('stopping');
    if (this.syncWarning) clearInterval(this.syncWarning);
    this.unelected.abort();
    if (this.elector) await this.elector.close();
    await this.sessionRun;
    await Promise.all(this.allInformers().map((i) => i.close()));
    await this.recorder.close();
    await Promise.all(this.endpoints.map((e) => e.close()));
    this.transition('stopped');
    this.logger.info('manager stopped');
  }

  /**
   * The one place the lifecycle changes, guarded by MANAGER_TRANSITIONS: a transition not in the table
   * is a bug, logged at error and ignored.
   */
  private transition(next: ManagerState): void {
    if (!MANAGER_TRANSITIONS[this.state].includes(next)) {
      this.logger.error('manager transition refused', { from: this.state, to: next });
      return;
    }
    this.state = next;
  }

  private allInformers(): Informer<KubernetesObject>[] {
    return [
      this.psyncInformer,
      this.sourceInformer,
      this.configMapInformer,
      this.namespaceInformer,
      this.secretInformer,
    ] as Informer<KubernetesObject>[];
  }

  // ---- leadership ----

  /** Runs the controllers until `signal` aborts, then stops them and closes every etcd connection. */
  private async lead(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.state !== 'running') return;
    this.metrics.setLeader(this.leaseName, true);
    const session = this.newSession();
    this.session = session;
    // Every cache first: a reconcile must not see a namespace without its labels or a source
    // without its Secrets and report a false PrefixForbidden or SecretNotFound.
    await Promise.all(this.allInformers().map((i) => i.waitForSync(signal).catch(() => undefined)));
    if (!signal.aborted) {
      session.sources.start();
      session.prefixSyncs.start();
      this.logger.info('controllers started');
      for (const obj of this.sourceInformer.store.list())
        session.sources.enqueue({ name: obj.metadata?.name ?? '' });
      for (const obj of this.psyncInformer.store.list()) {
        const psync = asPrefixSync(obj);
        if (psync) session.prefixSyncs.enqueue(requestOf(psync));
      }
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    this.session = undefined;
    this.metrics.setLeader(this.leaseName, false);
    await Promise.all([session.prefixSyncs.stop(), session.sources.stop()]);
    await session.connections.close();
    this.metrics.setMirrorCount(0);
    this.logger.info('controllers stopped');
  }

  private newSession(): Session {
    const logger = this.logger;
    /** Set below; mirror changes before that have no queue to go to and are picked up by the first sync. */
    const queue: { controller?: Controller } = {};
    const pending = new PendingChanges();
    const sourceQueue: { controller?: Controller } = {};
    const connections = new SourceConnections({
      clientOptions: { ...DEFAULT_ETCD_CLIENT_OPTIONS, ...this.options.etcdClientOptions },
      logger: logger.child({ component: 'etcd' }),
      events: {
        onMirrorChange: (holders, kind, eventCount, revision) => {
          const source = holders.length > 0 ? this.sourceOfHolder(holders[0] ?? '') : undefined;
          if (source && eventCount > 0) this.metrics.addWatchEvents(source, eventCount);
          if (source && kind === 'resync') this.metrics.incResyncs(source);
          if (kind === 'update') for (const h of holders) pending.noteChange(h, revision);
          if (queue.controller) {
            routeMirrorChange(holders, kind, (k) => pending.debounceOf(k), queue.controller);
          }
          this.metrics.setMirrorCount(connections.mirrorCount);
        },
        onMirrorError: (source) => this.metrics.incReconnects(source),
        onCompaction: (source) => this.metrics.incCompactions(source),
        onRevisionWentBack: (source, holders, error) => {
          this.metrics.incRevisionWentBack(source);
          logger.debug('prefix mirror saw etcd go back', {
            source,
            holders: holders.length,
            fromRevision: String(error.seenRevision),
            revision: String(error.etcdRevision),
          });
        },
        // The source's probe reports it once (Event, warn log) and updates its status.
        onWentBackNoted: (source) => sourceQueue.controller?.enqueue({ name: source }),
      },
    });
    const reconciler = new PrefixSyncReconciler({
      // GETs answered by the informers when they hold the very version last read or written.
      prefixSyncs: readThroughResourceApi(
        this.psyncResource.api,
        new ReadThroughCache((k) => asPrefixSync(this.psyncInformer.store.get(k.name, k.namespace))),
      ),
      configMaps: readThroughConfigMaps(
        this.configMaps,
        new ReadThroughCache((k) => this.configMapInformer.store.get(k.name, k.namespace)),
      ),
      workloads: this.workloads,
      sources: (name) => asClusterEtcdSource(this.sourceInformer.store.get(name)),
      namespaceLabels: (name) => this.namespaceInformer.store.get(name)?.metadata?.labels,
      managedConfigMaps: (namespace) => this.configMapInformer.store.listByNamespace(namespace),
      connections,
      pending,
      events: this.recorder,
      metrics: this.metrics,
      // With a shard selector, the informer's cache is the shard: a PrefixSync that left it (or a
      // ConfigMap event about another shard's PrefixSync) is not ours to touch.
      ...(this.options.shardSelector
        ? {
            owns: (p: PrefixSync) =>
              this.psyncInformer.store.get(p.metadata.name ?? '', p.metadata.namespace) !== undefined,
          }
        : {}),
      ...(this.options.resyncPeriodMs !== undefined ? { resyncPeriodMs: this.options.resyncPeriodMs } : {}),
    });
    const prefixSyncs = new Controller({
      name: PREFIX_SYNC_CONTROLLER,
      reconciler: {
        reconcile: async (request, ctx) => {
          try {
            return await reconciler.reconcile(request, ctx);
          } finally {
            this.metrics.setMirrorCount(connections.mirrorCount);
          }
        },
      },
      workers: this.options.workers ?? 4,
      metrics: this.metrics.reconcileHooks(),
      queueMetrics: this.metrics.queueHooks(PREFIX_SYNC_CONTROLLER),
      logger,
    });
    queue.controller = prefixSyncs;
    const sourceReconciler = new EtcdSourceReconciler({
      sources: this.sourceResource.api,
      secrets: (name) => this.secretInformer.store.get(name, this.options.namespace),
      namespace: this.options.namespace,
      connections,
      events: this.recorder,
      metrics: this.metrics,
      onHealthChange: (source) =>
        this.enqueueAll(prefixSyncs, requestsForSource(source, this.prefixSyncList())),
      requeue: (source) => sourceQueue.controller?.enqueue({ name: source }),
      ...(this.options.sourceProbeIntervalMs !== undefined
        ? { probeIntervalMs: this.options.sourceProbeIntervalMs }
        : {}),
    });
    const sources = new Controller({
      name: SOURCE_CONTROLLER,
      reconciler: sourceReconciler,
      workers: 2,
      metrics: this.metrics.reconcileHooks(),
      queueMetrics: this.metrics.queueHooks(SOURCE_CONTROLLER),
      logger,
    });
    sourceQueue.controller = sources;
    return { connections, prefixSyncs, sources };
  }

  /** The source a mirror holder reads, from the informer cache. */
  private sourceOfHolder(holder: string): string | undefined {
    return asPrefixSync(this.psyncInformer.store.getByKey(holder))?.spec?.sourceRef?.name;
  }

  // ---- triggers ----

  private prefixSyncList(): PrefixSync[] {
    return this.psyncInformer.store.list().map((o) => asPrefixSync(o) as PrefixSync);
  }

  private enqueueAll(controller: Controller, requests: readonly Request[]): void {
    for (const r of requests) controller.enqueue(r);
  }

  private wireInformers(): void {
    const psyncs = (fn: (s: Session) => void): void => {
      if (this.session) fn(this.session);
    };
    const psyncHandlers: InformerHandlers<KubernetesObject> = {
      onAdd: (obj) => psyncs((s) => s.prefixSyncs.enqueue(requestOf(asPrefixSync(obj) as PrefixSync))),
      onUpdate: (old, cur) => {
        const a = asPrefixSync(old) as PrefixSync;
        const b = asPrefixSync(cur) as PrefixSync;
        if (prefixSyncChanged(a, b)) psyncs((s) => s.prefixSyncs.enqueue(requestOf(b)));
      },
      onDelete: (obj) => psyncs((s) => s.prefixSyncs.enqueue(requestOf(asPrefixSync(obj) as PrefixSync))),
    };
    this.psyncInformer.addHandlers(psyncHandlers);

    const onSource = (obj: KubernetesObject): void =>
      psyncs((s) => {
        const name = obj.metadata?.name ?? '';
        s.sources.enqueue({ name });
        // Access rules may have changed: every PrefixSync of this source re-checks.
        this.enqueueAll(s.prefixSyncs, requestsForSource(name, this.prefixSyncList()));
      });
    this.sourceInformer.addHandlers({
      onAdd: onSource,
      onUpdate: (old, cur) => {
        const a = asClusterEtcdSource(old) as ClusterEtcdSource;
        const b = asClusterEtcdSource(cur) as ClusterEtcdSource;
        if (sourceChanged(a, b)) onSource(cur);
      },
      onDelete: onSource,
    });

    const onConfigMap = (cm: V1ConfigMap): void => {
      const request = requestForConfigMap(cm);
      if (request) psyncs((s) => s.prefixSyncs.enqueue(request));
    };
    this.configMapInformer.addHandlers({
      onAdd: onConfigMap,
      onUpdate: (_, cur) => onConfigMap(cur),
      onDelete: onConfigMap,
    });

    const onNamespace = (ns: V1Namespace): void =>
      psyncs((s) =>
        this.enqueueAll(s.prefixSyncs, requestsForNamespace(ns.metadata?.name ?? '', this.prefixSyncList())),
      );
    this.namespaceInformer.addHandlers({
      onAdd: onNamespace,
      onUpdate: (old, cur) => {
        if (JSON.stringify(old.metadata?.labels ?? {}) !== JSON.stringify(cur.metadata?.labels ?? {}))
          onNamespace(cur);
      },
      onDelete: onNamespace,
    });

    const onSecret = (secret: V1Secret): void =>
      psyncs((s) => {
        const sources = this.sourceInformer.store
          .list()
          .map((o) => asClusterEtcdSource(o) as ClusterEtcdSource);
        this.enqueueAll(s.sources, requestsForSecret(secret.metadata?.name ?? '', sources));
      });
    this.secretInformer.addHandlers({
      onAdd: onSecret,
      onUpdate: (_, cur) => onSecret(cur),
      onDelete: onSecret,
    });
  }

  // ---- HTTP ----

  private async listen(): Promise<void> {
    const metrics = parseBindAddress(this.options.metricsAddr ?? '0');
    const probes = parseBindAddress(this.options.probeAddr ?? '0');
    if (metrics) {
      const endpoint = new HttpEndpoint({
        '/metrics': async () => {
          const { contentType, body } = await this.metrics.render();
          return { status: 200, contentType, body };
        },
      });
      this.metricsPort = await this.bind(endpoint, 'metrics', this.options.metricsAddr ?? '', metrics);
    }
    if (probes) {
      const endpoint = new HttpEndpoint({
        '/healthz': () =>
          this.state === 'running' ? { status: 200, body: 'ok\n' } : { status: 503, body: `${this.state}\n` },
        '/readyz': () =>
          this.isReady()
            ? { status: 200, body: 'ok\n' }
            : { status: 503, body: `${this.readinessProblem()}\n` },
      });
      this.probePort = await this.bind(endpoint, 'probes', this.options.probeAddr ?? '', probes);
    }
  }

  /**
   * Binds one endpoint. A port that is taken is reported loudly and the operator carries on without
   * that endpoint: syncing config matters more than serving metrics, and a stale process holding the
   * port (e.g. an orphan of a killed wrapper script) must not stop a new one from working.
   */
  private async bind(
    endpoint: HttpEndpoint,
    what: string,
    address: string,
    at: { host: string | undefined; port: number },
  ): Promise<number | undefined> {
    try {
      const port = (await endpoint.listen(at.host, at.port)).port;
      this.endpoints.push(endpoint);
      this.logger.info(`serving ${what}`, { address, port });
      return port;
    } catch (err) {
      this.logger.error(`cannot serve ${what}, continuing without`, {
        address,
        error: err instanceof Error ? err.message : String(err),
      });
      return undefined;
    }
  }

  private readinessProblem(): string {
    if (this.state !== 'running') return this.state;
    const pending = this.allInformers().filter((i) => !i.hasSynced());
    if (pending.length > 0) return `informers not synced: ${pending.length}`;
    return 'leading but controllers not started';
  }

  /** Says clearly, every few seconds, what is missing while informers cannot list (e.g. no CRDs). */
  private warnWhileUnsynced(): void {
    const startedAt = Date.now();
    this.syncWarning = setInterval(() => {
      if (this.informersSynced()) {
        if (this.syncWarning) clearInterval(this.syncWarning);
        return;
      }
      const missing: string[] = [];
      if (!this.psyncInformer.hasSynced()) missing.push('prefixsyncs.etcdconfig.dev');
      if (!this.sourceInformer.hasSynced()) missing.push('clusteretcdsources.etcdconfig.dev');
      if (!this.configMapInformer.hasSynced()) missing.push('configmaps');
      if (!this.namespaceInformer.hasSynced()) missing.push('namespaces');
      if (!this.secretInformer.hasSynced()) missing.push('secrets');
      this.logger.error('cannot list resources yet; are the CRDs installed and RBAC granted? retrying', {
        resources: missing,
        waitedMs: Date.now() - startedAt,
      });
    }, SYNC_WARNING_AFTER_MS);
    this.syncWarning.unref();
  }
}
