// Argo Rollouts (`argoproj.io/v1alpha1` Rollout) through client-node's CustomObjectsApi: the one custom
// workload kind a rollout can restart. Argo's CRD may not be installed: a list then finds no Rollouts,
// and a read says clearly that the kind is not served (never a plain "not found").
import {
  CustomObjectsApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
  type V1PodTemplateSpec,
} from '@kubernetes/client-node';
import { silentLogger, type Logger } from '../observability/index.js';
import { makeApiClient } from './api-client.js';
import { NotFoundError, translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult, ListWatchSource, ObjectKey } from './types.js';

/** Where Argo Rollouts serves its Rollouts. */
export const ARGO_ROLLOUT_RESOURCE = {
  group: 'argoproj.io',
  version: 'v1alpha1',
  plural: 'rollouts',
} as const;

/** A condition of a Rollout's status (the Deployment condition's shape). */
export interface ArgoRolloutCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/**
 * The parts of an Argo Rollout the operator reads and writes (Argo's own type has many more; they are
 * kept as the server sent them).
 */
export interface ArgoRollout extends KubernetesObject {
  spec?: {
    replicas?: number;
    paused?: boolean;
    /** The pod template, as a Deployment's; absent when `workloadRef` names a Deployment instead. */
    template?: V1PodTemplateSpec;
    /** The Deployment whose pod template this Rollout runs (instead of `template`). */
    workloadRef?: { apiVersion?: string; kind?: string; name?: string };
  };
  status?: {
    /** The generation Argo's controller has acted on: a number, or its decimal string in most releases. */
    observedGeneration?: number | string;
    /** `Healthy`, `Progressing`, `Paused` or `Degraded` (Argo Rollouts 1.0 and later). */
    phase?: string;
    /** Why the phase is what it is, e.g. the failed analysis of a Degraded Rollout. */
    message?: string;
    conditions?: ArgoRolloutCondition[];
    replicas?: number;
    updatedReplicas?: number;
    availableReplicas?: number;
  };
}

/** The Rollout resource is not served: Argo Rollouts' CRD is not installed (or not this version). */
export class ArgoRolloutsNotServedError extends Error {
  override readonly name: string = 'ArgoRolloutsNotServedError';
}

interface ListBody {
  items?: ArgoRollout[];
  metadata?: { resourceVersion?: string };
}

/** Whether the API server serves a resource: unknown until a request tells. */
type Served = 'unknown' | 'served' | 'not-served';

/**
 * Reads, lists and merge-patches Argo Rollouts. Failures are `KubeApiError`s, except a read of a Rollout
 * while the resource is not served: `ArgoRolloutsNotServedError`. A list while it is not served finds
 * nothing (there are no Rollouts); the change between served and not served is logged once each way.
 */
export class ArgoRolloutClient implements ListWatchSource<ArgoRollout> {
  /** The generated API client; stateless apart from the kubeconfig. */
  private readonly api: CustomObjectsApi;
  private readonly logger: Logger;
  /** What the last list or read said; changed only by {@link noteServed}. */
  private served: Served = 'unknown';
  readonly resource = `${ARGO_ROLLOUT_RESOURCE.plural}.${ARGO_ROLLOUT_RESOURCE.group}`;

  constructor(kubeConfig: KubeConfig, options: { logger?: Logger } = {}) {
    this.api = makeApiClient(kubeConfig, CustomObjectsApi);
    this.logger = options.logger ?? silentLogger;
  }

  watchPath(namespace?: string): string {
    const { group, version, plural } = ARGO_ROLLOUT_RESOURCE;
    return namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
  }

  /**
   * Reads one Rollout. `NotFoundError` if it does not exist; `ArgoRolloutsNotServedError` if the
   * resource itself does not (a 404 that a list in the same namespace confirms).
   */
  async get(key: Required<ObjectKey>, options: CallOptions = {}): Promise<ArgoRollout> {
    const opts = requestOptions(options.signal);
    try {
      const rollout = await translate(
        `get ${this.resource} ${key.namespace}/${key.name}`,
        async () =>
          (await this.api.getNamespacedCustomObject(
            { ...ARGO_ROLLOUT_RESOURCE, namespace: key.namespace, name: key.name },
            opts,
          )) as ArgoRollout,
      );
      this.noteServed('served');
      return rollout;
    } catch (err) {
      // A missing object and a missing resource both answer 404: a list tells them apart.
      if (err instanceof NotFoundError && !(await this.isServed(key.namespace, options))) {
        throw new ArgoRolloutsNotServedError(this.notServedMessage(), { cause: err });
      }
      throw err;
    }
  }

  /** Lists Rollouts in `options.namespace` or in every namespace; none while the resource is not served. */
  async list(options: ListOptions = {}): Promise<ListResult<ArgoRollout>> {
    const opts = requestOptions(options.signal);
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const namespace = options.namespace;
    let body: ListBody;
    try {
      body = await translate(`list ${this.resource} in ${namespace ?? 'all namespaces'}`, async () =>
        namespace
          ? ((await this.api.listNamespacedCustomObject(
              { ...ARGO_ROLLOUT_RESOURCE, namespace, ...selectors },
              opts,
            )) as ListBody)
          : ((await this.api.listClusterCustomObject(
              { ...ARGO_ROLLOUT_RESOURCE, ...selectors },
              opts,
            )) as ListBody),
      );
    } catch (err) {
      // A collection is never missing while its resource is served: 404 means no CRD.
      if (!(err instanceof NotFoundError)) throw err;
      this.noteServed('not-served');
      return { items: [], resourceVersion: '' };
    }
    this.noteServed('served');
    return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
  }

  /**
   * Applies a JSON merge patch (RFC 7386) to one Rollout (a `metadata.resourceVersion` in it is a
   * precondition: `ConflictError` if the Rollout moved on).
   */
  async patchMerge(key: Required<ObjectKey>, patch: object, options: CallOptions = {}): Promise<ArgoRollout> {
    const opts = requestOptions(options.signal, PatchStrategy.MergePatch);
    return translate(
      `patch ${this.resource} ${key.namespace}/${key.name}`,
      async () =>
        (await this.api.patchNamespacedCustomObject(
          { ...ARGO_ROLLOUT_RESOURCE, namespace: key.namespace, name: key.name, body: patch },
          opts,
        )) as ArgoRollout,
    );
  }

  /** Whether the resource is served, from a list of at most one Rollout in `namespace`. */
  private async isServed(namespace: string, options: CallOptions): Promise<boolean> {
    const opts = requestOptions(options.signal);
    try {
      await translate(`list ${this.resource} in ${namespace}`, () =>
        this.api.listNamespacedCustomObject({ ...ARGO_ROLLOUT_RESOURCE, namespace, limit: 1 }, opts),
      );
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
      this.noteServed('not-served');
      return false;
    }
    this.noteServed('served');
    return true;
  }

  private notServedMessage(): string {
    const { group, version } = ARGO_ROLLOUT_RESOURCE;
    return `the API server does not serve ${this.resource} (${group}/${version}): Argo Rollouts' CRD is not installed`;
  }

  /** The one place `served` changes; logs each change after the first answer. */
  private noteServed(next: Exclude<Served, 'unknown'>): void {
    if (this.served === next) return;
    const before = this.served;
    this.served = next;
    if (next === 'not-served') {
      this.logger.warn(
        'argo rollouts not installed: rollout targets of kind Rollout fail until its CRD is installed',
        { resource: this.resource, error: this.notServedMessage() },
      );
    } else if (before === 'not-served') {
      this.logger.info('argo rollouts installed: rollouts are served now', { resource: this.resource });
    }
  }
}
