// What one sync of a PrefixSync came to: the status outcomes, plus what the reconcile loop needs
// (whether it wrote, the revision etcd went back from, the typed failure).
import type { PrefixSyncReason } from '../../api/index.js';
import type { ReconcileFailure } from '../shared/reconcile-failure.js';
import type { SyncOutcome } from './status.js';

/** The outcome of the sync step of one reconcile. */
export type Outcome =
  | (Extract<SyncOutcome, { kind: 'synced' }> & {
      wrote: boolean;
      wentBackFrom?: bigint;
      /** Which keys the write added, changed and removed (names only, capped). */
      change?: string;
    })
  | (Extract<SyncOutcome, { kind: 'failed' }> & { failure: ReconcileFailure<PrefixSyncReason> })
  | Extract<SyncOutcome, { kind: 'suspended' | 'pending' }>
  | { kind: 'retry-soon' };

/** A synced outcome. */
export type SyncedOutcome = Extract<Outcome, { kind: 'synced' }>;

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
