// What a LeaderElector is configured with: the Lease operations it needs (a port the kube layer's
// LeaseClient implements), its timing options with their documented defaults, and the one place those
// timings are defaulted and checked against each other.
import type { V1Lease } from '@kubernetes/client-node';
import type { CallOptions } from '../kube/index.js';
import type { Logger } from '../observability/index.js';
import type { Clock } from '../base/index.js';
import type { LeaderCallbacks } from './leader-election.js';
import type { LeaseWatch } from './lease-watch.js';

/** The Lease operations the elector needs; `LeaseClient` from the kube layer implements it. */
export interface LeaseStore {
  /** Throws `NotFoundError` if absent. */
  get(namespace: string, name: string, options?: CallOptions): Promise<V1Lease>;
  /** Throws `AlreadyExistsError` (a `ConflictError`) if it exists. */
  create(lease: V1Lease, options?: CallOptions): Promise<V1Lease>;
  /** Throws `ConflictError` if `metadata.resourceVersion` is stale. */
  replace(lease: V1Lease, options?: CallOptions): Promise<V1Lease>;
}

export const DEFAULT_LEASE_DURATION_MS = 15_000;
export const DEFAULT_RENEW_DEADLINE_MS = 10_000;
export const DEFAULT_RETRY_PERIOD_MS = 2_000;
/** Candidates wait `retryPeriod · (1 + random · RETRY_JITTER)` between attempts, so they do not align. */
export const RETRY_JITTER = 0.2;

/** Options of {@link LeaderElector}. */
export interface LeaderElectorOptions {
  /** Where the Lease lives. Required. */
  leases: LeaseStore;
  /** Namespace of the Lease. Required. */
  namespace: string;
  /** Name of the Lease. Required. */
  name: string;
  /** Unique per process (e.g. the pod name). Required. */
  identity: string;
  /** Required. */
  callbacks: LeaderCallbacks;
  /**
   * How long others wait, from when they last saw the Lease change, before taking it over. A whole
   * number of seconds (the Lease stores seconds). Default 15 000 ms.
   */
  leaseDurationMs?: number;
  /**
   * How long the leader keeps acting without a successful renewal; it stops at once when this passes.
   * Must be less than `leaseDurationMs` (the margin absorbs latency and timer skew). Default 10 000 ms.
   */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. `renewDeadlineMs` must exceed it by the jitter. Default 2 000 ms. */
  retryPeriodMs?: number;
  /**
   * A feed of the Lease's changes (e.g. {@link InformerLeaseWatch}). With one that is watching, a
   * standby sees each renewal as it is written and attempts the takeover exactly `leaseDurationMs` after
   * it saw the last one; without one, or while it is not watching, the standby polls every retry period.
   * The elector starts and closes it. Default none.
   */
  watch?: LeaseWatch;
  logger?: Logger;
  clock?: Clock;
  /** Source of jitter, in [0, 1). Default `Math.random`. */
  random?: () => number;
}

/** The elector's timings, defaulted and checked. */
export interface ElectorTimings {
  readonly leaseDurationMs: number;
  readonly renewDeadlineMs: number;
  readonly retryPeriodMs: number;
}

/**
 * Applies the timing defaults and checks that the timings are safe together. Throws `RangeError` with a
 * message saying what to fix: the lease duration must be whole seconds, the renew deadline shorter than
 * it, and the retry period (+ jitter) shorter than the renew deadline.
 */
export function electorTimings(options: LeaderElectorOptions): ElectorTimings {
  const leaseDurationMs = options.leaseDurationMs ?? DEFAULT_LEASE_DURATION_MS;
  const renewDeadlineMs = options.renewDeadlineMs ?? DEFAULT_RENEW_DEADLINE_MS;
  const retryPeriodMs = options.retryPeriodMs ?? DEFAULT_RETRY_PERIOD_MS;
  if (!(leaseDurationMs >= 1000) || leaseDurationMs % 1000 !== 0) {
    throw new RangeError(`LeaderElector: leaseDurationMs must be a whole number of seconds >= 1000`);
  }
  if (!(renewDeadlineMs < leaseDurationMs)) {
    throw new RangeError('LeaderElector: renewDeadlineMs must be less than leaseDurationMs');
  }
  if (!(retryPeriodMs > 0) || !(renewDeadlineMs > retryPeriodMs * (1 + RETRY_JITTER))) {
    throw new RangeError(
      `LeaderElector: renewDeadlineMs must exceed retryPeriodMs × ${1 + RETRY_JITTER} (and retryPeriodMs > 0)`,
    );
  }
  return { leaseDurationMs, renewDeadlineMs, retryPeriodMs };
}
