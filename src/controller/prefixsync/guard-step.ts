// The guard step of a sync: before a new revision is published, it must pass the PrefixSync's
// spec.validation (minKeys, maxRemoved, CEL rules, JSON Schemas). A revision that fails is held — the
// last good ConfigMap stays, nothing rolls — until etcd moves on or a user approves exactly that
// revision with the approve-revision annotation.
import {
  APPROVE_REVISION_ANNOTATION,
  PrefixSyncReason,
  type HeldChange,
  type PrefixSync,
  type ResolvedPrefixSyncSpec,
} from '../../api/index.js';
import type { ReconcileContext } from '../../runtime/index.js';
import {
  compileGuard,
  describeChange,
  summarizeChange,
  type Guard,
  type GuardSpec,
  type RenderSuccess,
} from '../../sync/index.js';
import { ReconcileFailure } from '../shared/reconcile-failure.js';

/** Content as published in a ConfigMap. */
export interface PublishedContent {
  readonly data: Record<string, string>;
  readonly binaryData: Record<string, string>;
}

/** A revision a guard holds: a failure whose report records `held` in status. */
export class HeldChangeFailure extends ReconcileFailure<PrefixSyncReason> {
  constructor(readonly held: HeldChange) {
    super(held.reason as PrefixSyncReason, held.message, 'wait');
  }
}

/** Each PrefixSync's compiled guard, re-compiled only when its spec.validation changes. */
export class Guards {
  /** The fingerprint (the guard spec's JSON) of each PrefixSync's guard. */
  private readonly fingerprints = new Map<string, string>();
  /**
   * Compiled guards by fingerprint, with how many PrefixSyncs use each: guards hold no state, so
   * PrefixSyncs with one guard spec (most have none at all) share one compiled guard.
   */
  private readonly compiled = new Map<string, { fingerprint: string; guard: Guard; users: number }>();

  /** The guard of `spec`; a rule or schema that does not compile is an InvalidSpec (terminal). */
  of(key: string, spec: ResolvedPrefixSyncSpec): Guard {
    const guardSpec: GuardSpec = {
      minKeys: spec.validation.minKeys,
      maxRemoved: spec.maxRemoved,
      rules: spec.validation.rules,
      schemas: spec.validation.schemas,
    };
    const fingerprint = JSON.stringify(guardSpec);
    let entry = this.compiled.get(fingerprint);
    if (entry && this.fingerprints.get(key) === fingerprint) return entry.guard;
    this.forget(key);
    if (!entry) {
      const result = compileGuard(guardSpec);
      if (!result.ok) {
        throw new ReconcileFailure(
          PrefixSyncReason.InvalidSpec,
          `invalid spec: ${result.errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`,
          'terminal',
        );
      }
      entry = { fingerprint, guard: result.guard, users: 0 };
      this.compiled.set(fingerprint, entry);
    }
    entry.users++;
    this.fingerprints.set(key, entry.fingerprint);
    return entry.guard;
  }

  forget(key: string): void {
    const fingerprint = this.fingerprints.get(key);
    if (fingerprint === undefined) return;
    this.fingerprints.delete(key);
    const entry = this.compiled.get(fingerprint);
    if (entry && --entry.users <= 0) this.compiled.delete(fingerprint);
  }

  /** How many compiled guards are kept (tests: PrefixSyncs with one guard spec share one). */
  get compiledCount(): number {
    return this.compiled.size;
  }
}

/**
 * Judges the content about to be published against what is published. Content already published
 * (same hash as status) passes: there is nothing to hold. Throws HeldChangeFailure when a guard holds
 * it, unless the approve annotation names exactly this held revision and content. Returns the change
 * summary (names only) for the write's Event and log.
 */
export function guardRevision(
  guard: Guard,
  psync: PrefixSync,
  published: PublishedContent | undefined,
  content: RenderSuccess,
  revision: bigint,
  ctx: ReconcileContext,
): string {
  const change = describeChange(
    summarizeChange(merged(published), { ...content.data, ...content.binaryData }),
  );
  if (psync.status?.contentHash === content.contentHash) return change;
  // The same content as the held one keeps its revision (the mirror may have moved on without it
  // changing), so that the condition and its Event do not change with every progress of etcd.
  const held = psync.status?.held;
  const sameAsHeld = held !== undefined && held.contentHash === content.contentHash;
  const judged = sameAsHeld && /^\d+$/.test(held.revision) ? BigInt(held.revision) : revision;
  const verdict = guard.judge(published, {
    data: content.data,
    binaryData: content.binaryData,
    revision: judged,
  });
  if (verdict.ok) return change;
  const approval = psync.metadata.annotations?.[APPROVE_REVISION_ANNOTATION];
  if (sameAsHeld && approval === held.revision) {
    ctx.logger.info('held change approved', { revision: held.revision, reason: verdict.reason, change });
    return `${change} (approved by ${APPROVE_REVISION_ANNOTATION})`;
  }
  const heldRevision = judged.toString();
  // Said once when a revision is first held; re-judging the same held content says it at debug.
  const log = sameAsHeld ? ctx.logger.debug.bind(ctx.logger) : ctx.logger.info.bind(ctx.logger);
  log('change held', { revision: heldRevision, reason: verdict.reason, change });
  throw new HeldChangeFailure({
    revision: heldRevision,
    contentHash: content.contentHash,
    reason: verdict.reason,
    message: `${heldMessage(psync, verdict, heldRevision)}; the change: ${change}. The last good ConfigMap stays; to publish this revision anyway, annotate the PrefixSync ${APPROVE_REVISION_ANNOTATION}="${heldRevision}"`,
  });
}

/**
 * The verdict's message, or for a Secret target one without its details: a CEL or JSON Schema error
 * can quote a value, and a Secret's values never reach status, Events or logs. Key names stay.
 */
function heldMessage(
  psync: PrefixSync,
  verdict: { reason: string; message: string; keys: string[] },
  revision: string,
): string {
  if (psync.spec?.target?.kind !== 'Secret' || verdict.reason !== 'ValidationFailed') return verdict.message;
  const keys = verdict.keys.length > 0 ? ` (keys ${verdict.keys.join(', ')})` : '';
  return `revision ${revision} breaks spec.validation${keys}; the details are withheld because the target is a Secret and they can quote its values`;
}

/** Every key of published content, data and binaryData together (names are unique across both). */
function merged(content: PublishedContent | undefined): Record<string, string> | undefined {
  return content ? { ...content.data, ...content.binaryData } : undefined;
}
