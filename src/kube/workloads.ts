import {
  AppsV1Api,
  PatchStrategy,
  type KubeConfig,
  type V1DaemonSet,
  type V1Deployment,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult } from './types.js';

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
 * Deployments, StatefulSets and DaemonSets through client-node's AppsV1Api: read, list, and a JSON merge
 * patch of pod-template annotations (the one write a rollout needs; changing the template makes the
 * workload controller roll its pods). Every failure is a `KubeApiError`.
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
    const opts = requestOptions(options.signal);
    const req = {
      namespace: options.namespace,
      labelSelector: options.labelSelector,
      fieldSelector: options.fieldSelector,
    };
    const list = await translate(
      `list ${kind} in ${options.namespace}`,
      (): Promise<{ items: Workload[]; metadata?: { resourceVersion?: string } }> => {
        switch (kind) {
          case 'Deployment':
            return this.api.listNamespacedDeployment(req, opts);
          case 'StatefulSet':
            return this.api.listNamespacedStatefulSet(req, opts);
          case 'DaemonSet':
            return this.api.listNamespacedDaemonSet(req, opts);
        }
      },
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /**
   * Merges `annotations` into `spec.template.metadata.annotations` with a JSON merge patch (a `null`
   * value removes a key). Idempotent: patching the same values again changes nothing on the server.
   */
  async patchPodTemplateAnnotations(
    ref: WorkloadRef,
    annotations: Readonly<Record<string, string | null>>,
    options: CallOptions = {},
  ): Promise<Workload> {
    const { namespace, name } = ref;
    const body = { spec: { template: { metadata: { annotations } } } };
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
