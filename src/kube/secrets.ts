import { CoreV1Api, type KubeConfig, type V1Secret } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult, ObjectKey } from './types.js';

function keyOf(secret: V1Secret): { namespace: string; name: string } {
  const namespace = secret.metadata?.namespace;
  const name = secret.metadata?.name;
  if (!namespace || !name) throw new TypeError('Secret: set metadata.namespace and metadata.name');
  return { namespace, name };
}

/**
 * Secrets of one namespace at a time through client-node's CoreV1Api: the targets of PrefixSyncs with
 * `target.kind: Secret` (only with `--secret-targets`). Writes are create or replace-with-
 * `resourceVersion` (a stale version throws `ConflictError`). Every failure is a `KubeApiError`, whose
 * message names the Secret and never carries its data.
 */
export class SecretClient {
  /** The generated API client. */
  private readonly api: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, CoreV1Api);
  }

  /** Reads one Secret; `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<V1Secret> {
    const namespace = key.namespace ?? '';
    return translate(`get secret ${namespace}/${key.name}`, () =>
      this.api.readNamespacedSecret({ namespace, name: key.name }, requestOptions(options.signal)),
    );
  }

  /** Lists the Secrets of `options.namespace` (required: never across namespaces) by label selector. */
  async list(options: ListOptions & { namespace: string }): Promise<ListResult<V1Secret>> {
    const list = await translate(`list secrets in ${options.namespace}`, () =>
      this.api.listNamespacedSecret(
        { namespace: options.namespace, labelSelector: options.labelSelector },
        requestOptions(options.signal),
      ),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }

  /** Creates the Secret; `AlreadyExistsError` if the name is taken. */
  async create(secret: V1Secret, options: CallOptions = {}): Promise<V1Secret> {
    const { namespace, name } = keyOf(secret);
    return translate(`create secret ${namespace}/${name}`, () =>
      this.api.createNamespacedSecret({ namespace, body: secret }, requestOptions(options.signal)),
    );
  }

  /** Replaces the Secret at the `metadata.resourceVersion` that was read (`ConflictError` if stale). */
  async replace(secret: V1Secret, options: CallOptions = {}): Promise<V1Secret> {
    const { namespace, name } = keyOf(secret);
    if (!secret.metadata?.resourceVersion) {
      throw new TypeError(`replace secret ${namespace}/${name}: set metadata.resourceVersion`);
    }
    return translate(`replace secret ${namespace}/${name}`, () =>
      this.api.replaceNamespacedSecret({ namespace, name, body: secret }, requestOptions(options.signal)),
    );
  }

  /** Deletes the Secret; `NotFoundError` if absent. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const namespace = key.namespace ?? '';
    await translate(`delete secret ${namespace}/${key.name}`, () =>
      this.api.deleteNamespacedSecret({ namespace, name: key.name }, requestOptions(options.signal)),
    );
  }
}
