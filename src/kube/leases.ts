import { V1MicroTime, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import type { CallOptions } from './request-options.js';
import { KubeTransport } from './transport.js';

function objectPath(namespace: string, name: string): string {
  return `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases/${encodeURIComponent(name)}`;
}

/** A MicroTime as the API server sends it (a string), as the `V1MicroTime` its type names. */
function microTime(value: unknown): V1MicroTime | undefined {
  if (value === undefined || value === null) return undefined;
  if (value instanceof V1MicroTime) return value;
  return typeof value === 'string' || value instanceof Date ? new V1MicroTime(value) : undefined;
}

/**
 * `lease` with `spec.acquireTime` and `spec.renewTime` as `V1MicroTime`s, as V1Lease types them (the
 * JSON has strings): a renewal that keeps `acquireTime` sends it back with six fractional digits.
 */
function typedTimes(lease: V1Lease): V1Lease {
  const spec = lease.spec;
  if (!spec) return lease;
  const acquireTime = microTime(spec.acquireTime);
  const renewTime = microTime(spec.renewTime);
  return {
    ...lease,
    spec: { ...spec, ...(acquireTime ? { acquireTime } : {}), ...(renewTime ? { renewTime } : {}) },
  };
}

/**
 * `coordination.k8s.io/v1` Leases over the layer's JSON transport (transport.ts). `replace` carries
 * the `resourceVersion` that was read, so two candidates racing for a lease cannot both win: the loser
 * gets `ConflictError`.
 */
export class LeaseClient {
  /** Sends the requests; shared by every client of the kubeconfig. */
  private readonly http: KubeTransport;

  constructor(kubeConfig: KubeConfig) {
    this.http = KubeTransport.for(kubeConfig);
  }

  /** Reads the lease; `NotFoundError` if absent. */
  async get(namespace: string, name: string, options: CallOptions = {}): Promise<V1Lease> {
    const what = `get lease ${namespace}/${name}`;
    return typedTimes(
      await this.http.get<V1Lease>(objectPath(namespace, name), { signal: options.signal, what }),
    );
  }

  /** Creates the lease; `AlreadyExistsError` if another candidate created it first. */
  async create(lease: V1Lease, options: CallOptions = {}): Promise<V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    const what = `create lease ${namespace}/${lease.metadata?.name ?? ''}`;
    const path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(namespace)}/leases`;
    return typedTimes(await this.http.create<V1Lease>(path, lease, { signal: options.signal, what }));
  }

  /** Replaces the lease; `ConflictError` if it changed since `lease.metadata.resourceVersion`. */
  async replace(lease: V1Lease, options: CallOptions = {}): Promise<V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    const name = lease.metadata?.name ?? '';
    const what = `replace lease ${namespace}/${name}`;
    return typedTimes(
      await this.http.update<V1Lease>(objectPath(namespace, name), lease, { signal: options.signal, what }),
    );
  }
}
