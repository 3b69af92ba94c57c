// A PrefixSync's targets — ConfigMaps, or Secrets through their ConfigMap view (secret-view.ts): writes
// its target (create, replace at the version read, re-read on 409; delete and create an immutable one
// whose content changes) and lets go of the ones it no longer targets as its deletionPolicy says. A
// target someone else owns is never written; an unclaimed one only with `spec.target.adopt`.
import type { V1ConfigMap } from '@kubernetes/client-node';
import { PrefixSyncReason, type DeletionPolicy, type PrefixSync, type TargetKind } from '../../api/index.js';
import { ConflictError, NotFoundError, type ObjectKey } from '../../kube/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import type { RenderSuccess } from '../../sync/index.js';
import { subjectOf, type EventSink } from '../shared/events.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';
import type { ConfigMapApi } from '../shared/resources.js';
import {
  REVISION_ANNOTATION,
  desiredConfigMap,
  planConfigMapWrite,
  targetKindOf,
  withoutOwner,
} from './desired-configmap.js';
import { secretTypeOf, type SecretTargetApi } from './secret-view.js';
import { VERSION_OF_LABEL, isBaseOrVersion } from './versions.js';

/** How many times a ConfigMap write is re-read and retried after 409 Conflict within one reconcile. */
const WRITE_ATTEMPTS = 3;

export type { ConfigMapApi } from '../shared/resources.js';

/** Options of {@link TargetConfigMaps} beyond the ConfigMaps. */
export interface TargetOptions {
  /** Secret targets (`--secret-targets`); absent: a Secret target fails with SecretTargetsDisabled. */
  secrets?: SecretTargetApi;
  /** Where the Adopted Event goes. */
  events?: EventSink;
}

/** The SecretTargetsDisabled message. */
export const SECRET_TARGETS_DISABLED_MESSAGE =
  'spec.target.kind is Secret, but this operator runs without --secret-targets (Helm chart value secretTargets.enabled: true), so it has no access to Secrets; nothing is written';

export class TargetConfigMaps {
  /**
   * `uid/kind/name` of the targets whose former objects of the other kind (and, for Secrets, of other
   * names) were looked for in this process: Secrets have no informer, so they are listed once each.
   */
  private readonly checkedSecrets = new Set<string>();

  constructor(
    private readonly api: ConfigMapApi,
    /**
     * The ConfigMaps of a namespace that carry the operator's managed-by label (an informer cache);
     * given an owner uid, at least those of them it owns (an index, not a scan of the namespace).
     */
    private readonly managed: (namespace: string, ownerUid?: string) => V1ConfigMap[],
    private readonly options: TargetOptions = {},
  ) {}

  /** The API of `psync`'s target kind; throws SecretTargetsDisabled (terminal) for an unavailable one. */
  private apiOf(psync: PrefixSync, kind: TargetKind = targetKindOf(psync)): ConfigMapApi {
    if (kind === 'ConfigMap') return this.api;
    if (this.options.secrets) return this.options.secrets;
    throw new ReconcileFailure(
      PrefixSyncReason.SecretTargetsDisabled,
      SECRET_TARGETS_DISABLED_MESSAGE,
      'terminal',
    );
  }

  /**
   * Makes ConfigMap `name` hold `content` at `revision`; returns whether it wrote (false: already so).
   * Throws ReconcileFailure (TargetConflict, WriteFailed; retried).
   */
  async write(
    psync: PrefixSync,
    name: string,
    content: RenderSuccess,
    revision: bigint,
    ctx: ReconcileContext,
    versionOf?: string,
  ): Promise<boolean> {
    const namespace = psync.metadata.namespace ?? '';
    const kind = targetKindOf(psync);
    const api = this.apiOf(psync, kind);
    const desired = desiredConfigMap(psync, name, content, revision, versionOf);
    for (let attempt = 1; ; attempt++) {
      try {
        const existing = await this.get({ namespace, name }, ctx.signal, api);
        const type = existing ? secretTypeOf(existing) : undefined;
        if (type !== undefined && type !== 'Opaque') {
          throw new ReconcileFailure(
            PrefixSyncReason.TargetConflict,
            `Secret ${namespace}/${name} exists with type ${type}; a Secret target is Opaque and a Secret's type cannot change, so it is left untouched: choose another spec.target.name`,
            'retry',
          );
        }
        const plan = planConfigMapWrite(existing, desired, psync, kind);
        switch (plan.action) {
          case 'none':
            return false;
          case 'conflict':
            throw new ReconcileFailure(PrefixSyncReason.TargetConflict, plan.message, 'retry');
          case 'create':
            await api.create(plan.body, { signal: ctx.signal });
            return true;
          case 'replace':
            await api.replace(plan.body, { signal: ctx.signal });
            this.noteAdopted(psync, kind, name, plan.adopted, ctx);
            return true;
          case 'recreate':
            // Immutable: the only way to new content. Pods that mount it keep the old content until
            // they restart (the rollout, when there is one, does that).
            await api.delete({ namespace, name }, { signal: ctx.signal });
            await api.create(plan.body, { signal: ctx.signal });
            ctx.logger.info('immutable target re-created', { configMap: name, kind });
            this.noteAdopted(psync, kind, name, plan.adopted, ctx);
            return true;
        }
      } catch (err) {
        if (err instanceof ReconcileFailure) throw err;
        if (err instanceof ConflictError && attempt < WRITE_ATTEMPTS) continue;
        throw new ReconcileFailure(
          PrefixSyncReason.WriteFailed,
          `writing ${kind} ${namespace}/${name} failed: ${err instanceof Error ? err.message : String(err)}`,
          'retry',
          { cause: err },
        );
      }
    }
  }

  /** The Adopted Event (Normal) and log line of an adoption; names and metadata keys only. */
  private noteAdopted(
    psync: PrefixSync,
    kind: TargetKind,
    name: string,
    former: string | undefined,
    ctx: ReconcileContext,
  ): void {
    if (former === undefined) return;
    const where = `${psync.metadata.namespace ?? ''}/${name}`;
    this.options.events?.record(
      subjectOf(psync, 'PrefixSync'),
      'Normal',
      'Adopted',
      `Adopted ${kind} ${where} (spec.target.adopt); its former state: ${former}`,
    );
    ctx.logger.info('target adopted', { configMap: name, kind });
  }

  /**
   * The content this PrefixSync last published in ConfigMap `name` (what the guards compare a new
   * revision with); undefined when the ConfigMap is absent or not ours.
   */
  async published(
    psync: PrefixSync,
    name: string,
    signal: AbortSignal,
  ): Promise<{ data: Record<string, string>; binaryData: Record<string, string> } | undefined> {
    const cm = await this.get({ namespace: psync.metadata.namespace ?? '', name }, signal, this.apiOf(psync));
    if (!cm?.metadata?.ownerReferences?.some((r) => r.uid === psync.metadata.uid)) return undefined;
    return { data: { ...cm.data }, binaryData: { ...cm.binaryData } };
  }

  /**
   * Lets go of ConfigMap `name` as `deletionPolicy` says — Delete: delete it if we own it; Retain: drop
   * our ownerReference — on deletion of the PrefixSync and when `spec.target.name` moves away from it.
   */
  async release(
    psync: PrefixSync,
    name: string,
    ctx: ReconcileContext,
    kind: TargetKind = targetKindOf(psync),
  ): Promise<void> {
    // Without --secret-targets no Secret was ever written by this operator: nothing to let go of.
    if (kind === 'Secret' && !this.options.secrets) return;
    const api = this.apiOf(psync, kind);
    const policy = deletionPolicyOf(psync);
    const cmKey = { namespace: psync.metadata.namespace ?? '', name };
    for (let attempt = 1; ; attempt++) {
      const existing = await this.get(cmKey, ctx.signal, api);
      if (!existing) return;
      try {
        if (policy === 'Delete') {
          if (existing.metadata?.ownerReferences?.some((r) => r.uid === psync.metadata.uid)) {
            await api.delete(cmKey, { signal: ctx.signal });
            ctx.logger.info('configmap deleted', { configMap: name, kind, deletionPolicy: policy });
          }
        } else {
          const released = withoutOwner(existing, psync);
          if (released) {
            await api.replace(released, { signal: ctx.signal });
            ctx.logger.info('configmap retained without owner', { configMap: name, kind });
          }
        }
        return;
      } catch (err) {
        if (err instanceof NotFoundError) return;
        if (err instanceof ConflictError && attempt < WRITE_ATTEMPTS) continue;
        throw err;
      }
    }
  }

  /**
   * Deletes ConfigMap `name` if this PrefixSync owns it (access to its prefix was revoked under
   * `onRevoke: Delete`); returns whether it deleted one.
   */
  async deleteOwned(psync: PrefixSync, name: string, ctx: ReconcileContext): Promise<boolean> {
    if (targetKindOf(psync) === 'Secret' && !this.options.secrets) return false;
    const api = this.apiOf(psync);
    const key = { namespace: psync.metadata.namespace ?? '', name };
    const existing = await this.get(key, ctx.signal, api);
    if (!existing?.metadata?.ownerReferences?.some((r) => r.uid === psync.metadata.uid)) return false;
    try {
      await api.delete(key, { signal: ctx.signal });
    } catch (err) {
      if (err instanceof NotFoundError) return false;
      throw err;
    }
    return true;
  }

  /**
   * After a write to `target`: every other ConfigMap this PrefixSync still owns — its target was
   * renamed, maybe while no operator ran — is released by the deletion policy rather than left behind
   * owned (it would otherwise follow the PrefixSync's deletion even under Retain). Found by owner uid in
   * the managed ConfigMaps' cache, not in memory, so that a restart forgets none.
   */
  async releaseFormer(
    psync: PrefixSync,
    target: string,
    ctx: ReconcileContext,
    versioned = false,
  ): Promise<void> {
    const uid = psync.metadata.uid;
    const kind = targetKindOf(psync);
    // A versioned target keeps its versions (pruned apart) and its plain ConfigMap, which workloads may
    // still reference until their first rollout to a version. A Secret target keeps no ConfigMap.
    const current = (name: string | undefined): boolean =>
      kind === 'ConfigMap' && (versioned ? isBaseOrVersion(name, target) : name === target);
    const owned = (cm: V1ConfigMap): boolean =>
      cm.metadata?.ownerReferences?.some((r) => r.uid === uid) ?? false;
    const former = this.managed(psync.metadata.namespace ?? '', uid)
      .filter((cm) => !current(cm.metadata?.name) && owned(cm))
      .map((cm) => cm.metadata?.name ?? '');
    for (const name of former) await this.release(psync, name, ctx, 'ConfigMap');
    const secrets = this.options.secrets;
    const checked = `${uid ?? ''}/${kind}/${target}`;
    if (!secrets || this.checkedSecrets.has(checked)) return;
    const formerSecrets = (await secrets.listManaged(psync, ctx.signal))
      .filter((s) => owned(s) && !(kind === 'Secret' && s.metadata?.name === target))
      .map((s) => s.metadata?.name ?? '');
    for (const name of formerSecrets) await this.release(psync, name, ctx, 'Secret');
    this.checkedSecrets.add(checked);
  }

  /**
   * Deletes the versions of versioned target `base` beyond the newest `keepCount` (by etcd revision),
   * except those in `keep` (the current and last good ones, and any a workload references).
   */
  async pruneVersions(
    psync: PrefixSync,
    base: string,
    keepCount: number,
    keep: (names: readonly string[]) => Promise<ReadonlySet<string>>,
    ctx: ReconcileContext,
  ): Promise<string[]> {
    const uid = psync.metadata.uid;
    const versions = this.managed(psync.metadata.namespace ?? '', uid)
      .filter(
        (cm) =>
          cm.metadata?.labels?.[VERSION_OF_LABEL] === base &&
          cm.metadata.ownerReferences?.some((r) => r.uid === uid),
      )
      .sort((a, b) => revisionOf(b) - revisionOf(a));
    const candidates = versions.slice(keepCount).map((cm) => cm.metadata?.name ?? '');
    if (candidates.length === 0) return [];
    const kept = await keep(candidates);
    const deleted: string[] = [];
    for (const name of candidates.filter((n) => !kept.has(n))) {
      try {
        await this.api.delete({ namespace: psync.metadata.namespace ?? '', name }, { signal: ctx.signal });
        deleted.push(name);
      } catch (err) {
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    return deleted;
  }

  private async get(
    key: ObjectKey,
    signal: AbortSignal,
    api: ConfigMapApi = this.api,
  ): Promise<V1ConfigMap | undefined> {
    try {
      return await api.get(key, { signal });
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }
}

/** The etcd revision a version was written from (its annotation), 0 when unknown. */
function revisionOf(cm: V1ConfigMap): number {
  return Number(cm.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0) || 0;
}

function deletionPolicyOf(psync: PrefixSync): DeletionPolicy {
  return psync.spec?.deletionPolicy === 'Delete' ? 'Delete' : 'Retain';
}
