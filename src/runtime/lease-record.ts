// The arithmetic of a Lease record for leader election, as pure functions of plain inputs (STYLE.md §17):
// what this process has observed of the record, whether another holder validly holds it, when a
// candidate should next attempt, and the spec it writes to acquire, renew or release. Time is always
// this process's own clock (ms), never the holder's renewTime: clocks skew. The elector only applies
// these verdicts.
import { V1MicroTime, type V1Lease, type V1LeaseSpec } from '@kubernetes/client-node';

/** The Lease record as last read or written, and when this process first saw it. */
export interface Observation {
  readonly resourceVersion: string;
  /** `''` when no one holds the Lease (never set, or released). */
  readonly holder: string;
  readonly leaseDurationMs: number;
  /** Local clock time this record was first seen (never the record's own renewTime: clocks skew). */
  readonly observedAt: number;
}

/**
 * What this process knows after seeing `lease` at `now`: `previous` itself when the record is the one it
 * saw before (same `resourceVersion`, so `observedAt` stays), otherwise a new observation dated `now`.
 * A Lease without a duration counts as `defaultLeaseDurationMs`.
 */
export function observeLease(
  previous: Observation | undefined,
  lease: V1Lease,
  defaultLeaseDurationMs: number,
  now: number,
): Observation {
  const resourceVersion = lease.metadata?.resourceVersion ?? '';
  if (previous?.resourceVersion === resourceVersion) return previous;
  const spec: V1LeaseSpec = lease.spec ?? {};
  return {
    resourceVersion,
    holder: spec.holderIdentity ?? '',
    leaseDurationMs: (spec.leaseDurationSeconds ?? defaultLeaseDurationMs / 1000) * 1000,
    observedAt: now,
  };
}

/** When the observed record expires: its duration after this process first saw it. */
export function expiresAt(seen: Observation): number {
  return seen.observedAt + seen.leaseDurationMs;
}

/** Whether a holder other than `identity` validly holds the observed record at `now`. */
export function isHeldByOther(seen: Observation, identity: string, now: number): boolean {
  return seen.holder !== '' && seen.holder !== identity && expiresAt(seen) > now;
}

/**
 * When a candidate that failed to acquire should next attempt (`now` or later). While another holder
 * validly holds the record: when it expires — or, when not `watching` (renewals are then unseen), at
 * `retryAt` if that is sooner. Otherwise (free, deleted, its own, or expired) the last attempt dealt with
 * the record, so at `retryAt`, unless the record `changed` since that attempt: then at once.
 */
export function nextAttemptAt(
  seen: Observation | undefined,
  identity: string,
  now: number,
  retryAt: number,
  changed: boolean,
  watching: boolean,
): number {
  if (seen && isHeldByOther(seen, identity, now)) {
    const expiry = expiresAt(seen);
    return watching ? expiry : Math.min(expiry, retryAt);
  }
  return changed ? now : retryAt;
}

/**
 * The spec `identity` writes at `now` to create (`previous` undefined), take over or renew the Lease:
 * `acquireTime` is kept across renewals, and `leaseTransitions` counts changes of holder.
 */
export function nextLeaseSpec(
  identity: string,
  leaseDurationMs: number,
  now: number,
  previous: V1LeaseSpec | undefined,
): V1LeaseSpec {
  const wasMine = previous?.holderIdentity === identity;
  const transitions = previous?.leaseTransitions ?? 0;
  return {
    holderIdentity: identity,
    leaseDurationSeconds: leaseDurationMs / 1000,
    // MicroTime on the wire has exactly six fractional digits; a plain Date would send three.
    acquireTime: wasMine && previous?.acquireTime ? previous.acquireTime : new V1MicroTime(now),
    renewTime: new V1MicroTime(now),
    leaseTransitions: previous === undefined ? 0 : wasMine ? transitions : transitions + 1,
  };
}

/** The spec that gives the Lease up at `now`: no holder, and a 1 s duration so a standby need not wait. */
export function releasedLeaseSpec(spec: V1LeaseSpec | undefined, now: number): V1LeaseSpec {
  return { ...spec, holderIdentity: '', leaseDurationSeconds: 1, renewTime: new V1MicroTime(now) };
}

/** A new Lease object named `namespace/name` with `spec`, for create. */
export function newLease(namespace: string, name: string, spec: V1LeaseSpec): V1Lease {
  return {
    apiVersion: 'coordination.k8s.io/v1',
    kind: 'Lease',
    metadata: { namespace, name },
    spec,
  };
}
