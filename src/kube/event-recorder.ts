import { hostname } from 'node:os';
import type { CoreV1Event, KubernetesObject } from '@kubernetes/client-node';
import { realClock, TokenBucket, type Clock } from '../base/index.js';
import { silentLogger, type Logger } from '../observability/index.js';
import { NotFoundError, toKubeError } from './errors.js';
import type { EventSink } from './events.js';

/** The object an Event is about (a core/v1 ObjectReference). */
export interface EventSubject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly name: string;
  /** Omitted for cluster-scoped objects; their Events go to the recorder's `clusterScopedNamespace`. */
  readonly namespace?: string;
  readonly uid?: string;
}

/** Builds an {@link EventSubject} from an object (list items carry no kind, so it is given). */
export function eventSubject(
  obj: KubernetesObject,
  type: { apiVersion: string; kind: string },
): EventSubject {
  return {
    apiVersion: obj.apiVersion ?? type.apiVersion,
    kind: obj.kind ?? type.kind,
    name: obj.metadata?.name ?? '',
    ...(obj.metadata?.namespace ? { namespace: obj.metadata.namespace } : {}),
    ...(obj.metadata?.uid ? { uid: obj.metadata.uid } : {}),
  };
}

/** `Normal` for routine progress, `Warning` for anything a user should look at. */
export type EventType = 'Normal' | 'Warning';

/** Options of {@link EventRecorder}. */
export interface EventRecorderOptions {
  /** Where Events are written (an `EventClient`). Required. */
  sink: EventSink;
  /** `source.component` and `reportingComponent`, e.g. `etcd-config-operator`. Required. */
  component: string;
  /** `reportingInstance` and `source.host`. Default: this machine's host name. */
  instance?: string;
  /** Events per subject allowed in a burst. Default 25 (client-go's spam filter). */
  burst?: number;
  /** One more Event per subject is allowed every this many ms after a burst. Default 300 000 (5 min). */
  refillIntervalMs?: number;
  /** How many distinct Events are remembered for aggregation (least recently used go first). Default 4 096. */
  maxCachedEvents?: number;
  /**
   * Where Events about cluster-scoped objects go. Default `default`, as client-go's recorder; a
   * namespace-scoped operator sets its own namespace, the only one outside its watched ones where it
   * may write Events (`kubectl describe` of a cluster-scoped object finds them in any namespace).
   */
  clusterScopedNamespace?: string;
  logger?: Logger;
  clock?: Clock;
}

/** What the recorder remembers of an Event it wrote, to aggregate repeats into it. */
interface WrittenEvent {
  readonly namespace: string;
  readonly name: string;
  count: number;
}

/**
 * Records core/v1 Events about objects, like client-go's recorder: a repeat of the same subject, type,
 * reason and message bumps `count` and `lastTimestamp` of the Event already written instead of creating
 * another; each subject is rate limited (token bucket) so a hot loop cannot flood the API server.
 * `record()` never throws and never waits: writes happen in order in the background, failures are
 * logged and dropped (Events are best effort).
 */
export class EventRecorder {
  private readonly sink: EventSink;
  private readonly component: string;
  private readonly instance: string;
  private readonly burst: number;
  private readonly ratePerSecond: number;
  private readonly maxCachedEvents: number;
  /** The namespace of Events about cluster-scoped objects. */
  private readonly clusterScopedNamespace: string;
  private readonly logger: Logger;
  private readonly clock: Clock;
  /** Aggregation key → the Event written for it; Map order is recency (LRU). */
  private readonly written = new Map<string, WrittenEvent>();
  /** Subject key → its rate limiter; at most `maxCachedEvents` entries, oldest dropped first. */
  private readonly limiters = new Map<string, TokenBucket>();
  /** The chain of pending writes; each write starts after the previous one ends. */
  private tail: Promise<void> = Promise.resolve();
  /** Events dropped by the rate limit or after a write failure. */
  private droppedCount = 0;
  /** Distinguishes Events created in the same millisecond. */
  private sequence = 0;
  private closed = false;

  constructor(options: EventRecorderOptions) {
    if (!options.sink) throw new TypeError('EventRecorder: set options.sink');
    if (!options.component) throw new TypeError('EventRecorder: set options.component');
    this.sink = options.sink;
    this.component = options.component;
    this.instance = options.instance ?? hostname();
    this.burst = options.burst ?? 25;
    const refillIntervalMs = options.refillIntervalMs ?? 300_000;
    if (!(refillIntervalMs > 0)) throw new RangeError('EventRecorder: refillIntervalMs must be > 0');
    this.ratePerSecond = 1000 / refillIntervalMs;
    this.maxCachedEvents = options.maxCachedEvents ?? 4096;
    this.clusterScopedNamespace = options.clusterScopedNamespace || 'default';
    this.logger = options.logger ?? silentLogger;
    this.clock = options.clock ?? realClock;
  }

  /** Events dropped so far (rate limited or failed to write). */
  get dropped(): number {
    return this.droppedCount;
  }

  /** Queues an Event about `subject`. Returns at once; see the class comment. */
  record(subject: EventSubject, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    const subjectKey = [subject.namespace ?? '', subject.kind, subject.name, subject.uid ?? ''].join(
      '\u0000',
    );
    let limiter = this.limiters.get(subjectKey);
    if (!limiter) {
      limiter = new TokenBucket({ ratePerSecond: this.ratePerSecond, burst: this.burst, clock: this.clock });
      this.limiters.set(subjectKey, limiter);
      // Bounded like the aggregation cache: forgetting an idle subject only refills its budget early.
      if (this.limiters.size > this.maxCachedEvents) {
        const oldest = this.limiters.keys().next();
        if (!oldest.done) this.limiters.delete(oldest.value);
      }
    }
    if (!limiter.tryTake()) {
      this.droppedCount++;
      this.logger.debug('event rate limited', { reason, kind: subject.kind, name: subject.name });
      return;
    }
    const key = [subjectKey, type, reason, message].join('\u0000');
    // metav1.Time has whole seconds: truncate so first and last timestamps compare as the server stores them.
    const at = new Date(Math.floor(this.clock.now() / 1000) * 1000);
    this.tail = this.tail.then(() => this.write(key, subject, type, reason, message, at));
  }

  /** Resolves once every Event recorded so far has been written (or dropped). */
  flush(): Promise<void> {
    return this.tail;
  }

  /** Stops accepting Events and waits for pending writes. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
  }

  private async write(
    key: string,
    subject: EventSubject,
    type: EventType,
    reason: string,
    message: string,
    at: Date,
  ): Promise<void> {
    const previous = this.written.get(key);
    try {
      if (previous) {
        this.written.delete(key); // re-inserted below: most recently used last
        try {
          await this.sink.patchRepeat(previous.namespace, previous.name, {
            count: previous.count + 1,
            lastTimestamp: at,
          });
          previous.count++;
          this.remember(key, previous);
          return;
        } catch (err) {
          // The Event expired or was deleted: start a new one, as client-go does.
          if (!(toKubeError(err) instanceof NotFoundError)) throw err;
        }
      }
      const created = await this.sink.create(this.newEvent(subject, type, reason, message, at));
      this.remember(key, {
        namespace: created.metadata.namespace ?? this.namespaceOf(subject),
        name: created.metadata.name ?? '',
        count: created.count ?? 1,
      });
    } catch (err) {
      this.droppedCount++;
      this.logger.warn('event not written', { reason, error: toKubeError(err).message });
    }
  }

  private namespaceOf(subject: EventSubject): string {
    return subject.namespace ?? this.clusterScopedNamespace;
  }

  private newEvent(
    subject: EventSubject,
    type: EventType,
    reason: string,
    message: string,
    at: Date,
  ): CoreV1Event {
    const suffix = (at.getTime() * 1000 + (this.sequence++ % 1000)).toString(16);
    return {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name: `${subject.name}.${suffix}`, namespace: this.namespaceOf(subject) },
      involvedObject: {
        apiVersion: subject.apiVersion,
        kind: subject.kind,
        name: subject.name,
        ...(subject.namespace ? { namespace: subject.namespace } : {}),
        ...(subject.uid ? { uid: subject.uid } : {}),
      },
      type,
      reason,
      message,
      count: 1,
      firstTimestamp: at,
      lastTimestamp: at,
      source: { component: this.component, host: this.instance },
      reportingComponent: this.component,
      reportingInstance: this.instance,
    };
  }

  private remember(key: string, event: WrittenEvent): void {
    this.written.set(key, event);
    while (this.written.size > this.maxCachedEvents) {
      const oldest = this.written.keys().next();
      if (oldest.done) break;
      this.written.delete(oldest.value);
    }
  }
}
