import { CoreV1Api, PatchStrategy, type CoreV1Event, type KubeConfig } from '@kubernetes/client-node';
import { makeApiClient } from './api-client.js';
import { translate } from './errors.js';
import { requestOptions, type CallOptions } from './request-options.js';
import type { ListOptions, ListResult } from './types.js';

/** The fields of an existing Event that aggregation of a repeat updates. */
export interface EventRepeat {
  readonly count: number;
  readonly lastTimestamp: Date;
}

/**
 * What the {@link EventRecorder} needs to write core/v1 Events. {@link EventClient} implements it over
 * HTTP; tests may supply their own.
 */
export interface EventSink {
  /** Creates an Event; throws a `KubeApiError`. */
  create(event: CoreV1Event, options?: CallOptions): Promise<CoreV1Event>;
  /** Updates `count` and `lastTimestamp` of an existing Event; `NotFoundError` if it expired. */
  patchRepeat(
    namespace: string,
    name: string,
    repeat: EventRepeat,
    options?: CallOptions,
  ): Promise<CoreV1Event>;
}

/** Formats a time the way metav1.Time does on the wire: RFC 3339, whole seconds. */
export function toKubeTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** core/v1 Events through client-node's CoreV1Api. Every failure is a `KubeApiError`. */
export class EventClient implements EventSink {
  /** The generated API client. */
  private readonly api: CoreV1Api;

  constructor(kubeConfig: KubeConfig) {
    this.api = makeApiClient(kubeConfig, CoreV1Api);
  }

  /** Creates an Event in `event.metadata.namespace`. */
  async create(event: CoreV1Event, options: CallOptions = {}): Promise<CoreV1Event> {
    const namespace = event.metadata.namespace ?? 'default';
    return translate(`create event in ${namespace}`, () =>
      this.api.createNamespacedEvent({ namespace, body: event }, requestOptions(options.signal)),
    );
  }

  /** Merge-patches `count` and `lastTimestamp` of an existing Event. */
  async patchRepeat(
    namespace: string,
    name: string,
    repeat: EventRepeat,
    options: CallOptions = {},
  ): Promise<CoreV1Event> {
    const body = { count: repeat.count, lastTimestamp: toKubeTime(repeat.lastTimestamp) };
    return translate(`patch event ${namespace}/${name}`, () =>
      this.api.patchNamespacedEvent(
        { namespace, name, body },
        requestOptions(options.signal, PatchStrategy.MergePatch),
      ),
    );
  }

  /** Lists Events in a namespace (or all namespaces). */
  async list(options: ListOptions = {}): Promise<ListResult<CoreV1Event>> {
    const opts = requestOptions(options.signal);
    const selectors = { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector };
    const list = await translate('list events', () =>
      options.namespace
        ? this.api.listNamespacedEvent({ namespace: options.namespace, ...selectors }, opts)
        : this.api.listEventForAllNamespaces(selectors, opts),
    );
    return { items: list.items, resourceVersion: list.metadata?.resourceVersion ?? '' };
  }
}
