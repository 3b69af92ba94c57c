import {
  CustomObjectsApi,
  PatchStrategy,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult, ListWatchSource, ObjectKey } from './types.js';

/** Which custom resource a {@link CustomResourceClient} talks to. */
export interface CustomResourceType {
  /** API group, e.g. `etcdconfig.dev`. */
  readonly group: string;
  /** API version, e.g. `v1alpha1`. */
  readonly version: string;
  /** Lower-case plural, e.g. `prefixsyncs`. */
  readonly plural: string;
  /** Whether objects live in a namespace (false for cluster-scoped kinds). */
  readonly namespaced: boolean;
}

interface ListBody<T> {
  items?: T[];
  metadata?: { resourceVersion?: string };
}

/**
 * Typed access to one custom resource through client-node's CustomObjectsApi. Every method throws a
 * `KubeApiError` subclass on failure (`NotFoundError`, `ConflictError` on a stale `resourceVersion`, …).
 * The client does not validate objects: the server (or the simulator) does, and answers `InvalidError`.
 */
export class CustomResourceClient<T extends KubernetesObject> implements ListWatchSource<T> {
  /** The generated API client; stateless apart from the kubeconfig. */
  private readonly api: CustomObjectsApi;
  readonly resource: string;

  constructor(
    kubeConfig: KubeConfig,
    /** The resource this client is bound to. */
    readonly type: CustomResourceType,
  ) {
    this.api = makeApiClient(kubeConfig, CustomObjectsApi);
    this.resource = `${type.plural}.${type.group}`;
  }

  private ns(key: { namespace?: string | undefined }): string {
    if (!this.type.namespaced) return '';
    if (!key.namespace) throw new TypeError(`${this.resource} is namespaced: set metadata.namespace`);
    return key.namespace;
  }

  private keyOf(obj: T): ObjectKey {
    const name = obj.metadata?.name;
    if (!name) throw new TypeError(`${this.resource}: set metadata.name`);
    const namespace = obj.metadata?.namespace;
    return namespace ? { namespace, name } : { name };
  }

  private base() {
    const { group, version, plural } = this.type;
    return { group, version, plural };
  }

  /** The collection path that watches use. */
  watchPath(namespace?: string): string {
    const { group, version, plural } = this.type;
    return this.type.namespaced && namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
  }

  /** Reads one object. Throws `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<T> {
    const opts = requestOptions(options.signal);
    return translate(`get ${this.resource} ${key.name}`, async () =>
      this.type.namespaced
        ? ((await this.api.getNamespacedCustomObject(
            { ...this.base(), namespace: this.ns(key), name: key.name },
            opts,
          )) as T)
        : ((await this.api.getClusterCustomObject({ ...this.base(), name: key.name }, opts)) as T),
    );
  }

  /** Lists objects in one namespace or across all of them. */
  async list(options: ListOptions = {}): Promise<ListResult<T>> {
    const opts = requestOptions(options.signal);
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const body = await translate(`list ${this.resource}`, async () =>
      this.type.namespaced && options.namespace
        ? ((await this.api.listNamespacedCustomObject(
            { ...this.base(), namespace: options.namespace, ...selectors },
            opts,
          )) as ListBody<T>)
        : ((await this.api.listClusterCustomObject({ ...this.base(), ...selectors }, opts)) as ListBody<T>),
    );
    return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
  }

  /** Creates `obj`. Throws `AlreadyExistsError` if the name is taken. */
  async create(obj: T, options: CallOptions = {}): Promise<T> {
    const key = this.keyOf(obj);
    const opts = requestOptions(options.signal);
    return translate(`create ${this.resource} ${key.name}`, async () =>
      this.type.namespaced
        ? ((await this.api.createNamespacedCustomObject(
            { ...this.base(), namespace: this.ns(key), body: obj },
            opts,
          )) as T)
        : ((await this.api.createClusterCustomObject({ ...this.base(), body: obj }, opts)) as T),
    );
  }

  /**
   * Replaces `obj` (PUT). With `metadata.resourceVersion` set, a concurrent write makes this throw
   * `ConflictError`: re-read and retry. The status is ignored by the server (use {@link replaceStatus}).
   */
  async replace(obj: T, options: CallOptions = {}): Promise<T> {
    const key = this.keyOf(obj);
    const opts = requestOptions(options.signal);
    return translate(`replace ${this.resource} ${key.name}`, async () =>
      this.type.namespaced
        ? ((await this.api.replaceNamespacedCustomObject(
            { ...this.base(), namespace: this.ns(key), name: key.name, body: obj },
            opts,
          )) as T)
        : ((await this.api.replaceClusterCustomObject(
            { ...this.base(), name: key.name, body: obj },
            opts,
          )) as T),
    );
  }

  /** Replaces the `/status` subresource of `obj`; `ConflictError` on a stale `resourceVersion`. */
  async replaceStatus(obj: T, options: CallOptions = {}): Promise<T> {
    const key = this.keyOf(obj);
    const opts = requestOptions(options.signal);
    return translate(`replace status of ${this.resource} ${key.name}`, async () =>
      this.type.namespaced
        ? ((await this.api.replaceNamespacedCustomObjectStatus(
            { ...this.base(), namespace: this.ns(key), name: key.name, body: obj },
            opts,
          )) as T)
        : ((await this.api.replaceClusterCustomObjectStatus(
            { ...this.base(), name: key.name, body: obj },
            opts,
          )) as T),
    );
  }

  /** Applies a JSON merge patch (RFC 7386) to the object (not its status). */
  async patchMerge(key: ObjectKey, patch: object, options: CallOptions = {}): Promise<T> {
    const opts = requestOptions(options.signal, PatchStrategy.MergePatch);
    return translate(`patch ${this.resource} ${key.name}`, async () =>
      this.type.namespaced
        ? ((await this.api.patchNamespacedCustomObject(
            { ...this.base(), namespace: this.ns(key), name: key.name, body: patch },
            opts,
          )) as T)
        : ((await this.api.patchClusterCustomObject(
            { ...this.base(), name: key.name, body: patch },
            opts,
          )) as T),
    );
  }

  /** Deletes the object. Throws `NotFoundError` if it is already gone. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const opts = requestOptions(options.signal);
    await translate(`delete ${this.resource} ${key.name}`, async (): Promise<void> => {
      if (this.type.namespaced) {
        await this.api.deleteNamespacedCustomObject(
          { ...this.base(), namespace: this.ns(key), name: key.name },
          opts,
        );
      } else {
        await this.api.deleteClusterCustomObject({ ...this.base(), name: key.name }, opts);
      }
    });
  }
}
