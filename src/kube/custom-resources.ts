import type { KubeConfig, KubernetesObject } from '@kubernetes/client-node';
import type { CallOptions } from './request-options.js';
import { KubeTransport } from './transport.js';
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
 * Typed access to one custom resource over the layer's JSON transport (transport.ts). Every method throws a
 * `KubeApiError` subclass on failure (`NotFoundError`, `ConflictError` on a stale `resourceVersion`, …).
 * The client does not validate objects: the server (or the simulator) does, and answers `InvalidError`.
 */
export class CustomResourceClient<T extends KubernetesObject> implements ListWatchSource<T> {
  /** Sends the requests; shared by every client of the kubeconfig. */
  private readonly http: KubeTransport;
  readonly resource: string;

  constructor(
    kubeConfig: KubeConfig,
    /** The resource this client is bound to. */
    readonly type: CustomResourceType,
  ) {
    this.http = KubeTransport.for(kubeConfig);
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

  /** The collection path that watches use. */
  watchPath(namespace?: string): string {
    const { group, version, plural } = this.type;
    return this.type.namespaced && namespace
      ? `/apis/${group}/${version}/namespaces/${namespace}/${plural}`
      : `/apis/${group}/${version}/${plural}`;
  }

  /** The path of the object named by `key` (its namespace checked). */
  private objectPath(key: { readonly namespace?: string; readonly name: string }): string {
    const namespace = this.ns(key);
    return `${this.watchPath(namespace || undefined)}/${encodeURIComponent(key.name)}`;
  }

  /** Reads one object. Throws `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<T> {
    const what = `get ${this.resource} ${key.name}`;
    return this.http.get<T>(this.objectPath(key), { signal: options.signal, what });
  }

  /** Lists objects in one namespace or across all of them. */
  async list(options: ListOptions = {}): Promise<ListResult<T>> {
    const request = {
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
      signal: options.signal,
      what: `list ${this.resource}`,
    };
    const inNamespace = this.type.namespaced && options.namespace;
    const body = inNamespace
      ? await this.http.list<ListBody<T>>(this.watchPath(options.namespace), request)
      : await this.http.listAll<ListBody<T>>(this.watchPath(), request);
    return { items: body.items ?? [], resourceVersion: body.metadata?.resourceVersion ?? '' };
  }

  /** Creates `obj`. Throws `AlreadyExistsError` if the name is taken. */
  async create(obj: T, options: CallOptions = {}): Promise<T> {
    const key = this.keyOf(obj);
    const what = `create ${this.resource} ${key.name}`;
    const namespace = this.ns(key);
    return this.http.create<T>(this.watchPath(namespace || undefined), obj, { signal: options.signal, what });
  }

  /**
   * Replaces `obj` (PUT). With `metadata.resourceVersion` set, a concurrent write makes this throw
   * `ConflictError`: re-read and retry. The status is ignored by the server (use {@link replaceStatus}).
   */
  async replace(obj: T, options: CallOptions = {}): Promise<T> {
    const key = this.keyOf(obj);
    const what = `replace ${this.resource} ${key.name}`;
    return this.http.update<T>(this.objectPath(key), obj, { signal: options.signal, what });
  }

  /** Replaces the `/status` subresource of `obj`; `ConflictError` on a stale `resourceVersion`. */
  async replaceStatus(obj: T, options: CallOptions = {}): Promise<T> {
    const key = this.keyOf(obj);
    const what = `replace status of ${this.resource} ${key.name}`;
    return this.http.updateStatus<T>(this.objectPath(key), obj, { signal: options.signal, what });
  }

  /** Applies a JSON merge patch (RFC 7386) to the object (not its status). */
  async patchMerge(key: ObjectKey, patch: object, options: CallOptions = {}): Promise<T> {
    const what = `patch ${this.resource} ${key.name}`;
    return this.http.patchMerge<T>(this.objectPath(key), patch, { signal: options.signal, what });
  }

  /** Deletes the object. Throws `NotFoundError` if it is already gone. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const what = `delete ${this.resource} ${key.name}`;
    await this.http.delete(this.objectPath(key), { signal: options.signal, what });
  }
}
