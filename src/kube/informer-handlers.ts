// The informer's subscribers and how changes reach them: handlers are called in registration order, on
// the informer's loop, and one that throws is logged without stopping the others or the loop.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Logger } from '../observability/index.js';
import type { ReplaceDelta } from './cache.js';

/** Callbacks for cache changes. They run synchronously on the informer's loop; exceptions are logged. */
export interface InformerHandlers<T extends KubernetesObject> {
  onAdd?(obj: T): void;
  /** Called only when the `resourceVersion` changed. */
  onUpdate?(old: T, current: T): void;
  onDelete?(obj: T): void;
  /** Called for every cached object each resync period (see `resyncPeriodMs`), changed or not. */
  onResync?(obj: T): void;
}

/**
 * The registered {@link InformerHandlers} of one informer. Every method calls the handlers
 * synchronously, before it returns; an exception from a handler is logged at error and swallowed.
 */
export class HandlerSet<T extends KubernetesObject> {
  /** Registered handlers, called in registration order. */
  private readonly handlers = new Set<InformerHandlers<T>>();

  constructor(private readonly logger: Logger) {}

  /** Registers handlers; returns a function that unregisters them. */
  add(handlers: InformerHandlers<T>): () => void {
    this.handlers.add(handlers);
    return () => this.handlers.delete(handlers);
  }

  added(obj: T): void {
    this.dispatch((h) => h.onAdd?.(obj));
  }

  updated(old: T, current: T): void {
    this.dispatch((h) => h.onUpdate?.(old, current));
  }

  deleted(obj: T): void {
    this.dispatch((h) => h.onDelete?.(obj));
  }

  resynced(obj: T): void {
    this.dispatch((h) => h.onResync?.(obj));
  }

  /** Reports what a relist changed: deletions first, then additions, then updates. */
  replaced(delta: ReplaceDelta<T>): void {
    for (const obj of delta.deleted) this.deleted(obj);
    for (const obj of delta.added) this.added(obj);
    for (const { old, current } of delta.updated) this.updated(old, current);
  }

  private dispatch(call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.handlers) {
      try {
        call(h);
      } catch (err) {
        this.logger.error('informer handler threw', {
          error: err instanceof Error ? err.message : String(err),
        });
      }
    }
  }
}
