import { CoordinationV1Api, type V1Lease } from '@kubernetes/client-node';
import { isStatus } from '../support/kube-api.js';
import { leaderElectionFlags, type LeaseRef } from '../support/lease.js';
import { ObjectRecorder } from '../support/object-recorder.js';
import type { OperatorEnv } from '../support/operator-env.js';
import type { OperatorProcess } from '../support/operator-process.js';

/** One leader-elected operator process and the identity it campaigns with. */
export interface Candidate {
  identity: string;
  process: OperatorProcess;
}

/** Starts `etcd-config-operator run --leader-elect` with a fixed identity, as a second replica would run. */
export async function startCandidate(
  env: OperatorEnv,
  lease: LeaseRef,
  identity: string,
): Promise<Candidate> {
  const process = await env.startOperator(leaderElectionFlags(lease, identity));
  return { identity, process };
}

/** The Lease as the API server holds it (read with client-node), or undefined before anyone created it. */
export async function readLease(env: OperatorEnv, lease: LeaseRef): Promise<V1Lease | undefined> {
  try {
    return await env.kc.makeApiClient(CoordinationV1Api).readNamespacedLease(lease);
  } catch (e) {
    if (isStatus(e, 404)) return undefined;
    throw e;
  }
}

/** Records every change of the Lease from `resourceVersion` on; each change is a write by some candidate. */
export function recordLease(
  env: OperatorEnv,
  lease: LeaseRef,
  resourceVersion: string,
): Promise<ObjectRecorder<V1Lease>> {
  return ObjectRecorder.start<V1Lease>(
    env.kc,
    `/apis/coordination.k8s.io/v1/namespaces/${lease.namespace}/leases`,
    lease.name,
    resourceVersion,
  );
}

/** The sum of every sample of the counter or gauge `name` on the process's /metrics (0 when absent). */
export async function metricSum(c: Candidate, name: string, labelFilter = ''): Promise<number> {
  const { status, body } = await c.process.httpGet(c.process.metricsPort, '/metrics');
  if (status !== 200) throw new Error(`/metrics of ${c.identity}: HTTP ${status}`);
  return body
    .split('\n')
    .filter((l) => (l.startsWith(`${name}{`) || l.startsWith(`${name} `)) && l.includes(labelFilter))
    .reduce((sum, l) => sum + Number(l.slice(l.lastIndexOf(' ') + 1)), 0);
}

/**
 * `leader_election_master_status{name=<lease>}`: 1 while the process leads, 0 otherwise — from the
 * start, so that an alert on "no replica reports 1" has series to sum; `undefined` if the series is absent.
 */
export async function leaderGauge(c: Candidate, leaseName: string): Promise<number | undefined> {
  const { status, body } = await c.process.httpGet(c.process.metricsPort, '/metrics');
  if (status !== 200) throw new Error(`/metrics of ${c.identity}: HTTP ${status}`);
  const line = body
    .split('\n')
    .find((l) => l.startsWith(`leader_election_master_status{name="${leaseName}"}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** HTTP status of /healthz and /readyz; `down` when nothing answers. */
export async function probes(c: Candidate): Promise<{ healthz: number | 'down'; readyz: number | 'down' }> {
  const get = async (path: string): Promise<number | 'down'> => {
    try {
      return (await c.process.httpGet(c.process.probePort, path)).status;
    } catch {
      return 'down';
    }
  };
  return { healthz: await get('/healthz'), readyz: await get('/readyz') };
}
