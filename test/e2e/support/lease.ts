// The Lease that leader-elected operator replicas campaign for, as the e2e and chaos runs set it up
// and read it back.

/** Where the replicas' Lease lives. */
export interface LeaseRef {
  namespace: string;
  name: string;
}

/**
 * Lease timings of leader-elected replicas in the e2e and chaos runs: a short lease keeps takeovers
 * quick; a renew deadline of four retry periods keeps a leader on a loaded 2-core machine from
 * dropping the lease over one slow renewal.
 */
export const LEASE_TIMING = { leaseDurationMs: 5_000, renewDeadlineMs: 4_000, retryPeriodMs: 1_000 };

/**
 * The `etcd-config-operator run` flags of a replica that campaigns for `lease` as `identity` (a fixed
 * one, as a pod name would be) with {@link LEASE_TIMING}.
 */
export function leaderElectionFlags(lease: LeaseRef, identity: string): string[] {
  return [
    '--leader-elect=true',
    '--namespace',
    lease.namespace,
    '--lease-name',
    lease.name,
    '--identity',
    identity,
    `--lease-duration=${LEASE_TIMING.leaseDurationMs}ms`,
    `--renew-deadline=${LEASE_TIMING.renewDeadlineMs}ms`,
    `--retry-period=${LEASE_TIMING.retryPeriodMs}ms`,
  ];
}

/** Milliseconds since the epoch of a Lease MicroTime as it arrives over JSON (or as client-node's Date). */
export function microTimeMs(value: unknown): number | undefined {
  if (value instanceof Date) return value.getTime();
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}
