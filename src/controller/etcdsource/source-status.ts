// Pure: what a ClusterEtcdSource's status says for a probe outcome.
import {
  ClusterEtcdSourceConditionType,
  ClusterEtcdSourceReason,
  ConditionStatus,
  type ClusterEtcdSourceStatus,
} from '../../api/index.js';
import {
  AuthTokenInvalidError,
  EtcdConnectError,
  InvalidArgumentError,
  PermissionDeniedError,
  type EtcdStatus,
} from '../../etcd/index.js';
import { setCondition } from '../shared/conditions.js';
import { clusterIdHex } from '../connections/cluster-id.js';
import type { SourceHealth } from '../connections/source-connections.js';

/** Health from a successful probe. */
export function readyHealth(status: EtcdStatus, memberCount: number): SourceHealth {
  return {
    state: 'ready',
    clusterId: clusterIdHex(status.clusterId),
    memberCount,
    revision: status.revision,
  };
}

/**
 * Health from a failed probe, by error class (never by message text): refused credentials are
 * `AuthFailed` when the source uses auth; a failed TLS handshake with some endpoint is `TLSFailed`,
 * with the handshake error; anything else is `SourceUnavailable` (retried), its message saying how
 * each endpoint failed when no endpoint could be reached ("connection refused by 127.0.0.1:2379").
 */
export function failedHealth(error: unknown, usesAuth: boolean): SourceHealth {
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof EtcdConnectError && error.isTlsFailure) {
    return { state: 'failed', reason: ClusterEtcdSourceReason.TLSFailed, message };
  }
  const refused =
    error instanceof InvalidArgumentError ||
    error instanceof PermissionDeniedError ||
    error instanceof AuthTokenInvalidError;
  if (usesAuth && refused) {
    return {
      state: 'failed',
      reason: ClusterEtcdSourceReason.AuthFailed,
      message: `etcd refused the credentials: ${message}`,
    };
  }
  return {
    state: 'failed',
    reason: ClusterEtcdSourceReason.SourceUnavailable,
    message: `etcd unreachable: ${message}`,
  };
}

/** `status.endpoints`: the spec's endpoints as kubectl get's ENDPOINTS column shows them. */
export function endpointsColumn(endpoints: readonly string[]): string {
  return endpoints.join(',');
}

/**
 * The status for `health`, keeping unrelated fields and condition transition times; `endpoints` (the
 * spec's) sets `status.endpoints` whatever the health. Pure.
 */
export function sourceStatus(
  previous: ClusterEtcdSourceStatus | undefined,
  health: SourceHealth,
  generation: number | undefined,
  now: Date,
  endpoints?: readonly string[],
): ClusterEtcdSourceStatus {
  const status: ClusterEtcdSourceStatus = { ...previous };
  if (generation !== undefined) status.observedGeneration = generation;
  if (endpoints !== undefined) status.endpoints = endpointsColumn(endpoints);
  const update =
    health.state === 'ready'
      ? {
          status: ConditionStatus.True,
          reason: ClusterEtcdSourceReason.Connected,
          message: `connected to etcd cluster ${health.clusterId} (${health.memberCount} member${health.memberCount === 1 ? '' : 's'})`,
        }
      : health.state === 'pending'
        ? { status: ConditionStatus.Unknown, reason: ClusterEtcdSourceReason.Pending, message: 'connecting' }
        : { status: ConditionStatus.False, reason: health.reason, message: health.message };
  status.conditions = setCondition(
    previous?.conditions,
    { type: ClusterEtcdSourceConditionType.Ready, ...update },
    generation,
    now,
  );
  if (health.state === 'ready') {
    status.clusterId = health.clusterId;
    status.memberCount = health.memberCount;
    status.revision = health.revision.toString();
  }
  return status;
}

/**
 * The level a change of a source's Ready condition is logged at: a source going (or staying) not
 * ready — unreachable, refused credentials, a Secret missing — is a warning; a recovery is info.
 */
export function healthChangeLogLevel(readyStatus: string): 'info' | 'warn' {
  return readyStatus === 'True' ? 'info' : 'warn';
}
