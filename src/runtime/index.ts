// The generic controller engine (DESIGN.md §2): work queue, controller loop, reconcile contract and
// leader election. It knows nothing of our CRDs.
export { Controller } from './controller.js';
export type { ControllerOptions, ControllerState } from './controller.js';
export { noopControllerMetrics } from './controller-metrics.js';
export type { ControllerMetrics, ReconcileOutcome } from './controller-metrics.js';
export { FakeLeaderElector } from './fake-leader-elector.js';
export type { FakeLeaderElectorOptions } from './fake-leader-elector.js';
export type { LeaderCallbacks, LeaderElection } from './leader-election.js';
export {
  DEFAULT_LEASE_DURATION_MS,
  DEFAULT_RENEW_DEADLINE_MS,
  DEFAULT_RETRY_PERIOD_MS,
  LeaderElector,
  RETRY_JITTER,
} from './leader-elector.js';
export type { ElectorState, LeaderElectorOptions, LeaseStore } from './leader-elector.js';
export { InformerLeaseWatch } from './lease-watch.js';
export type { InformerLeaseWatchOptions, LeaseWatch, LeaseWatchHandlers } from './lease-watch.js';
export { noopQueueMetrics } from './queue-metrics.js';
export type { QueueMetrics } from './queue-metrics.js';
export {
  BucketRateLimiter,
  DEFAULT_ITEM_BASE_DELAY_MS,
  DEFAULT_ITEM_MAX_DELAY_MS,
  DEFAULT_OVERALL_BURST,
  DEFAULT_OVERALL_RATE_PER_SECOND,
  ItemExponentialRateLimiter,
  MaxOfRateLimiter,
  defaultControllerRateLimiter,
} from './rate-limiter.js';
export type { RateLimiter } from './rate-limiter.js';
export { RetryError, TerminalError, requestFromKey, requestKey } from './reconciler.js';
export type { EngineErrorOptions, ReconcileContext, Reconciler, Request, Result } from './reconciler.js';
export { WorkQueue } from './work-queue.js';
export type { WorkQueueOptions } from './work-queue.js';
export type {
  ControllerSetup,
  InformerRegistry,
  ManagedInformer,
  SessionQueue,
  SessionResource,
  SessionScope,
} from './controller-setup.js';
export { Session } from './session.js';
export { SharedInformers } from './shared-informers.js';
