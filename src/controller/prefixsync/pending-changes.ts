// What has changed under each PrefixSync and is not yet in its ConfigMap: the trailing debounce of a
// burst, the put→ConfigMap latency, the force-sync annotation last honoured and the mirror revision
// last taken. One object with an injected clock, so that the reconciler stays close to stateless and
// this bookkeeping is tested with a fake clock.
import type { Clock } from '../../base/index.js';
import { MAX_DEBOUNCE_FACTOR, debounceRemaining } from './triggers.js';

/** Options of {@link PendingChanges}. */
export interface PendingChangesOptions {
  /** Default the wall clock. */
  clock?: Pick<Clock, 'now'>;
}

/** One PrefixSync's bookkeeping (memory only: a restart loses it harmlessly). */
interface Entry {
  /** `spec.debounce` in ms, as last reconciled. */
  debounceMs: number;
  /** The force-sync annotation value last honoured ('' when absent); undefined before the first look. */
  forceSync: string | undefined;
  /** Revision of the last snapshot taken, for the revision-lag metric. */
  mirrorRevision: bigint | undefined;
  /** When the first mirror change not yet in the ConfigMap arrived (clock ms), for the latency metric. */
  pendingSince: number | undefined;
  /** The mirror revision of the latest such change: a write of a snapshot at or past it ends the wait. */
  pendingRevision: bigint;
  /** The burst of changes not yet in a snapshot (clock ms), for the trailing debounce. */
  burst: { firstAt: number; lastAt: number; revision: bigint } | undefined;
  /** When the debounce of the last burst let it through (clock ms): the latency excludes the wait. */
  releasedAt: number | undefined;
  /** When the change the last write published reached the operator (clock ms), for the rollout metric. */
  publishedChangeAt: number | undefined;
}

/**
 * Pending-change bookkeeping of every PrefixSync, keyed by `namespace/name`. Synchronous; never throws.
 * Changes noted for a key never reconciled yet are ignored: its first sync reads everything anyway.
 */
export class PendingChanges {
  private readonly clock: Pick<Clock, 'now'>;
  private readonly entries = new Map<string, Entry>();

  constructor(options: PendingChangesOptions = {}) {
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** Starts (or refreshes) the bookkeeping of `key` with its `spec.debounce`. */
  track(key: string, debounceMs: number): void {
    this.entry(key).debounceMs = debounceMs;
  }

  /** `spec.debounce` of `key` as last reconciled; 0 if unknown. */
  debounceOf(key: string): number {
    return this.entries.get(key)?.debounceMs ?? 0;
  }

  /** The mirror of `key` reached `revision` now: starts the latency clock and extends the burst. */
  noteChange(key: string, revision: bigint): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    const now = this.clock.now();
    entry.pendingSince ??= now;
    if (revision > entry.pendingRevision) entry.pendingRevision = revision;
    const burst = (entry.burst ??= { firstAt: now, lastAt: now, revision });
    burst.lastAt = now;
    if (revision > burst.revision) burst.revision = revision;
  }

  /** How long a reconcile of `key` should still wait before publishing (0 = go): see debounceRemaining. */
  debounceWait(key: string): number {
    const entry = this.entries.get(key);
    if (!entry?.burst) return 0;
    return debounceRemaining(this.clock.now(), entry.burst.firstAt, entry.burst.lastAt, entry.debounceMs);
  }

  /**
   * Whether the force-sync annotation (`value`, undefined when absent) changed since it was last
   * honoured: a fresh read is due. The first look only records it (see {@link recordForceSync}).
   */
  isForceSyncDue(key: string, value: string | undefined): boolean {
    const seen = this.entry(key).forceSync;
    return seen !== undefined && (value ?? '') !== seen;
  }

  /** The annotation `value` has been honoured (or seen for the first time). */
  recordForceSync(key: string, value: string | undefined): void {
    this.entry(key).forceSync = value ?? '';
  }

  /** A snapshot of `key`'s prefix at `revision` was taken: a burst it covers is over. */
  noteSnapshot(key: string, revision: bigint): void {
    const entry = this.entry(key);
    entry.mirrorRevision = revision;
    if (entry.burst && revision >= entry.burst.revision) {
      const { firstAt, lastAt } = entry.burst;
      entry.releasedAt =
        entry.debounceMs > 0
          ? Math.min(lastAt + entry.debounceMs, firstAt + entry.debounceMs * MAX_DEBOUNCE_FACTOR)
          : undefined;
      entry.burst = undefined;
    }
  }

  /** Revision of the last snapshot taken of `key`'s prefix, if any. */
  mirrorRevision(key: string): bigint | undefined {
    return this.entries.get(key)?.mirrorRevision;
  }

  /**
   * The ConfigMap of `key` now holds the snapshot at `revision` (written, or already equal). Ends the
   * latency wait when the snapshot covers the latest change; returns the put→ConfigMap latency in ms,
   * without the time `spec.debounce` held the burst back, when a write ended it, else undefined.
   */
  noteApplied(key: string, revision: bigint, wrote: boolean): number | undefined {
    const entry = this.entries.get(key);
    // A snapshot older than the change (a reconcile that began before it) does not end the wait.
    if (!entry || entry.pendingSince === undefined || revision < entry.pendingRevision) return undefined;
    const now = this.clock.now();
    const start = Math.min(now, Math.max(entry.pendingSince, entry.releasedAt ?? entry.pendingSince));
    if (wrote) entry.publishedChangeAt = entry.pendingSince;
    entry.pendingSince = undefined;
    entry.releasedAt = undefined;
    return wrote ? now - start : undefined;
  }

  /**
   * How long ago the change that the last write of `key` published reached the operator (ms), once:
   * for the change → rollout complete metric. Undefined when unknown (e.g. after a restart).
   */
  takePublishedChangeAge(key: string): number | undefined {
    const entry = this.entries.get(key);
    if (entry?.publishedChangeAt === undefined) return undefined;
    const age = this.clock.now() - entry.publishedChangeAt;
    entry.publishedChangeAt = undefined;
    return age;
  }

  /** Forgets `key` (deleted, or no longer ours). */
  forget(key: string): void {
    this.entries.delete(key);
  }

  private entry(key: string): Entry {
    let entry = this.entries.get(key);
    if (!entry) {
      entry = {
        debounceMs: 0,
        forceSync: undefined,
        mirrorRevision: undefined,
        pendingSince: undefined,
        pendingRevision: 0n,
        burst: undefined,
        releasedAt: undefined,
        publishedChangeAt: undefined,
      };
      this.entries.set(key, entry);
    }
    return entry;
  }
}
