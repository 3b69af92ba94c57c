import { AppsV1Api, type KubeConfig, type V1ControllerRevision } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ObjectKey } from './types.js';

/**
 * ControllerRevisions (apps/v1) through client-node's AppsV1Api: the API's own store of immutable
 * history snapshots (StatefulSets and DaemonSets keep their pod templates there). Create, read, list by
 * label in one namespace, delete. Every failure is a `KubeApiError`.
 */
export class ControllerRevisionClient {
  /** The generated API client. */
  private readonly api: AppsV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, AppsV1Api);
  }

  /** Reads one ControllerRevision; `NotFoundError` if absent. */
  async get(key: ObjectKey, options: CallOptions = {}): Promise<V1ControllerRevision> {
    const namespace = key.namespace ?? '';
    return translate(`get controllerrevision ${namespace}/${key.name}`, () =>
      this.api.readNamespacedControllerRevision(
        { namespace, name: key.name },
        requestOptions(options.signal),
      ),
    );
  }

  /** Lists the ControllerRevisions of one namespace that match `labelSelector`. */
  async list(
    namespace: string,
    labelSelector: string,
    options: CallOptions = {},
  ): Promise<V1ControllerRevision[]> {
    const list = await translate(`list controllerrevisions in ${namespace}`, () =>
      this.api.listNamespacedControllerRevision({ namespace, labelSelector }, requestOptions(options.signal)),
    );
    return list.items;
  }

  /** Creates one; `AlreadyExistsError` if the name is taken. */
  async create(revision: V1ControllerRevision, options: CallOptions = {}): Promise<V1ControllerRevision> {
    const namespace = revision.metadata?.namespace ?? '';
    const name = revision.metadata?.name ?? '';
    return translate(`create controllerrevision ${namespace}/${name}`, () =>
      this.api.createNamespacedControllerRevision(
        { namespace, body: revision },
        requestOptions(options.signal),
      ),
    );
  }

  /** Deletes one; `NotFoundError` if absent. */
  async delete(key: ObjectKey, options: CallOptions = {}): Promise<void> {
    const namespace = key.namespace ?? '';
    await translate(`delete controllerrevision ${namespace}/${key.name}`, () =>
      this.api.deleteNamespacedControllerRevision(
        { namespace, name: key.name },
        requestOptions(options.signal),
      ),
    );
  }
}
