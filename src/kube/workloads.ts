import {
  AppsV1Api,
  PatchStrategy,
  type KubeConfig,
  type V1DaemonSet,
  type V1Deployment,
  type V1PodSpec,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult, ListWatchSource } from './types.js';

/** The workload kinds a rollout can restart. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/** Any of the workload objects, as client-node types them. */
export type Workload = V1Deployment | V1StatefulSet | V1DaemonSet;

/** Names one workload. */
export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
}

/**
 * Deployments, StatefulSets and DaemonSets through client-node's AppsV1Api: read, list (and a list-watch
 * source per kind, for informers), and a JSON merge patch of pod-template annotations (the one write a
 * rollout needs; changing the template makes the workload controller roll its pods). Every failure is a
 * `KubeApiError`.
 */
export class WorkloadClient {
  /** The generated API client. */
  private readonly api: AppsV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, AppsV1Api);
  }

  /** Reads one workload; `NotFoundError` if absent. */
  async get(ref: WorkloadRef, options: CallOptions = {}): Promise<Workload> {
    const { namespace, name } = ref;
    const opts = requestOptions(options.signal);
    return translate(`get ${ref.kind} ${namespace}/${name}`, (): Promise<Workload> => {
      switch (ref.kind) {
        case 'Deployment':
          return this.api.readNamespacedDeployment({ namespace, name }, opts);
        case 'StatefulSet':
          return this.api.readNamespacedStatefulSet({ namespace, name }, opts);
        case 'DaemonSet':
          return this.api.readNamespacedDaemonSet({ namespace, name }, opts);
      }
    });
  }

  /** Lists workloads of one kind in one namespace (`options.namespace` is required). */
  async list(
    kind: WorkloadKind,
    options: ListOptions & { namespace: string },
  ): Promise<ListResult<Workload>> {
    return listWorkloads(this.api, kind, options);
  }

  /**
   * A list-watch source of one kind for an informer: in one namespace, or in all when the informer
   * names none. It shares this client's connection settings.
   */
  source(kind: WorkloadKind): ListWatchSource<Workload> {
    return new WorkloadSource(this.api, kind);
  }

  /**
   * Merges `annotations` into `spec.template.metadata.annotations` with a JSON merge patch (a `null`
   * value removes a key). Idempotent: patching the same values again changes nothing on the server.
   * With `options.resourceVersion`, applies only at that version (`ConflictError` otherwise); with
   * `options.podSpec`, also sets those pod spec fields (a versioned ConfigMap's references).
   */
  async patchPodTemplateAnnotations(
    ref: WorkloadRef,
    annotations: Readonly<Record<string, string | null>>,
    options: CallOptions & { resourceVersion?: string; podSpec?: Partial<V1PodSpec> } = {},
  ): Promise<Workload> {
    const { namespace, name } = ref;
    // A resourceVersion in a merge patch is a precondition: 409 Conflict if the object moved on. Pod
    // spec fields replace the whole field (lists included), as merge patches do.
    const body = {
      ...(options.resourceVersion ? { metadata: { resourceVersion: options.resourceVersion } } : {}),
      spec: {
        template: {
          metadata: { annotations },
          ...(options.podSpec ? { spec: options.podSpec } : {}),
        },
      },
    };
    const opts = requestOptions(options.signal, PatchStrategy.MergePatch);
    return translate(`patch ${ref.kind} ${namespace}/${name}`, (): Promise<Workload> => {
      switch (ref.kind) {
        case 'Deployment':
          return this.api.patchNamespacedDeployment({ namespace, name, body }, opts);
        case 'StatefulSet':
          return this.api.patchNamespacedStatefulSet({ namespace, name, body }, opts);
        case 'DaemonSet':
          return this.api.patchNamespacedDaemonSet({ namespace, name, body }, opts);
      }
    });
  }
}

/** The collection name of a kind in the `apps` group, e.g. `deployments`. */
function pluralOf(kind: WorkloadKind): string {
  return `${kind.toLowerCase()}s`;
}

/** Lists one kind, in `options.namespace` or in every namespace. Failures are `KubeApiError`s. */
async function listWorkloads(
  api: AppsV1Api,
  kind: WorkloadKind,
  options: ListOptions,
): Promise<ListResult<Workload>> {
  const opts = requestOptions(options.signal);
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  const namespace = options.namespace;
  const list = await translate(
    `list ${kind} in ${namespace ?? 'all namespaces'}`,
    (): Promise<{ items: Workload[]; metadata?: { resourceVersion?: string } }> => {
      switch (kind) {
        case 'Deployment':
          return namespace
            ? api.listNamespacedDeployment({ namespace, ...selectors }, opts)
            : api.listDeploymentForAllNamespaces(selectors, opts);
        case 'StatefulSet':
          return namespace
            ? api.listNamespacedStatefulSet({ namespace, ...selectors }, opts)
            : api.listStatefulSetForAllNamespaces(selectors, opts);
        case 'DaemonSet':
          return namespace
            ? api.listNamespacedDaemonSet({ namespace, ...selectors }, opts)
            : api.listDaemonSetForAllNamespaces(selectors, opts);
      }
    },
  );
  return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
}

/** Workloads of one kind, for an informer (see {@link WorkloadClient.source}). */
class WorkloadSource implements ListWatchSource<Workload> {
  readonly resource: string;

  constructor(
    /** The owning client's API, shared. */
    private readonly api: AppsV1Api,
    private readonly kind: WorkloadKind,
  ) {
    this.resource = `${pluralOf(kind)}.apps`;
  }

  watchPath(namespace?: string): string {
    const plural = pluralOf(this.kind);
    return namespace ? `/apis/apps/v1/namespaces/${namespace}/${plural}` : `/apis/apps/v1/${plural}`;
  }

  list(options: ListOptions): Promise<ListResult<Workload>> {
    return listWorkloads(this.api, this.kind, options);
  }
}
