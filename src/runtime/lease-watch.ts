// Prompt observation of one Lease for leader election: a standby that sees each renewal the moment it is
// written measures the lease's expiry from (almost) the renewal itself, not from its next poll.
import { CoordinationV1Api, type KubeConfig, type V1Lease } from '@kubernetes/client-node';
import { abortable } from '../base/index.js';
import {
  Informer,
  toKubeError,
  type ListOptions,
  type ListResult,
  type ListWatchSource,
  makeApiClient,
} from '../kube/index.js';
import { silentLogger, type Logger } from '../observability/index.js';

/** What a {@link LeaseWatch} tells the elector. Called synchronously, in the order of the server's changes. */
export interface LeaseWatchHandlers {
  /** The Lease as it now is (first seen, or changed). */
  onLease(lease: V1Lease): void;
  /** The Lease was deleted. */
  onDeleted(): void;
}

/**
 * A feed of one Lease's changes. Optional for {@link LeaderElector}: without one, or while
 * {@link LeaseWatch.isWatching} is false, the elector polls the Lease every retry period instead.
 */
export interface LeaseWatch {
  /** Starts delivering changes to `handlers`. Called once, by the elector's `start()`. */
  start(handlers: LeaseWatchHandlers): void;
  /** Whether changes are being delivered as they happen right now (a watch is open). */
  isWatching(): boolean;
  /** Stops delivering; resolves once everything it started has ended. Idempotent. */
  close(): Promise<void>;
}

/** Leases of one namespace, narrowed by the informer's field selector; failures are `KubeApiError`s. */
class LeaseListSource implements ListWatchSource<V1Lease> {
  readonly resource = 'leases.coordination.k8s.io';
  private readonly api: CoordinationV1Api;

  constructor(kubeConfig: KubeConfig) {
    // The kube layer's client: keep-alive connections and the operator's User-Agent.
    this.api = makeApiClient(kubeConfig, CoordinationV1Api);
  }

  watchPath(namespace?: string): string {
    return `/apis/coordination.k8s.io/v1/namespaces/${namespace ?? ''}/leases`;
  }

  async list(options: ListOptions): Promise<ListResult<V1Lease>> {
    const request = this.api.listNamespacedLease({
      namespace: options.namespace ?? '',
      fieldSelector: options.fieldSelector,
    });
    try {
      const list = await abortable(request, options.signal);
      return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
    } catch (err) {
      throw toKubeError(err, `list leases in ${options.namespace ?? ''}`);
    }
  }
}

/** Options of {@link InformerLeaseWatch}. */
export interface InformerLeaseWatchOptions {
  kubeConfig: KubeConfig;
  namespace: string;
  name: string;
  logger?: Logger;
}

/**
 * Watches one Lease through the kube layer's {@link Informer} (list + watch with
 * `fieldSelector=metadata.name=<name>`), which restarts with backoff after any failure. Needs the
 * `list` and `watch` verbs on leases; without them it keeps failing (logged) and the elector polls.
 */
export class InformerLeaseWatch implements LeaseWatch {
  private readonly informer: Informer<V1Lease>;
  private started = false;

  constructor(options: InformerLeaseWatchOptions) {
    this.informer = new Informer<V1Lease>({
      source: new LeaseListSource(options.kubeConfig),
      kubeConfig: options.kubeConfig,
      namespace: options.namespace,
      fieldSelector: `metadata.name=${options.name}`,
      // Back off no further than a few seconds: while the watch is down the elector polls instead.
      backoff: { maxDelayMs: 5_000 },
      logger: options.logger ?? silentLogger,
    });
  }

  start(handlers: LeaseWatchHandlers): void {
    if (this.started) throw new Error('InformerLeaseWatch already started');
    this.started = true;
    this.informer.addHandlers({
      onAdd: (lease) => handlers.onLease(lease),
      onUpdate: (_old, lease) => handlers.onLease(lease),
      onDelete: () => handlers.onDeleted(),
    });
    this.informer.start();
  }

  isWatching(): boolean {
    return this.informer.currentState === 'watching';
  }

  close(): Promise<void> {
    return this.informer.close();
  }
}
