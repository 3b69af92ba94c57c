// The PrefixSync reconciler: level-based, it makes the target ConfigMap a pure function of the
// prefix's content at one etcd revision, rolls workloads only when the content hash changes, and
// writes status once at the end.
import type { V1ConfigMap } from '@kubernetes/client-node';
import {
  MAX_SKIPPED_KEYS_LISTED,
  PrefixSyncReason,
  SKIPPED_KEY_MAX_LENGTH,
  formatFieldErrors,
  resolvePrefixSyncSpec,
  type ClusterEtcdSource,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
} from '../../api/index.js';
import { NotFoundError } from '../../kube/index.js';
import {
  requestKey,
  type ReconcileContext,
  type Reconciler,
  type Request,
  type Result,
} from '../../runtime/index.js';
import type { RenderSuccess } from '../../sync/index.js';
import type { SourceConnections } from '../connections/source-connections.js';
import type { EventSink } from '../shared/events.js';
import { ReconcileAborted, ReconcileFailure } from '../shared/reconcile-failure.js';
import type { ResourceApi } from '../shared/resources.js';
import { ensureFinalizer, hasFinalizer, removeFinalizer } from './finalizer.js';
import { Guards, HeldChangeFailure, guardRevision } from './guard-step.js';
import type { Outcome } from './outcome.js';
import { PendingChanges } from './pending-changes.js';
import { SyncReporter, type PrefixSyncMetrics } from './report.js';
import { renderContent } from './content.js';
import type { TemplateRendering } from './template-content.js';
import { ContentHistory, type ControllerRevisionApi } from './content-history.js';
import { heldRollback, rollBack } from './rollback.js';
import type { WorkloadApi } from './rollout.js';
import { keepIfGood, pruneVersions, revoke } from './retention.js';
import { RolloutSlots } from './rollout-slots.js';
import { versionName } from './versions.js';
import { rolloutStep, type RolloutStepDeps } from './rollout-step.js';
import { runningContent } from './consumed-keys.js';
import { PrefixSnapshots, sourceRevisions } from './snapshots.js';
import { checkSources } from './source-checks.js';
import type { SecretTargetApi } from './secret-view.js';
import { TargetConfigMaps, type ConfigMapApi } from './target-configmaps.js';

/** Default safety-net resync of a healthy PrefixSync. */
export const DEFAULT_RESYNC_PERIOD_MS = 10 * 60 * 1000;
/**
 * The most a resync is delayed past its period, as a fraction of it. PrefixSyncs synced together (all
 * of them, after a restart) would otherwise resync together every period, forever: thousands of
 * reconciles in one burst, in front of the changes that arrive meanwhile.
 */
export const RESYNC_JITTER = 0.1;
/** Wait before looking again when the mirror is behind the revision status already reports. */
const MIRROR_BEHIND_RETRY_MS = 200;

/** Options of {@link PrefixSyncReconciler}. */
export interface PrefixSyncReconcilerOptions {
  prefixSyncs: ResourceApi<PrefixSync>;
  configMaps: ConfigMapApi;
  /** Secret targets (`--secret-targets`); absent: a Secret target fails with SecretTargetsDisabled. */
  secrets?: SecretTargetApi;
  workloads: WorkloadApi;
  /** Where the contents a rollback restores are kept (ControllerRevisions). */
  history: ControllerRevisionApi;
  /** Restart listed targets that do not reference the ConfigMap (`--rollout-non-consumers`). */
  restartNonConsumers?: boolean;
  /** Most rollouts in progress at once, over every PrefixSync (`--max-concurrent-rollouts`); 0: no limit. */
  maxConcurrentRollouts?: number;
  /** ClusterEtcdSources by name (an informer cache). */
  sources: (name: string) => ClusterEtcdSource | undefined;
  /** A namespace's labels (an informer cache), undefined if the namespace is unknown. */
  namespaceLabels: (name: string) => Record<string, string> | undefined;
  /**
   * The ConfigMaps of a namespace that carry the operator's managed-by label (an informer cache);
   * given an owner uid, at least those of them it owns.
   */
  managedConfigMaps: (namespace: string, ownerUid?: string) => V1ConfigMap[];
  connections: SourceConnections;
  events: EventSink;
  metrics?: PrefixSyncMetrics;
  /**
   * Whether this process handles `psync` (sharding): one it does not is treated like a deleted one —
   * its mirror released, nothing written. Default: every PrefixSync.
   */
  owns?: (psync: PrefixSync) => boolean;
  /**
   * The pending-change bookkeeping, shared with whoever notes mirror changes (the controller's
   * wiring). Default a private one on the wall clock.
   */
  pending?: PendingChanges;
  /**
   * Safety-net resync of a healthy PrefixSync: after this period plus up to
   * {@link RESYNC_JITTER} of it. Default {@link DEFAULT_RESYNC_PERIOD_MS}.
   */
  resyncPeriodMs?: number;
  /** Source of the resync jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
  /**
   * Where `format: template` renders and reads its ConfigMap, per PrefixSync (template-content.ts).
   * Default: a process-wide one-worker pool that cannot read a `configMapRef`.
   */
  templates?: (psync: PrefixSync) => TemplateRendering;
  now?: () => Date;
}

/**
 * Reconciles one PrefixSync, in this order: get → finalizer → resolve spec (`InvalidSpec`, terminal)
 * → suspend → source lookup (`SourceNotFound`) → access (`PrefixForbidden`) → source health
 * (`SourceUnavailable`) → shared prefix mirror → render (`InvalidKey`, `KeyCollision`, `RenderFailed`,
 * `TooLarge`) → write the ConfigMap (`TargetConflict`, `WriteFailed`) → roll out if the hash changed →
 * status once → Event. Any failure leaves the last good ConfigMap untouched.
 */
export class PrefixSyncReconciler implements Reconciler {
  private readonly resyncPeriodMs: number;
  private readonly random: () => number;
  private readonly now: () => Date;
  /** The only per-PrefixSync state kept across reconciles (see PendingChanges). */
  private readonly pending: PendingChanges;
  private readonly targets: TargetConfigMaps;
  private readonly reporter: SyncReporter;
  private readonly snapshots: PrefixSnapshots;
  private readonly guards = new Guards();
  private readonly history: ContentHistory;
  private readonly rollouts: RolloutStepDeps;
  private readonly slots: RolloutSlots;

  constructor(private readonly options: PrefixSyncReconcilerOptions) {
    this.resyncPeriodMs = options.resyncPeriodMs ?? DEFAULT_RESYNC_PERIOD_MS;
    this.random = options.random ?? Math.random;
    this.targets = new TargetConfigMaps(options.configMaps, options.managedConfigMaps, {
      ...(options.secrets ? { secrets: options.secrets } : {}),
      events: options.events,
    });
    this.now = options.now ?? (() => new Date());
    this.pending = options.pending ?? new PendingChanges();
    this.snapshots = new PrefixSnapshots(options.connections, this.pending);
    this.history = new ContentHistory(options.history);
    this.slots = new RolloutSlots(options.maxConcurrentRollouts ?? 0);
    this.rollouts = {
      workloads: options.workloads,
      now: this.now,
      ...(options.metrics ? { metrics: options.metrics } : {}),
      ...(options.restartNonConsumers ? { restartNonConsumers: true } : {}),
      slots: this.slots,
    };
    this.reporter = new SyncReporter({
      prefixSyncs: options.prefixSyncs,
      events: options.events,
      metrics: options.metrics,
      connections: options.connections,
      pending: this.pending,
      now: this.now,
    });
  }

  async reconcile(request: Request, context: ReconcileContext): Promise<Result> {
    const key = requestKey(request);
    const ctx = { ...context, logger: context.logger.child({ prefixsync: request.name }) };
    let psync = await this.getPrefixSync(request, ctx.signal);
    if (!psync || (this.options.owns && !this.options.owns(psync))) {
      this.forget(key, request);
      return {};
    }
    if (psync.metadata.deletionTimestamp) {
      await this.finalize(psync, key, ctx);
      return {};
    }
    psync = await ensureFinalizer(this.options.prefixSyncs, psync, ctx.signal);
    const wait = this.pending.debounceWait(key);
    if (wait > 0) return { requeueAfterMs: wait };
    const outcome = await this.sync(psync, key, ctx);
    // Stopping (shutdown or lost lease) is not a sync failure: report nothing.
    if (ctx.signal.aborted) throw new ReconcileAborted();
    await this.reporter.report(psync, outcome, ctx);
    const failure =
      outcome.kind === 'failed'
        ? outcome.failure
        : outcome.kind === 'synced' && outcome.rollout.kind === 'failed'
          ? new ReconcileFailure(
              outcome.rollout.reason,
              outcome.rollout.message,
              // Patching is retried; a rollout that did not come up, or a target that does not use
              // the ConfigMap, waits for a change.
              outcome.rollout.unhealthy || outcome.rollout.reason === 'TargetNotConsumer' ? 'wait' : 'retry',
            )
          : undefined;
    const engineError = failure?.toEngineError();
    if (engineError) throw engineError;
    if (outcome.kind === 'retry-soon') return { requeueAfterMs: MIRROR_BEHIND_RETRY_MS };
    const rollout = outcome.kind === 'synced' ? outcome.rollout : undefined;
    if (rollout && 'requeueAfterMs' in rollout) {
      return { requeueAfterMs: Math.min(this.resyncDelayMs(), rollout.requeueAfterMs) };
    }
    return { requeueAfterMs: this.resyncDelayMs() };
  }

  /** The resync period with its jitter (see RESYNC_JITTER). */
  private resyncDelayMs(): number {
    return Math.round(this.resyncPeriodMs * (1 + RESYNC_JITTER * this.random()));
  }

  // ---- the steps ----

  /** Everything from the spec to the rollout; never writes status. */
  private async sync(psync: PrefixSync, key: string, ctx: ReconcileContext): Promise<Outcome> {
    try {
      const spec = this.resolveSpec(psync, key);
      if (spec.suspend) {
        this.options.connections.release(key);
        this.slots.release(key);
        return { kind: 'suspended' };
      }
      const { sources, namespaceLabels, connections } = this.options;
      const { clients, onRevoke } = checkSources(sources, namespaceLabels, connections, psync, spec);
      const pinned = spec.pinRevision !== undefined;
      const snapshot = await this.snapshots.read(psync, spec, key, clients, ctx);
      if (!pinned && this.snapshots.isMirrorBehind(psync, snapshot)) {
        return { kind: 'retry-soon' };
      }
      const wentBackFrom = pinned ? undefined : this.snapshots.wentBackFrom(psync, snapshot);
      const content = await renderContent(spec, snapshot, this.options.templates?.(psync));
      const held = pinned ? undefined : heldRollback(psync, content);
      if (held) {
        // The ConfigMap keeps the restored content; the rollback's own rollout is followed.
        const rollout = await rolloutStep(this.rollouts, psync, spec, held.restored.contentHash, ctx);
        return {
          kind: 'synced',
          configMap: spec.target.name,
          prefix: spec.prefix,
          revision: BigInt(held.restored.revision),
          contentHash: held.restored.contentHash,
          keyCount: psync.status?.keyCount ?? 0,
          byteCount: psync.status?.byteCount ?? 0,
          rollout,
          wrote: false,
          rolledBack: held,
        };
      }
      const versioned = spec.target.versioned;
      const base = spec.target.name;
      const statusHash = psync.status?.contentHash;
      // Versioned: the workloads run the version of the hash in status (the plain name before the first).
      const publishedName = versioned && statusHash ? versionName(base, statusHash) : base;
      const published = await this.targets.published(psync, publishedName, ctx.signal);
      const change = guardRevision(
        this.guards.of(key, spec),
        psync,
        published,
        content,
        snapshot.revision,
        ctx,
      );
      const publish = (c: RenderSuccess, revision: bigint): Promise<boolean> =>
        versioned
          ? this.targets.write(psync, versionName(base, c.contentHash), c, revision, ctx, base)
          : this.targets.write(psync, base, c, revision, ctx);
      const wrote = await publish(content, snapshot.revision);
      const latencyMs = this.pending.noteApplied(key, snapshot.revision, wrote);
      if (latencyMs !== undefined) this.options.metrics?.observeSyncLatencyMs(latencyMs);
      await this.targets.releaseFormer(psync, base, ctx, versioned);
      const running = runningContent(published, statusHash);
      const rollout = await rolloutStep(
        this.rollouts,
        psync,
        spec,
        content.contentHash,
        ctx,
        content,
        running,
      );
      if (rollout.kind === 'complete' || (rollout.kind === 'failed' && rollout.unhealthy)) {
        const age = this.pending.takePublishedChangeAge(key);
        if (age !== undefined) {
          this.options.metrics?.observeRolloutMs(rollout.kind === 'complete' ? 'complete' : 'failed', age);
        }
      }
      if (rollout.kind === 'failed' && rollout.unhealthy && spec.rollout.onFailure === 'Rollback') {
        const failedRevision = psync.status?.rollout?.revision ?? snapshot.revision.toString();
        const back = await rollBack(
          { history: this.history, publish, rollout: this.rollouts },
          psync,
          spec,
          { content, revision: failedRevision, message: rollout.message },
          ctx,
        );
        if (back.ok) return back.outcome;
        rollout.message = `${rollout.message}; not rolled back: ${back.why}`;
      }
      const lastGood = await keepIfGood(this.history, psync, spec, content, snapshot.revision, rollout, ctx);
      if (versioned)
        await pruneVersions(this.targets, this.options.workloads, psync, spec, content, lastGood, ctx);
      ctx.logger.debug('synced', { revision: snapshot.revision, configMap: spec.target.name, wrote });
      return {
        kind: 'synced',
        configMap: spec.target.name,
        prefix: spec.prefix,
        revision: snapshot.revision,
        contentHash: content.contentHash,
        keyCount: content.keyCount,
        byteCount: content.byteCount,
        rollout,
        wrote,
        onRevoke,
        ...(lastGood ? { lastGood } : {}),
        ...(wrote ? { change } : {}),
        ...(pinned ? { pinned } : {}),
        ...(content.skipped && content.skipped.length > 0
          ? {
              skipped: {
                keys: content.skipped.slice(0, MAX_SKIPPED_KEYS_LISTED).map((s) => shortened(s.etcdKey)),
                count: content.skipped.length,
              },
            }
          : {}),
        ...(wentBackFrom !== undefined ? { wentBackFrom } : {}),
        ...sourceRevisions(spec, snapshot),
      };
    } catch (err) {
      if (!(err instanceof ReconcileFailure)) throw err;
      const failure = err as ReconcileFailure<PrefixSyncReason>;
      if (failure.reason === PrefixSyncReason.Pending) return { kind: 'pending', message: failure.message };
      // Nothing to watch for a PrefixSync that may not or cannot read its prefix.
      if (RELEASING_REASONS.has(failure.reason)) this.options.connections.release(key);
      if (failure.reason === PrefixSyncReason.PrefixForbidden && psync.status?.onRevoke === 'Delete') {
        return revoke(this.targets, this.history, psync, failure, ctx);
      }
      return {
        kind: 'failed',
        reason: failure.reason,
        message: failure.message,
        failure,
        ...(failure instanceof HeldChangeFailure ? { held: failure.held } : {}),
      };
    }
  }

  private resolveSpec(psync: PrefixSync, key: string): ResolvedPrefixSyncSpec {
    const resolved = resolvePrefixSyncSpec(psync.spec);
    if (!resolved.ok) {
      throw new ReconcileFailure(
        PrefixSyncReason.InvalidSpec,
        `invalid spec: ${formatFieldErrors(resolved.errors)}`,
        'terminal',
      );
    }
    this.pending.track(key, resolved.spec.debounceMs);
    return resolved.spec;
  }

  // ---- deletion ----

  /** deletionPolicy Delete: delete our ConfigMap; Retain: drop our ownerReference. Then the finalizer. */
  private async finalize(psync: PrefixSync, key: string, ctx: ReconcileContext): Promise<void> {
    this.options.connections.release(key);
    if (!hasFinalizer(psync)) return;
    const targetName = typeof psync.spec?.target?.name === 'string' ? psync.spec.target.name : undefined;
    if (targetName) await this.targets.release(psync, targetName, ctx);
    await removeFinalizer(this.options.prefixSyncs, psync, ctx.signal);
    this.forget(key, { namespace: psync.metadata.namespace ?? '', name: psync.metadata.name ?? '' });
  }

  // ---- helpers ----

  private async getPrefixSync(request: Request, signal: AbortSignal): Promise<PrefixSync | undefined> {
    try {
      return await this.options.prefixSyncs.get(request, { signal });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  private forget(key: string, request: Request): void {
    this.options.connections.release(key);
    this.pending.forget(key);
    this.guards.forget(key);
    this.slots.release(key);
    this.options.metrics?.removePrefixSync(request.namespace ?? '', request.name);
  }
}

/** Failures after which the PrefixSync's mirror (if any) is released. */
const RELEASING_REASONS: ReadonlySet<PrefixSyncReason> = new Set<PrefixSyncReason>([
  PrefixSyncReason.InvalidSpec,
  PrefixSyncReason.SourceNotFound,
  PrefixSyncReason.PrefixForbidden,
]);

/** A skipped key as status may hold it (the CRD bounds its length): cut, ending with `…`. */
function shortened(key: string): string {
  return key.length <= SKIPPED_KEY_MAX_LENGTH ? key : `${key.slice(0, SKIPPED_KEY_MAX_LENGTH - 1)}…`;
}
