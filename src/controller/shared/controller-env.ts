// What the operator's controllers are made from: the cluster they act on, the operator's settings,
// and the manager's shared services (Events, metrics, logs).
import type { KubeConfig } from '@kubernetes/client-node';
import type { WorkloadKind } from '../../api/index.js';
import type { EtcdClientOptions } from '../../etcd/index.js';
import type { Logger, OperatorMetrics } from '../../observability/index.js';
import type { EventSink } from './events.js';

/** Inputs of every controller setup; built once by the manager. */
export interface ControllerEnv {
  readonly kubeConfig: KubeConfig;
  /** The operator's namespace: the Secrets that ClusterEtcdSources refer to live there. */
  readonly namespace: string;
  readonly events: EventSink;
  readonly metrics: OperatorMetrics;
  readonly logger: Logger;
  /** Label selector on PrefixSyncs: this replica handles only those (sharding). Default all. */
  readonly shardSelector?: string;
  /**
   * Watch only these namespaces (a namespace-scoped install): PrefixSyncs, their ConfigMaps and the
   * workloads they roll are listed and watched in each, never across the cluster. Default (absent or
   * empty): every namespace.
   */
  readonly watchNamespaces?: readonly string[];
  /** PrefixSync reconciles in parallel. Default 4. */
  readonly workers?: number;
  /**
   * Restart a workload named in `rollout.targets` even when its pod template does not reference the
   * ConfigMap. Default false: such a target is reported (TargetNotConsumer) and left alone, so that
   * whoever may edit PrefixSyncs cannot restart workloads through the operator.
   */
  readonly restartNonConsumers?: boolean;
  /**
   * PrefixSyncs may write Secrets (`target.kind: Secret`, `--secret-targets`), which needs RBAC on
   * Secrets in their namespaces. Default false: such a PrefixSync fails with SecretTargetsDisabled.
   */
  readonly secretTargets?: boolean;
  /**
   * The workload kinds rollouts restart, watch and find (mode auto): default Deployment, StatefulSet
   * and DaemonSet; CronJob and Rollout (Argo Rollouts) when enabled (`--rollout-cronjobs`,
   * `--rollout-argo-rollouts`). A target of another kind fails with RolloutFailed saying how to enable it.
   */
  readonly rolloutKinds?: readonly WorkloadKind[];
  /** Most rollouts in progress at once over every PrefixSync; 0 or absent: no limit. */
  readonly maxConcurrentRollouts?: number;
  /** Safety-net resync of every PrefixSync. Default 10 min. */
  readonly resyncPeriodMs?: number;
  /** Probe period of each ClusterEtcdSource. Default 10 s. */
  readonly sourceProbeIntervalMs?: number;
  /** etcd client timeouts. Default connect 2 s, request 5 s. */
  readonly etcdClientOptions?: Omit<EtcdClientOptions, 'endpoints' | 'tls' | 'auth' | 'logger'>;
}
