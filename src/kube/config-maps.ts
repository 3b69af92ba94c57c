import { CoreV1Api, type KubeConfig, type V1ConfigMap } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult, ListWatchSource, ObjectKey } from './types.js';

function namespaceOf(cm: V1ConfigMap): { namespace: string; name: string } {
  const namespace = cm.metadata?.namespace;
  const name = cm.metadata?.name;
  if (!namespace || !name) throw new TypeError('ConfigMap: set metadata.namespace and metadata.name');
  return { namespace, name };
}

/**
 * ConfigMaps through client-node's CoreV1Api. Writes are create or replace-with-`resourceVersion`
 * (optimistic concurrency): a stale version throws `ConflictError`. Every failure is a `KubeApiError`.
 */
export class ConfigMapClient implements ListWatchSource<V1ConfigMap> {
  /** The generated API client. */
  private readonly api: CoreV1Api;
  readonly resource = 'configmaps';

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, CoreV1Api);
  }

  watchPath(namespace?: string): string {
    return namespace ? `/api/v1/namespaces/${namespace}/configmaps` : '/api/v1/configmaps';
  }

  /** Reads one ConfigMap; `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<V1ConfigMap> {
    const namespace = key.namespace ?? '';
    return translate(`get configmap ${namespace}/${key.name}`, () =>
      this.api.readNamespacedConfigMap({ namespace, name: key.name }, requestOptions(options.signal)),
    );
  }

  /** Lists ConfigMaps in one namespace, or in all when `namespace` is omitted. */
  async list(options: ListOptions = {}): Promise<ListResult<V1ConfigMap>> {
    const opts = requestOptions(options.signal);
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const list = await translate('list configmaps', () =>
      options.namespace
        ? this.api.listNamespacedConfigMap({ namespace: options.namespace, ...selectors }, opts)
        : this.api.listConfigMapForAllNamespaces(selectors, opts),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Creates the ConfigMap; `AlreadyExistsError` if the name is taken. */
  async create(cm: V1ConfigMap, options: CallOptions = {}): Promise<V1ConfigMap> {
    const { namespace, name } = namespaceOf(cm);
    return translate(`create configmap ${namespace}/${name}`, () =>
      this.api.createNamespacedConfigMap({ namespace, body: cm }, requestOptions(options.signal)),
    );
  }

  /**
   * Replaces the ConfigMap. `cm.metadata.resourceVersion` must be the version that was read: a
   * concurrent write then makes this throw `ConflictError` instead of silently overwriting it.
   */
  async replace(cm: V1ConfigMap, options: CallOptions = {}): Promise<V1ConfigMap> {
    const { namespace, name } = namespaceOf(cm);
    if (!cm.metadata?.resourceVersion) {
      throw new TypeError(`replace configmap ${namespace}/${name}: set metadata.resourceVersion`);
    }
    return translate(`replace configmap ${namespace}/${name}`, () =>
      this.api.replaceNamespacedConfigMap({ namespace, name, body: cm }, requestOptions(options.signal)),
    );
  }

  /** Deletes the ConfigMap; `NotFoundError` if absent. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const namespace = key.namespace ?? '';
    await translate(`delete configmap ${namespace}/${key.name}`, () =>
      this.api.deleteNamespacedConfigMap({ namespace, name: key.name }, requestOptions(options.signal)),
    );
  }
}
