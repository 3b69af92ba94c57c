// The ClusterEtcdSource reconciler: keeps one etcd client per source connected with the settings of its
// spec and Secrets, probes it periodically and whenever its client's connection comes up or goes down,
// and reports the outcome in status and to the PrefixSyncs.
import { isDeepStrictEqual } from 'node:util';
import {
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  formatFieldErrors,
  resolveClusterEtcdSourceSpec,
  type ClusterEtcdSource,
  type ClusterEtcdSourceStatus,
} from '../../api/index.js';
import type { EtcdClient } from '../../etcd/index.js';
import { abortable } from '../../base/index.js';
import { NotFoundError } from '../../kube/index.js';
import {
  TerminalError,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '../../runtime/index.js';
import { findCondition } from '../shared/conditions.js';
import { REVISION_WENT_BACK_EVENT, subjectOf, type EventSink } from '../shared/events.js';
import { ReconcileAborted } from '../shared/reconcile-failure.js';
import type { ResourceApi } from '../shared/resources.js';
import { connectionSettings, type SecretLookup } from './connection-settings.js';
import type { SourceConnections, SourceHealth } from '../connections/source-connections.js';
import { failedHealth, healthChangeLogLevel, readyHealth, sourceStatus } from './source-status.js';
import { describeWentBack, sourceWentBack, type SourceWentBack } from '../connections/went-back.js';

/** Default time between probes of a reachable source. */
export const DEFAULT_PROBE_INTERVAL_MS = 10_000;
/**
 * Default deadline of a probe: the keepalive timeout of the etcd client (a member that has not answered
 * a ping by then counts as dead there too). A probe does not wait for a connection: an endpoint that
 * refuses, does not resolve or fails the TLS handshake fails it at once; only a silent one (frozen
 * member, blackholed link) takes this long.
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;
/**
 * Time between probes of a failing source (capped by the probe interval): recovery shows within about
 * this long even without a connectivity change. Probes are unary requests, never keepalive pings, so
 * etcd's --grpc-keepalive-min-time (5 s) does not apply to them.
 */
export const FAILED_PROBE_INTERVAL_MS = 1_000;

/** Metrics the source reconciler reports (implemented by observability's OperatorMetrics). */
export interface SourceMetrics {
  setSourceReady(source: string, ready: boolean | undefined): void;
  incReconnects(source: string): void;
}

/** Options of {@link EtcdSourceReconciler}. */
export interface EtcdSourceReconcilerOptions {
  sources: ResourceApi<ClusterEtcdSource>;
  /** Secrets of the operator's namespace (an informer cache). */
  secrets: SecretLookup;
  /** The operator's namespace, where the Secrets live (for messages). */
  namespace: string;
  connections: SourceConnections;
  events: EventSink;
  /**
   * Asks for a reconcile of `source` soon (the source controller's enqueue). Called when an endpoint of
   * the source's client connects or loses its connection, so that an outage or a recovery is probed at
   * once instead of at the next probe interval. Called synchronously from the etcd client; must not
   * throw. Default none (outages show at the next periodic probe).
   */
  requeue?(source: string): void;
  /** Time between probes while the source is reachable. Default {@link DEFAULT_PROBE_INTERVAL_MS}. */
  probeIntervalMs?: number;
  /** Deadline of one probe. Default {@link DEFAULT_PROBE_TIMEOUT_MS}. */
  probeTimeoutMs?: number;
  metrics?: SourceMetrics;
  now?: () => Date;
}

/**
 * Reconciles one ClusterEtcdSource: get → resolve spec (invalid: `InvalidSpec`, terminal) → read the
 * Secrets (`SecretNotFound`) → connect (re-made only when settings change) and follow the client's
 * connectivity → probe → status. Resolves with a requeue after the probe interval (every
 * {@link FAILED_PROBE_INTERVAL_MS} while failing) so status and health stay current.
 */
export class EtcdSourceReconciler implements Reconciler {
  private readonly probeIntervalMs: number;
  private readonly probeTimeoutMs: number;
  private readonly now: () => Date;
  /**
   * Per source, the client whose connectivity changes trigger a reconcile, and how to stop listening.
   * Holds exactly the sources that have a connection; replaced when the connection is re-made.
   */
  private readonly followed = new Map<string, { client: EtcdClient; unsubscribe: () => void }>();

  constructor(private readonly options: EtcdSourceReconcilerOptions) {
    this.probeIntervalMs = options.probeIntervalMs ?? DEFAULT_PROBE_INTERVAL_MS;
    this.probeTimeoutMs = options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    this.now = options.now ?? (() => new Date());
  }

  async reconcile(request: Request, ctx: ReconcileContext): Promise<Result> {
    const source = await this.getSource(request.name, ctx.signal);
    if (!source) {
      this.forget(request.name);
      return {};
    }
    const resolved = resolveClusterEtcdSourceSpec(source.spec);
    if (!resolved.ok) {
      const message = `invalid spec: ${formatFieldErrors(resolved.errors)}`;
      this.disconnect(request.name);
      await this.finish(
        source,
        { state: 'failed', reason: ClusterEtcdSourceReason.InvalidSpec, message },
        ctx,
      );
      throw new TerminalError(message, { reported: true });
    }
    const settings = connectionSettings(resolved.spec, this.options.secrets, this.options.namespace);
    if (!settings.ok) {
      this.disconnect(request.name);
      await this.finish(
        source,
        { state: 'failed', reason: ClusterEtcdSourceReason.SecretNotFound, message: settings.message },
        ctx,
      );
      return {}; // the Secret informer triggers the next attempt
    }
    if (this.options.connections.connect(request.name, settings.settings)) {
      this.options.metrics?.incReconnects(request.name);
    }
    this.options.connections.setMirrorBudget(request.name, resolved.spec.maxMirrorBytes);
    this.followConnectivity(request.name);
    const health = await this.probe(request.name, settings.settings.auth !== undefined, ctx.signal);
    const wentBack = await this.wentBack(source, health, ctx.signal);
    // Stopping (shutdown or lost lease) is not an outage: report nothing.
    if (ctx.signal.aborted) throw new ReconcileAborted();
    await this.finish(source, health, ctx, wentBack);
    return {
      requeueAfterMs:
        health.state === 'ready'
          ? this.probeIntervalMs
          : Math.min(this.probeIntervalMs, FAILED_PROBE_INTERVAL_MS),
    };
  }

  /**
   * Makes a connectivity change of the source's current client ask for a reconcile: a member that
   * stops closes its connection at once, and the probe that follows fails fast (connection refused).
   */
  private followConnectivity(name: string): void {
    const client = this.options.connections.get(name)?.client;
    const current = this.followed.get(name);
    if (!client || !this.options.requeue || current?.client === client) return;
    current?.unsubscribe();
    const unsubscribe = client.onConnectivityChange(() => this.options.requeue?.(name));
    this.followed.set(name, { client, unsubscribe });
  }

  private unfollow(name: string): void {
    this.followed.get(name)?.unsubscribe();
    this.followed.delete(name);
  }

  private async getSource(name: string, signal: AbortSignal): Promise<ClusterEtcdSource | undefined> {
    try {
      return await this.options.sources.get({ name }, { signal });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  private forget(name: string): void {
    this.disconnect(name);
    this.options.metrics?.setSourceReady(name, undefined);
  }

  private disconnect(name: string): void {
    this.unfollow(name);
    this.options.connections.remove(name);
  }

  /**
   * Asks every endpoint for the cluster's status and members without waiting for a connection (fail
   * fast, see ProbeOptions); the probe deadline bounds the wait for a silent endpoint.
   */
  private async probe(name: string, usesAuth: boolean, signal: AbortSignal): Promise<SourceHealth> {
    const connection = this.options.connections.get(name);
    if (!connection) return { state: 'pending' };
    const options = { failFast: true, timeoutMs: this.probeTimeoutMs };
    try {
      const [status, members] = await abortable(
        Promise.all([connection.client.status(options), connection.client.memberList(options)]),
        signal,
      );
      return readyHealth(status, members.length);
    } catch (err) {
      return failedHealth(err, usesAuth);
    }
  }

  /**
   * What to report of etcd going back in time (restored from a backup, wiped, replaced), once per
   * episode: what mirrors and PrefixSyncs noted since the last probe, and what this probe finds against
   * the revision and cluster ID status last recorded (so also across a stop of the operator). A lower
   * revision alone is
   * confirmed with a linearizable read of a prefix a mirror reads (a lagging member of a cluster
   * answers a probe with an older revision); when there is none, or the read fails, the probe's word
   * is taken.
   */
  private async wentBack(
    source: ClusterEtcdSource,
    health: SourceHealth,
    signal: AbortSignal,
  ): Promise<SourceWentBack | undefined> {
    const name = source.metadata.name ?? '';
    const seen = await this.confirmed(name, sourceWentBack(source.status, health), signal);
    return this.options.connections.takeWentBack(name, seen);
  }

  private async confirmed(
    name: string,
    seen: SourceWentBack | undefined,
    signal: AbortSignal,
  ): Promise<SourceWentBack | undefined> {
    const connection = this.options.connections.get(name);
    const prefix = connection?.mirrors.prefixes()[0];
    if (!seen || seen.clusterId !== undefined || !connection || prefix === undefined) return seen;
    try {
      const read = await abortable(connection.client.kv.range({ key: prefix, keysOnly: true }), signal);
      return read.revision < seen.fromRevision ? { ...seen, toRevision: read.revision } : undefined;
    } catch {
      return seen;
    }
  }

  /**
   * Records health (the connections tell the PrefixSyncs when it changed), emits an Event on transitions (and when etcd
   * went back in time), writes status.
   */
  private async finish(
    source: ClusterEtcdSource,
    health: SourceHealth,
    ctx: ReconcileContext,
    wentBack?: SourceWentBack,
  ): Promise<void> {
    const name = source.metadata.name ?? '';
    if (wentBack) {
      const message = describeWentBack(name, wentBack);
      this.options.events.record(
        subjectOf(source, 'ClusterEtcdSource'),
        'Warning',
        REVISION_WENT_BACK_EVENT,
        message,
      );
      ctx.logger.warn('etcd revision went back', {
        fromRevision: String(wentBack.fromRevision),
        revision: String(wentBack.toRevision),
        ...(wentBack.clusterId !== undefined
          ? { previousClusterId: wentBack.previousClusterId, clusterId: wentBack.clusterId }
          : {}),
      });
    }
    this.options.connections.setHealth(name, health);
    this.options.metrics?.setSourceReady(name, health.state === 'ready');
    const before = findCondition(source.status?.conditions, ClusterEtcdSourceConditionType.Ready);
    const next = sourceStatus(
      source.status,
      health,
      source.metadata.generation,
      this.now(),
      source.spec.endpoints,
    );
    const after = findCondition(next.conditions, ClusterEtcdSourceConditionType.Ready);
    if (after && (before?.status !== after.status || before.reason !== after.reason)) {
      this.options.events.record(
        subjectOf(source, 'ClusterEtcdSource'),
        after.status === 'True' ? 'Normal' : 'Warning',
        after.reason,
        after.message,
      );
      ctx.logger[healthChangeLogLevel(after.status)]('source health changed', {
        reason: after.reason,
        detail: after.message,
      });
    }
    if (sameStatus(source.status, next)) return;
    await this.options.sources.replaceStatus({ ...source, status: next }, { signal: ctx.signal });
  }
}

function sameStatus(a: ClusterEtcdSourceStatus | undefined, b: ClusterEtcdSourceStatus): boolean {
  return isDeepStrictEqual(a ?? {}, b);
}
