import type { CoreV1Event, KubeConfig } from '@kubernetes/client-node';
import type { CallOptions } from './request-options.js';
import { KubeTransport } from './transport.js';
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

function collectionPath(namespace: string): string {
  return `/api/v1/namespaces/${encodeURIComponent(namespace)}/events`;
}

/**
 * core/v1 Events over the layer's JSON transport (transport.ts). Every failure is a `KubeApiError`.
 * Events read back carry their times as the API server's strings, not `Date`s.
 */
export class EventClient implements EventSink {
  /** Sends the requests; shared by every client of the kubeconfig. */
  private readonly http: KubeTransport;

  constructor(kubeConfig: KubeConfig) {
    this.http = KubeTransport.for(kubeConfig);
  }

  /**
   * Creates an Event in `event.metadata.namespace`. `Date`s are sent as JSON does (RFC 3339 with
   * milliseconds, which the API server reads); an `eventTime` must be a `V1MicroTime` (six digits).
   */
  async create(event: CoreV1Event, options: CallOptions = {}): Promise<CoreV1Event> {
    const namespace = event.metadata.namespace ?? 'default';
    const what = `create event in ${namespace}`;
    return this.http.create<CoreV1Event>(collectionPath(namespace), event, { signal: options.signal, what });
  }

  /** Merge-patches `count` and `lastTimestamp` of an existing Event. */
  async patchRepeat(
    namespace: string,
    name: string,
    repeat: EventRepeat,
    options: CallOptions = {},
  ): Promise<CoreV1Event> {
    const body = { count: repeat.count, lastTimestamp: toKubeTime(repeat.lastTimestamp) };
    const path = `${collectionPath(namespace)}/${encodeURIComponent(name)}`;
    const what = `patch event ${namespace}/${name}`;
    return this.http.patchMerge<CoreV1Event>(path, body, { signal: options.signal, what });
  }

  /** Lists Events in a namespace (or all namespaces). */
  async list(options: ListOptions = {}): Promise<ListResult<CoreV1Event>> {
    const request = {
      query: { labelSelector: options.labelSelector, fieldSelector: options.fieldSelector },
      signal: options.signal,
      what: 'list events',
    };
    type Body = { items?: CoreV1Event[]; metadata?: { resourceVersion?: string } };
    const list = options.namespace
      ? await this.http.list<Body>(collectionPath(options.namespace), request)
      : await this.http.listAll<Body>('/api/v1/events', request);
    return { items: list.items ?? [], resourceVersion: list.metadata?.resourceVersion ?? '' };
  }
}
