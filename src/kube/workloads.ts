import {
  AppsV1Api,
  BatchV1Api,
  PatchStrategy,
  type KubeConfig,
  type V1CronJob,
  type V1DaemonSet,
  type V1Deployment,
  type V1PodSpec,
  type V1PodTemplateSpec,
  type V1StatefulSet,
} from '@kubernetes/client-node';
import type { Logger } from '../observability/index.js';
import { makeApiClient } from './api-client.js';
import { ArgoRolloutClient, type ArgoRollout } from './argo-rollouts.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult, ListWatchSource } from './types.js';

/** The workload kinds a rollout can restart. */
export const WORKLOAD_KINDS = ['Deployment', 'StatefulSet', 'DaemonSet', 'CronJob', 'Rollout'] as const;
export type WorkloadKind = (typeof WORKLOAD_KINDS)[number];

/**
 * The kinds a {@link WorkloadClient} handles unless told otherwise: the `apps` kinds. CronJobs and
 * Argo Rollouts are opt-in (their RBAC is granted only then).
 */
export const DEFAULT_WORKLOAD_KINDS: readonly WorkloadKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

/** Any of the workload objects, as client-node (or, for Argo's Rollout, this layer) types them. */
export type Workload = V1Deployment | V1StatefulSet | V1DaemonSet | V1CronJob | ArgoRollout;

/** Names one workload. */
export interface WorkloadRef {
  readonly kind: WorkloadKind;
  readonly namespace: string;
  readonly name: string;
}

/**
 * The pod template a rollout annotates: `spec.template`, or a CronJob's `spec.jobTemplate.spec.template`
 * (the template of its next Job). Undefined when the workload has none of its own (an Argo Rollout
 * with `spec.workloadRef`). Pure.
 */
export function podTemplateOf(workload: Workload): V1PodTemplateSpec | undefined {
  const spec = workload.spec;
  if (spec === undefined) return undefined;
  if ('jobTemplate' in spec) return spec.jobTemplate.spec?.template;
  return spec.template;
}

/** A call for a kind the client was not given (the operator's rollout kinds): the server is not asked. */
export class WorkloadKindDisabledError extends Error {
  override readonly name: string = 'WorkloadKindDisabledError';
  constructor(
    /** The kind asked for. */
    readonly kind: WorkloadKind,
    hint: string | undefined,
  ) {
    super(`this operator does not roll workloads of kind ${kind}${hint ? `: ${hint}` : ''}`);
  }
}

/** A workload that exists but whose pod template the operator cannot roll (an Argo Rollout with `spec.workloadRef`). */
export class UnsupportedWorkloadError extends Error {
  override readonly name: string = 'UnsupportedWorkloadError';
}

/** Options of {@link WorkloadClient}. */
export interface WorkloadClientOptions {
  /** The kinds it reads, lists and patches; others fail with `WorkloadKindDisabledError`. Default {@link DEFAULT_WORKLOAD_KINDS}. */
  kinds?: readonly WorkloadKind[];
  /** What to tell a user who asks for a kind not enabled (how to enable it), by kind. Default nothing. */
  enableHints?: Readonly<Partial<Record<WorkloadKind, string>>>;
  /** Where the Rollout resource's coming and going is logged (see `ArgoRolloutClient`). Default silent. */
  logger?: Logger;
}

/**
 * Deployments, StatefulSets and DaemonSets (client-node's AppsV1Api), CronJobs (BatchV1Api) and Argo
 * Rollouts (CustomObjectsApi): read, list (and a list-watch source per kind, for informers), and a JSON
 * merge patch of pod-template annotations (the one write a rollout needs; changing the template makes
 * the workload's controller roll its pods, or a CronJob's next Job run it). Only the kinds it was given
 * are asked for (`WorkloadKindDisabledError` otherwise, without a request). Every other failure is a
 * `KubeApiError`, or `ArgoRolloutsNotServedError` when Argo's CRD is missing, or
 * `UnsupportedWorkloadError` for a Rollout with `spec.workloadRef`.
 */
export class WorkloadClient {
  /** The generated API client of the `apps` group. */
  private readonly api: AppsV1Api;
  /** The generated API client of the `batch` group (CronJobs). */
  private readonly batch: BatchV1Api;
  /** Argo Rollouts, through the custom objects API. */
  private readonly rollouts: ArgoRolloutClient;
  /** The kinds this client asks the server about. */
  readonly kinds: readonly WorkloadKind[];
  private readonly enableHints: Readonly<Partial<Record<WorkloadKind, string>>>;

  constructor(kubeConfig: KubeConfig, options: WorkloadClientOptions = {}) {
    this.api = makeApiClient(kubeConfig, AppsV1Api);
    this.batch = makeApiClient(kubeConfig, BatchV1Api);
    this.rollouts = new ArgoRolloutClient(kubeConfig, options.logger ? { logger: options.logger } : {});
    this.kinds = options.kinds ?? DEFAULT_WORKLOAD_KINDS;
    this.enableHints = options.enableHints ?? {};
  }

  /**
   * Reads one workload the operator can roll; `NotFoundError` if absent, `UnsupportedWorkloadError` for
   * an Argo Rollout whose pod template lives in another object (`spec.workloadRef`).
   */
  async get(ref: WorkloadRef, options: CallOptions = {}): Promise<Workload> {
    const { kind, namespace, name } = ref;
    this.checkEnabled(kind);
    const opts = requestOptions(options.signal);
    if (kind === 'Rollout') {
      const rollout = await this.rollouts.get({ namespace, name }, options);
      if (rollout.spec?.workloadRef && !rollout.spec.template) {
        const target = `${rollout.spec.workloadRef.kind ?? 'workload'} ${rollout.spec.workloadRef.name ?? ''}`;
        throw new UnsupportedWorkloadError(
          `it takes its pod template from ${target} (spec.workloadRef), which is not supported yet: roll ${target} instead, or give the Rollout its own spec.template`,
        );
      }
      return rollout;
    }
    return translate(`get ${kind} ${namespace}/${name}`, (): Promise<Workload> => {
      switch (kind) {
        case 'Deployment':
          return this.api.readNamespacedDeployment({ namespace, name }, opts);
        case 'StatefulSet':
          return this.api.readNamespacedStatefulSet({ namespace, name }, opts);
        case 'DaemonSet':
          return this.api.readNamespacedDaemonSet({ namespace, name }, opts);
        case 'CronJob':
          return this.batch.readNamespacedCronJob({ namespace, name }, opts);
      }
    });
  }

  /**
   * Lists workloads of one kind in one namespace (`options.namespace` is required). Rollouts while
   * Argo's CRD is not installed: none.
   */
  async list(
    kind: WorkloadKind,
    options: ListOptions & { namespace: string },
  ): Promise<ListResult<Workload>> {
    this.checkEnabled(kind);
    return listWorkloads(this.apis(), kind, options);
  }

  /**
   * A list-watch source of one kind for an informer: in one namespace, or in all when the informer
   * names none. It shares this client's connection settings; it is not limited to the client's kinds
   * (whoever makes the informer chose the kind).
   */
  source(kind: WorkloadKind): ListWatchSource<Workload> {
    return kind === 'Rollout' ? this.rollouts : new WorkloadSource(this.apis(), kind);
  }

  /**
   * Merges `annotations` into the pod template's annotations (see {@link podTemplateOf}) with a JSON
   * merge patch (a `null` value removes a key). Idempotent: patching the same values again changes
   * nothing on the server. With `options.resourceVersion`, applies only at that version
   * (`ConflictError` otherwise); with `options.podSpec`, also sets those pod spec fields (a versioned
   * ConfigMap's references).
   */
  async patchPodTemplateAnnotations(
    ref: WorkloadRef,
    annotations: Readonly<Record<string, string | null>>,
    options: CallOptions & { resourceVersion?: string; podSpec?: Partial<V1PodSpec> } = {},
  ): Promise<Workload> {
    const { kind, namespace, name } = ref;
    this.checkEnabled(kind);
    const template = {
      metadata: { annotations },
      ...(options.podSpec ? { spec: options.podSpec } : {}),
    };
    // A resourceVersion in a merge patch is a precondition: 409 Conflict if the object moved on. Pod
    // spec fields replace the whole field (lists included), as merge patches do.
    const body = {
      ...(options.resourceVersion ? { metadata: { resourceVersion: options.resourceVersion } } : {}),
      spec: kind === 'CronJob' ? { jobTemplate: { spec: { template } } } : { template },
    };
    if (kind === 'Rollout') return this.rollouts.patchMerge({ namespace, name }, body, options);
    const opts = requestOptions(options.signal, PatchStrategy.MergePatch);
    return translate(`patch ${kind} ${namespace}/${name}`, (): Promise<Workload> => {
      switch (kind) {
        case 'Deployment':
          return this.api.patchNamespacedDeployment({ namespace, name, body }, opts);
        case 'StatefulSet':
          return this.api.patchNamespacedStatefulSet({ namespace, name, body }, opts);
        case 'DaemonSet':
          return this.api.patchNamespacedDaemonSet({ namespace, name, body }, opts);
        case 'CronJob':
          return this.batch.patchNamespacedCronJob({ namespace, name, body }, opts);
      }
    });
  }

  private checkEnabled(kind: WorkloadKind): void {
    if (!this.kinds.includes(kind)) throw new WorkloadKindDisabledError(kind, this.enableHints[kind]);
  }

  private apis(): WorkloadApis {
    return { apps: this.api, batch: this.batch, rollouts: this.rollouts };
  }
}

/** The generated clients one {@link WorkloadClient} talks through, shared with its sources. */
interface WorkloadApis {
  readonly apps: AppsV1Api;
  readonly batch: BatchV1Api;
  readonly rollouts: ArgoRolloutClient;
}

/** Where a kind is served: API group and version, and its collection name. */
function resourceOf(kind: WorkloadKind): { groupVersion: string; plural: string; group: string } {
  switch (kind) {
    case 'CronJob':
      return { group: 'batch', groupVersion: 'batch/v1', plural: 'cronjobs' };
    case 'Rollout':
      return { group: 'argoproj.io', groupVersion: 'argoproj.io/v1alpha1', plural: 'rollouts' };
    default:
      return { group: 'apps', groupVersion: 'apps/v1', plural: `${kind.toLowerCase()}s` };
  }
}

/** Lists one kind, in `options.namespace` or in every namespace. Failures are `KubeApiError`s. */
async function listWorkloads(
  apis: WorkloadApis,
  kind: WorkloadKind,
  options: ListOptions,
): Promise<ListResult<Workload>> {
  switch (kind) {
    case 'Rollout':
      return apis.rollouts.list(options);
    case 'CronJob':
      return listCronJobs(apis.batch, options);
    default:
      return listAppsWorkloads(apis.apps, kind, options);
  }
}

/** Lists CronJobs, in `options.namespace` or in every namespace. */
async function listCronJobs(api: BatchV1Api, options: ListOptions): Promise<ListResult<Workload>> {
  const opts = requestOptions(options.signal);
  const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
  const namespace = options.namespace;
  const list = await translate(`list CronJob in ${namespace ?? 'all namespaces'}`, () =>
    namespace
      ? api.listNamespacedCronJob({ namespace, ...selectors }, opts)
      : api.listCronJobForAllNamespaces(selectors, opts),
  );
  return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
}

/** Lists one `apps` kind, in `options.namespace` or in every namespace. */
async function listAppsWorkloads(
  api: AppsV1Api,
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet',
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

/** Workloads of one built-in kind, for an informer (see {@link WorkloadClient.source}). */
class WorkloadSource implements ListWatchSource<Workload> {
  readonly resource: string;

  constructor(
    /** The owning client's APIs, shared. */
    private readonly apis: WorkloadApis,
    private readonly kind: WorkloadKind,
  ) {
    const { plural, group } = resourceOf(kind);
    this.resource = `${plural}.${group}`;
  }

  watchPath(namespace?: string): string {
    const { groupVersion, plural } = resourceOf(this.kind);
    return namespace
      ? `/apis/${groupVersion}/namespaces/${namespace}/${plural}`
      : `/apis/${groupVersion}/${plural}`;
  }

  list(options: ListOptions): Promise<ListResult<Workload>> {
    return listWorkloads(this.apis, this.kind, options);
  }
}
