// Prometheus metrics of the operator (prom-client), named like controller-runtime's so that existing
// dashboards and alerts work: controller_runtime_*, workqueue_*, leader_election_master_status, plus
// ours under etcdconfig_*. The hooks below match the runtime layer's ControllerMetrics and QueueMetrics
// interfaces structurally (this layer imports nothing).
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { PrefixSyncSeries } from './prefixsync-series.js';

/** Buckets of reconcile and sync latency histograms, in seconds (controller-runtime's, trimmed). */
const LATENCY_BUCKETS_SECONDS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** Buckets of change → rollout complete, in seconds: a rollout takes seconds to the progress deadline. */
const ROLLOUT_BUCKETS_SECONDS = [0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800];
/** Buckets of the work queue's wait and work time, in seconds. */
const QUEUE_BUCKETS_SECONDS = [1e-4, 1e-3, 0.01, 0.1, 1, 10, 100];

/** Per-controller work queue hooks (the runtime layer's QueueMetrics shape). Cheap; never throw. */
export interface WorkQueueMetricsHooks {
  setDepth(depth: number): void;
  incAdds(): void;
  incRetries(): void;
  observeQueueLatencyMs(ms: number): void;
  observeWorkDurationMs(ms: number): void;
}

/** Per-reconcile hooks (the runtime layer's ControllerMetrics shape). Cheap; never throw. */
export interface ReconcileMetricsHooks {
  observeReconcile(controller: string, outcome: string, durationMs: number): void;
  setActiveWorkers(controller: string, active: number): void;
}

/** What the mirrors of one ClusterEtcdSource hold, and its budget, as read at a scrape. */
export interface SourceMirrorBytesReading {
  source: string;
  usedBytes: number;
  limitBytes: number;
}

/** Options of {@link OperatorMetrics}. */
export interface OperatorMetricsOptions {
  /** Also export process and Node.js metrics (`process_*`, `nodejs_*`). Default true. */
  defaultMetrics?: boolean;
}

/**
 * Every metric the operator exports, in one prom-client `Registry` that it owns (never the global
 * one, so several operators in one test process do not collide). Methods are cheap and never throw.
 */
export class OperatorMetrics {
  /** The registry `/metrics` serves. */
  readonly registry = new Registry();
  private readonly reconcileTotal: Counter<'controller' | 'result'>;
  private readonly reconcileErrors: Counter<'controller'>;
  private readonly terminalErrors: Counter<'controller'>;
  private readonly reconcileTime: Histogram<'controller'>;
  private readonly activeWorkers: Gauge<'controller'>;
  private readonly queueDepth: Gauge<'name'>;
  private readonly queueAdds: Counter<'name'>;
  private readonly queueRetries: Counter<'name'>;
  private readonly queueLatency: Histogram<'name'>;
  private readonly queueWork: Histogram<'name'>;
  private readonly leaderStatus: Gauge<'name'>;
  private readonly watchEvents: Counter<'source'>;
  private readonly reconnects: Counter<'source'>;
  private readonly resyncs: Counter<'source'>;
  private readonly compactions: Counter<'source'>;
  private readonly revisionWentBack: Counter<'source'>;
  /** The condition series each PrefixSync has now (`namespace/name` → labels by type), to drop stale ones. */
  /** The per-PrefixSync gauges, rendered apart from the registry (see prefixsync-series.ts). */
  private readonly prefixSyncSeries = new PrefixSyncSeries();
  private readonly syncFailures: Counter<'namespace' | 'name' | 'reason'>;
  /** The failure reasons counted per PrefixSync, to drop its series when it is deleted. */
  private readonly failureReasons = new Map<string, Set<string>>();
  private readonly syncLatency: Histogram;
  private readonly rolloutLatency: Histogram<'result'>;
  private readonly syncs: Counter<'result'>;
  private readonly rollouts: Counter<'kind'>;
  private readonly sourceUp: Gauge<'source'>;
  private readonly mirrors: Gauge;
  private openMirrors: () => number = () => 0;
  private readonly sourceMirrorBytes: Gauge<'source'>;
  private readonly sourceMirrorBudget: Gauge<'source'>;
  private mirrorBytesBySource: () => readonly SourceMirrorBytesReading[] = () => [];

  constructor(options: OperatorMetricsOptions = {}) {
    const registers = [this.registry];
    this.reconcileTotal = new Counter({
      name: 'controller_runtime_reconcile_total',
      help: 'Total number of reconciliations per controller',
      labelNames: ['controller', 'result'],
      registers,
    });
    this.reconcileErrors = new Counter({
      name: 'controller_runtime_reconcile_errors_total',
      help: 'Total number of reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.terminalErrors = new Counter({
      name: 'controller_runtime_terminal_reconcile_errors_total',
      help: 'Total number of terminal reconciliation errors per controller',
      labelNames: ['controller'],
      registers,
    });
    this.reconcileTime = new Histogram({
      name: 'controller_runtime_reconcile_time_seconds',
      help: 'Length of time per reconciliation per controller',
      labelNames: ['controller'],
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.activeWorkers = new Gauge({
      name: 'controller_runtime_active_workers',
      help: 'Number of currently used workers per controller',
      labelNames: ['controller'],
      registers,
    });
    this.queueDepth = new Gauge({
      name: 'workqueue_depth',
      help: 'Current depth of workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueAdds = new Counter({
      name: 'workqueue_adds_total',
      help: 'Total number of adds handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueRetries = new Counter({
      name: 'workqueue_retries_total',
      help: 'Total number of retries handled by workqueue',
      labelNames: ['name'],
      registers,
    });
    this.queueLatency = new Histogram({
      name: 'workqueue_queue_duration_seconds',
      help: 'How long in seconds an item stays in workqueue before being requested',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS_SECONDS,
      registers,
    });
    this.queueWork = new Histogram({
      name: 'workqueue_work_duration_seconds',
      help: 'How long in seconds processing an item from workqueue takes',
      labelNames: ['name'],
      buckets: QUEUE_BUCKETS_SECONDS,
      registers,
    });
    this.leaderStatus = new Gauge({
      name: 'leader_election_master_status',
      help: '1 while this process leads the named lease, 0 otherwise',
      labelNames: ['name'],
      registers,
    });
    this.watchEvents = new Counter({
      name: 'etcdconfig_etcd_watch_events_total',
      help: 'etcd watch events received by the prefix mirrors, per ClusterEtcdSource',
      labelNames: ['source'],
      registers,
    });
    this.reconnects = new Counter({
      name: 'etcdconfig_etcd_reconnects_total',
      help: 'New etcd connections (spec or Secret changes) and failed prefix watches, per ClusterEtcdSource',
      labelNames: ['source'],
      registers,
    });
    this.compactions = new Counter({
      name: 'etcdconfig_etcd_compactions_total',
      help: 'Watches whose history etcd compacted away, answered with a fresh snapshot, per ClusterEtcdSource',
      labelNames: ['source'],
      registers,
    });
    this.revisionWentBack = new Counter({
      name: 'etcdconfig_etcd_revision_went_back_total',
      help: 'Watches that saw etcd answer below a revision already seen (restore, wipe, another cluster), answered with a fresh snapshot, per ClusterEtcdSource',
      labelNames: ['source'],
      registers,
    });
    this.resyncs = new Counter({
      name: 'etcdconfig_etcd_resyncs_total',
      help: 'Fresh prefix snapshots taken after a compaction or a failed watch, per ClusterEtcdSource',
      labelNames: ['source'],
      registers,
    });
    this.syncFailures = new Counter({
      name: 'etcdconfig_prefixsync_sync_failures_total',
      help: 'Failed or held sync attempts per PrefixSync, by condition reason',
      labelNames: ['namespace', 'name', 'reason'],
      registers,
    });
    this.syncLatency = new Histogram({
      name: 'etcdconfig_sync_latency_seconds',
      help: 'Time from an etcd change reaching the operator to the ConfigMap holding it, without the spec.debounce wait',
      buckets: LATENCY_BUCKETS_SECONDS,
      registers,
    });
    this.rolloutLatency = new Histogram({
      name: 'etcdconfig_rollout_duration_seconds',
      help: 'Time from an etcd change reaching the operator to the rollout of its content completing (result complete) or failing (result failed)',
      labelNames: ['result'],
      buckets: ROLLOUT_BUCKETS_SECONDS,
      registers,
    });
    this.syncs = new Counter({
      name: 'etcdconfig_configmap_syncs_total',
      help: 'Sync attempts by result (written, unchanged, or the failure reason)',
      labelNames: ['result'],
      registers,
    });
    this.rollouts = new Counter({
      name: 'etcdconfig_rollouts_total',
      help: 'Workloads restarted by patching their pod template config hash, by kind',
      labelNames: ['kind'],
      registers,
    });
    this.sourceUp = new Gauge({
      name: 'etcdconfig_source_ready',
      help: '1 while the ClusterEtcdSource reaches its etcd cluster, 0 otherwise',
      labelNames: ['source'],
      registers,
    });
    // Read when scraped, so it is exact at any time rather than as of the last event.
    const openMirrors = (): number => this.openMirrors();
    this.mirrors = new Gauge({
      name: 'etcdconfig_prefix_mirrors',
      help: 'Prefix mirrors (one etcd watch each) currently open',
      registers,
      collect() {
        this.set(openMirrors());
      },
    });
    const bySource = (): readonly SourceMirrorBytesReading[] => this.mirrorBytesBySource();
    this.sourceMirrorBytes = new Gauge({
      name: 'etcdconfig_source_mirror_bytes',
      help: 'Bytes the prefix mirrors of each ClusterEtcdSource hold: keys, values (at most 1 MiB per prefix) and a per-key overhead',
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of bySource()) this.set({ source: s.source }, s.usedBytes);
      },
    });
    this.sourceMirrorBudget = new Gauge({
      name: 'etcdconfig_source_mirror_budget_bytes',
      help: "Each ClusterEtcdSource's mirror budget (spec.limits.maxMirrorBytes): a new prefix mirror is started only if it fits",
      labelNames: ['source'],
      registers,
      collect() {
        this.reset();
        for (const s of bySource()) this.set({ source: s.source }, s.limitBytes);
      },
    });
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** The hooks a controller engine calls per reconcile. */
  reconcileHooks(): ReconcileMetricsHooks {
    return {
      observeReconcile: (controller, outcome, durationMs) => {
        const result = outcome === 'terminal_error' ? 'error' : outcome;
        this.reconcileTotal.inc({ controller, result });
        if (outcome === 'error' || outcome === 'terminal_error') this.reconcileErrors.inc({ controller });
        if (outcome === 'terminal_error') this.terminalErrors.inc({ controller });
        this.reconcileTime.observe({ controller }, durationMs / 1000);
      },
      setActiveWorkers: (controller, active) => this.activeWorkers.set({ controller }, active),
    };
  }

  /** The hooks of the work queue of controller `name`. */
  queueHooks(name: string): WorkQueueMetricsHooks {
    return {
      setDepth: (depth) => this.queueDepth.set({ name }, depth),
      incAdds: () => this.queueAdds.inc({ name }),
      incRetries: () => this.queueRetries.inc({ name }),
      observeQueueLatencyMs: (ms) => this.queueLatency.observe({ name }, ms / 1000),
      observeWorkDurationMs: (ms) => this.queueWork.observe({ name }, ms / 1000),
    };
  }

  /** Leadership of lease `name` began (true) or ended (false). */
  setLeader(name: string, isLeader: boolean): void {
    this.leaderStatus.set({ name }, isLeader ? 1 : 0);
  }

  /** `count` watch events arrived for a mirror of `source`. */
  addWatchEvents(source: string, count: number): void {
    this.watchEvents.inc({ source }, count);
  }

  /** A new etcd connection was made for `source`, or one of its watches failed and is being re-made. */
  incReconnects(source: string): void {
    this.reconnects.inc({ source });
  }

  /** A mirror of `source` took a fresh snapshot (compaction or recovery). */
  incResyncs(source: string): void {
    this.resyncs.inc({ source });
  }

  /** A watch of `source` hit a compaction (its mirror then resyncs). */
  incCompactions(source: string): void {
    this.compactions.inc({ source });
  }

  /** A watch of `source` saw etcd go back in time (its mirror then resyncs). */
  incRevisionWentBack(source: string): void {
    this.revisionWentBack.inc({ source });
  }

  /** Revisions between what the mirror has seen and what the ConfigMap holds. */
  setRevisionLag(namespace: string, name: string, lag: bigint): void {
    this.prefixSyncSeries.setLag(namespace, name, lag);
  }

  /**
   * The PrefixSync's conditions as they are now: one series per condition type, labelled with its
   * status and reason; the series of a status or reason it no longer has are dropped.
   */
  setPrefixSyncConditions(
    namespace: string,
    name: string,
    conditions: readonly { type: string; status: string; reason: string }[],
  ): void {
    this.prefixSyncSeries.setConditions(namespace, name, conditions);
  }

  /** A sync attempt of the PrefixSync failed, or a guard held its revision, for `reason`. */
  incSyncFailure(namespace: string, name: string, reason: string): void {
    this.syncFailures.inc({ namespace, name, reason });
    const key = `${namespace}/${name}`;
    const reasons = this.failureReasons.get(key) ?? new Set<string>();
    reasons.add(reason);
    this.failureReasons.set(key, reasons);
  }

  /** Forgets a deleted PrefixSync's series. */
  removePrefixSync(namespace: string, name: string): void {
    this.prefixSyncSeries.remove(namespace, name);
    for (const reason of this.failureReasons.get(`${namespace}/${name}`) ?? []) {
      this.syncFailures.remove({ namespace, name, reason });
    }
    this.failureReasons.delete(`${namespace}/${name}`);
  }

  /**
   * Forgets every series that only the leader keeps current: the per-PrefixSync ones (conditions,
   * revision lag, sync failures) and each source's readiness. Called when leadership ends, so that a
   * standby exports nothing it is no longer responsible for; the next leader sets them afresh.
   */
  clearLeaderSeries(): void {
    this.prefixSyncSeries.clear();
    this.syncFailures.reset();
    this.failureReasons.clear();
    this.sourceUp.reset();
  }

  /** An etcd change took `ms` to reach the ConfigMap. */
  observeSyncLatencyMs(ms: number): void {
    this.syncLatency.observe(ms / 1000);
  }

  /** The rollout of an etcd change ended (`complete` or `failed`) `ms` after the change reached the operator. */
  observeRolloutMs(result: 'complete' | 'failed', ms: number): void {
    this.rolloutLatency.observe({ result }, ms / 1000);
  }

  /** One sync attempt ended with `result` (`written`, `unchanged` or a condition reason). */
  incSync(result: string): void {
    this.syncs.inc({ result });
  }

  /** A workload of `kind` was rolled. */
  incRollout(kind: string): void {
    this.rollouts.inc({ kind });
  }

  /** Whether `source` currently reaches etcd; `undefined` forgets it (source deleted). */
  setSourceReady(source: string, ready: boolean | undefined): void {
    if (ready === undefined) this.sourceUp.remove({ source });
    else this.sourceUp.set({ source }, ready ? 1 : 0);
  }

  /** Where the prefix-mirror gauge reads its value when scraped (the current session's connections). */
  countMirrorsWith(openMirrors: () => number): void {
    this.openMirrors = openMirrors;
  }

  /** Where the per-source mirror bytes and budget gauges read their values when scraped. */
  measureMirrorBytesWith(read: () => readonly SourceMirrorBytesReading[]): void {
    this.mirrorBytesBySource = read;
  }

  /** The exposition text of every metric, and its content type. */
  async render(): Promise<{ contentType: string; body: string }> {
    const body = await this.registry.metrics();
    const perPrefixSync = this.prefixSyncSeries.render();
    // OpenMetrics ends with `# EOF`; the text format just separates families with a blank line.
    return {
      contentType: this.registry.contentType,
      body: body.endsWith('# EOF\n')
        ? `${body.slice(0, -'# EOF\n'.length)}${perPrefixSync}# EOF\n`
        : `${body}\n${perPrefixSync}`,
    };
  }
}
