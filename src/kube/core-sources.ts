// List-watch sources of Namespaces (their labels feed access rules) and Secrets (TLS material and
// credentials of ClusterEtcdSources), for informers; the operator only reads them.
import { CoreV1Api, type KubeConfig, type V1Namespace, type V1Secret } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { toKubeError } from './errors.js';
import type { ListOptions, ListResult, ListWatchSource } from './types.js';

async function translated<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    throw toKubeError(err, what);
  }
}

/** Namespaces (cluster-scoped), for an informer. Failures are `KubeApiError`s. */
export class NamespaceSource implements ListWatchSource<V1Namespace> {
  readonly resource = 'namespaces';
  private readonly api: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, CoreV1Api);
  }

  watchPath(): string {
    return '/api/v1/namespaces';
  }

  async list(options: ListOptions = {}): Promise<ListResult<V1Namespace>> {
    const list = await translated('list namespaces', () =>
      this.api.listNamespace({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector }),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }
}

/** Secrets of one namespace, for an informer. Failures are `KubeApiError`s. */
export class SecretSource implements ListWatchSource<V1Secret> {
  readonly resource = 'secrets';
  private readonly api: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, CoreV1Api);
  }

  watchPath(namespace?: string): string {
    return namespace ? `/api/v1/namespaces/${namespace}/secrets` : '/api/v1/secrets';
  }

  async list(options: ListOptions = {}): Promise<ListResult<V1Secret>> {
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const list = await translated('list secrets', () =>
      options.namespace
        ? this.api.listNamespacedSecret({ namespace: options.namespace, ...selectors })
        : this.api.listSecretForAllNamespaces(selectors),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }
}
