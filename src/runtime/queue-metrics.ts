/**
 * Hooks a work queue calls so that metrics can be exported (observability's prom-client module
 * implements this; the queue itself depends on no metrics library). Every hook must be cheap and must
 * not throw.
 */
export interface QueueMetrics {
  /** The number of keys waiting (not counting ones being processed or delayed). */
  setDepth(depth: number): void;
  /** A key was added (counted even if it was already queued and so deduplicated). */
  incAdds(): void;
  /** A key was re-added through the rate limiter (a retry after failure). */
  incRetries(): void;
  /** How long a key waited in the queue before a worker took it, in ms. */
  observeQueueLatencyMs(ms: number): void;
  /** How long a worker held a key (get → done), in ms. */
  observeWorkDurationMs(ms: number): void;
}

/** Metrics that go nowhere: the default. */
export const noopQueueMetrics: QueueMetrics = {
  setDepth: () => undefined,
  incAdds: () => undefined,
  incRetries: () => undefined,
  observeQueueLatencyMs: () => undefined,
  observeWorkDurationMs: () => undefined,
};
