// The operator's manager: shared informers feeding the controllers, leader election gating them, the
// HTTP endpoints, and an orderly shutdown. Generic: each controller declares its own watches and
// session parts (controller/<name>/setup.ts); the manager runs the list and knows none by name.
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkloadKind } from '../api/index.js';
import { operatorControllers } from '../controller/index.js';
import type { EtcdClientOptions } from '../etcd/index.js';
import { EventClient, EventRecorder, LeaseClient } from '../kube/index.js';
import { OperatorMetrics, silentLogger, type Logger } from '../observability/index.js';
import {
  InformerLeaseWatch,
  LeaderElector,
  Session,
  SharedInformers,
  type Controller,
  type ControllerSetup,
  type LeaderElection,
  type SessionQueue,
} from '../runtime/index.js';
import { HttpEndpoint, parseBindAddress } from './http-endpoint.js';
import { secureMetricsEndpoint, type MetricsSecurityOptions } from './secure-metrics.js';

/** Default Lease name. */
export const DEFAULT_LEASE_NAME = 'etcd-config-operator';
/** Event `source.component`. */
const COMPONENT = 'etcd-config-operator';
/** How long informers may take to sync before we say, loudly, that the CRDs may be missing. */
const SYNC_WARNING_AFTER_MS = 5_000;
/** A namespace name (DNS-1123 label). */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

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
  /**
   * Serve /metrics over HTTPS to callers whose bearer token a TokenReview accepts and a
   * SubjectAccessReview allows `get` on /metrics (controller-runtime's `--metrics-secure`). Default
   * undefined: plain HTTP without authentication (the `run` command secures it unless told not to).
   */
  metricsSecurity?: MetricsSecurityOptions;
  /** `:8081`, `host:port`, or `0`/'' to disable. Default `0`. */
  probeAddr?: string;
  /** Label selector on PrefixSyncs: this replica handles only those (sharding). Default all. */
  shardSelector?: string;
  /**
   * Namespace-scoped install: list, watch, read and write PrefixSyncs, their ConfigMaps, workloads,
   * ControllerRevisions and Events only in these namespaces (one list-watch each); a PrefixSync
   * elsewhere is never seen. Still cluster-wide: ClusterEtcdSources (cluster-scoped, and their status)
   * and Namespaces (labels feed access rules); Events about ClusterEtcdSources go to `namespace`.
   * Default (absent or empty): every namespace. Names must be unique DNS-1123 labels.
   */
  watchNamespaces?: readonly string[];
  /** PrefixSync reconciles in parallel. Default 4. */
  workers?: number;
  /** Safety-net resync of every PrefixSync. Default 10 min. */
  resyncPeriodMs?: number;
  /** Restart rollout targets that do not reference the ConfigMap (see ControllerEnv). Default false. */
  restartNonConsumers?: boolean;
  /** PrefixSyncs may write Secrets (`--secret-targets`; see ControllerEnv). Default false. */
  secretTargets?: boolean;
  /** Most rollouts in progress at once (see ControllerEnv). Default no limit. */
  maxConcurrentRollouts?: number;
  /**
   * The workload kinds rollouts restart and watch (see ControllerEnv). Default Deployment,
   * StatefulSet, DaemonSet; add CronJob and Rollout (Argo Rollouts) only with their RBAC granted.
   */
  rolloutKinds?: readonly WorkloadKind[];
  /** Probe period of each ClusterEtcdSource. Default 10 s. */
  sourceProbeIntervalMs?: number;
  /** etcd client timeouts. Default connect 2 s, request 5 s. */
  etcdClientOptions?: Omit<EtcdClientOptions, 'endpoints' | 'tls' | 'auth' | 'logger'>;
  /** Default a fresh registry. */
  metrics?: OperatorMetrics;
  /** Default silent. */
  logger?: Logger;
  /**
   * The controllers to run, made from the manager's Event recorder, metrics and logger. Default the
   * operator's (ClusterEtcdSource, PrefixSync) with the options above.
   */
  controllers?: (services: ManagerServices) => readonly ControllerSetup[];
}

/** What the manager owns and lends to the controllers it runs. */
export interface ManagerServices {
  readonly events: EventRecorder;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
}

/** What exists only while this process leads (or always, without leader election). */
interface ActiveSession {
  readonly scope: Session;
  /** The session's controllers by setup name. */
  readonly controllers: ReadonlyMap<string, Controller>;
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
 * Runs the controllers: their informers keep caches warm at all times; the controllers, the state
 * they share within a session (etcd connections) and every write exist only while this process leads.
 * Losing the lease stops them at once (their signal aborts); close() stops them, releases the lease,
 * closes the session's state, informers and listeners. Owns everything it starts.
 */
export class Manager {
  private readonly options: ManagerOptions;
  private readonly logger: Logger;
  /** The metrics registry `/metrics` serves. */
  readonly metrics: OperatorMetrics;
  private readonly recorder: EventRecorder;
  private readonly setups: readonly ControllerSetup[];
  private readonly informers = new SharedInformers();
  private readonly elector: LeaderElection | undefined;
  private readonly leaseName: string;
  /** The controllers while acting; undefined on a standby. */
  private session: ActiveSession | undefined;
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
    const watched = options.watchNamespaces ?? [];
    if (new Set(watched).size !== watched.length || watched.some((ns) => !DNS_LABEL.test(ns)))
      throw new TypeError('Manager: watchNamespaces must be unique namespace names (DNS-1123 labels)');
    this.options = options;
    this.logger = options.logger ?? silentLogger;
    this.metrics = options.metrics ?? new OperatorMetrics();
    this.leaseName = options.leaseName ?? DEFAULT_LEASE_NAME;
    const kc = options.kubeConfig;
    this.recorder = new EventRecorder({
      sink: new EventClient(kc),
      component: COMPONENT,
      // Scoped: the operator's namespace is the one outside the watched ones where it writes Events.
      ...(watched.length > 0 ? { clusterScopedNamespace: options.namespace } : {}),
      logger: this.logger.child({ component: 'events' }),
    });
    const services = { events: this.recorder, metrics: this.metrics, logger: this.logger };
    this.setups = (options.controllers ?? ((s) => this.operatorControllers(s)))(services);
    const names = new Set(this.setups.map((s) => s.name));
    if (names.size !== this.setups.length) throw new TypeError('Manager: controller names must be unique');
    for (const setup of this.setups) setup.watch(this.informers, this.queueOf(setup.name));
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

  /** The operator's own controllers, configured by the options. */
  private operatorControllers(services: ManagerServices): ControllerSetup[] {
    const o = this.options;
    return operatorControllers({
      ...services,
      kubeConfig: o.kubeConfig,
      namespace: o.namespace,
      ...(o.shardSelector ? { shardSelector: o.shardSelector } : {}),
      ...(o.watchNamespaces?.length ? { watchNamespaces: o.watchNamespaces } : {}),
      ...(o.workers !== undefined ? { workers: o.workers } : {}),
      ...(o.resyncPeriodMs !== undefined ? { resyncPeriodMs: o.resyncPeriodMs } : {}),
      ...(o.restartNonConsumers ? { restartNonConsumers: true } : {}),
      ...(o.secretTargets ? { secretTargets: true } : {}),
      ...(o.maxConcurrentRollouts ? { maxConcurrentRollouts: o.maxConcurrentRollouts } : {}),
      ...(o.rolloutKinds ? { rolloutKinds: o.rolloutKinds } : {}),
      ...(o.sourceProbeIntervalMs !== undefined ? { sourceProbeIntervalMs: o.sourceProbeIntervalMs } : {}),
      ...(o.etcdClientOptions ? { etcdClientOptions: o.etcdClientOptions } : {}),
    });
  }

  /** Current lifecycle state. */
  get currentState(): ManagerState {
    return this.state;
  }

  /** Whether the controllers are running in this process. */
  get isActing(): boolean {
    return this.session !== undefined;
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
    return this.informers.hasSynced();
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
    this.informers.start();
    this.warnWhileUnsynced();
    this.transition('running');
    if (this.elector) this.elector.start();
    else this.sessionRun = this.lead(this.unelected.signal);
    this.logger.info('manager started', {
      namespace: this.options.namespace,
      leaderElection: this.elector !== undefined,
      // The Lease it competes for: an operator run by hand beside the chart must name the same one.
      ...(this.elector ? { lease: `${this.options.namespace}/${this.leaseName}` } : {}),
      controllers: this.setups.map((s) => s.name),
      ...(this.options.shardSelector ? { shardSelector: this.options.shardSelector } : {}),
      ...(this.options.watchNamespaces?.length ? { watchNamespaces: this.options.watchNamespaces } : {}),
    });
  }

  /**
   * Orderly shutdown: stop the controllers (in-flight reconciles see their signal aborted), release
   * the lease, close the session's state (etcd watches and clients), informers, the Event recorder and
   * the listeners. Idempotent; resolves when everything has ended.
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
    await this.informers.close();
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

  // ---- leadership ----

  /** Where the handlers of controller `name` enqueue: its controller of the current session, if any. */
  private queueOf(name: string): SessionQueue {
    return {
      enqueue: (request) => this.session?.controllers.get(name)?.enqueue(request),
      enqueueAfter: (request, delayMs) => this.session?.controllers.get(name)?.enqueueAfter(request, delayMs),
    };
  }

  /**
   * Runs one session of the controllers until `signal` aborts, then stops them and closes what they
   * shared (etcd connections).
   */
  private async lead(signal: AbortSignal): Promise<void> {
    if (signal.aborted || this.state !== 'running') return;
    this.metrics.setLeader(this.leaseName, true);
    const scope = new Session(signal);
    const controllers = new Map<string, Controller>();
    for (const setup of this.setups)
      controllers.set(setup.name, setup.build(scope, this.queueOf(setup.name)));
    this.session = { scope, controllers };
    // Every cache first: a reconcile must not see a namespace without its labels or a source
    // without its Secrets and report a false PrefixForbidden or SecretNotFound.
    await this.informers.waitForSync(signal);
    if (!signal.aborted) {
      for (const controller of controllers.values()) controller.start();
      this.logger.info('controllers started');
      for (const setup of this.setups) {
        const controller = controllers.get(setup.name);
        for (const request of setup.initialRequests()) controller?.enqueue(request);
      }
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    }
    this.session = undefined;
    this.metrics.setLeader(this.leaseName, false);
    await Promise.all([...controllers.values()].map((c) => c.stop()));
    await scope.close();
    // Only now: no reconcile or source probe of this session can set them again.
    this.metrics.clearLeaderSeries();
    this.logger.info('controllers stopped');
  }

  // ---- HTTP ----

  private async listen(): Promise<void> {
    const metrics = parseBindAddress(this.options.metricsAddr ?? '0');
    const probes = parseBindAddress(this.options.probeAddr ?? '0');
    if (metrics) {
      const route = async () => {
        const { contentType, body } = await this.metrics.render();
        return { status: 200, contentType, body };
      };
      // A certificate directory that cannot be served throws here: start() fails, as it should.
      const endpoint = this.options.metricsSecurity
        ? await secureMetricsEndpoint(this.options.metricsSecurity, {
            kubeConfig: this.options.kubeConfig,
            logger: this.logger,
            route,
          })
        : new HttpEndpoint({ '/metrics': route });
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
      // What the endpoint owns (a certificate watcher) stops with it.
      await endpoint.close();
      return undefined;
    }
  }

  private readinessProblem(): string {
    if (this.state !== 'running') return this.state;
    const pending = this.informers.unsynced();
    if (pending.length > 0) return `informers not synced: ${pending.join(', ')}`;
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
      this.logger.error('cannot list resources yet; are the CRDs installed and RBAC granted? retrying', {
        resources: this.informers.unsynced(),
        waitedMs: Date.now() - startedAt,
      });
    }, SYNC_WARNING_AFTER_MS);
    this.syncWarning.unref();
  }
}
