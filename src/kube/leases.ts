import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';

/**
 * `coordination.k8s.io/v1` Leases through client-node. `replace` carries the `resourceVersion` that was
 * read, so two candidates racing for a lease cannot both win: the loser gets `ConflictError`.
 */
export class LeaseClient {
  /** The generated API client. */
  private readonly api: CoordinationV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, CoordinationV1Api);
  }

  /** Reads the lease; `NotFoundError` if absent. */
  async get(namespace: string, name: string, options: CallOptions = {}): Promise<V1Lease> {
    return translate(`get lease ${namespace}/${name}`, () =>
      this.api.readNamespacedLease({ namespace, name }, requestOptions(options.signal)),
    );
  }

  /** Creates the lease; `AlreadyExistsError` if another candidate created it first. */
  async create(lease: V1Lease, options: CallOptions = {}): Promise<V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    return translate(`create lease ${namespace}/${lease.metadata?.name ?? ''}`, () =>
      this.api.createNamespacedLease({ namespace, body: lease }, requestOptions(options.signal)),
    );
  }

  /** Replaces the lease; `ConflictError` if it changed since `lease.metadata.resourceVersion`. */
  async replace(lease: V1Lease, options: CallOptions = {}): Promise<V1Lease> {
    const namespace = lease.metadata?.namespace ?? '';
    const name = lease.metadata?.name ?? '';
    return translate(`replace lease ${namespace}/${name}`, () =>
      this.api.replaceNamespacedLease({ namespace, name, body: lease }, requestOptions(options.signal)),
    );
  }
}
