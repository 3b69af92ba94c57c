// The bottom layer (DESIGN.md §2): time, cancellation and copying plain data, with no knowledge of
// Kubernetes or etcd.
// Every layer may import it; it imports nothing of ours.
export { AbortedError, abortable } from './abortable.js';
export {
  Backoff,
  DEFAULT_BACKOFF_INITIAL_DELAY_MS,
  DEFAULT_BACKOFF_JITTER,
  DEFAULT_BACKOFF_MAX_DELAY_MS,
  DEFAULT_BACKOFF_MULTIPLIER,
} from './backoff.js';
export type { BackoffOptions } from './backoff.js';
export { cloneJson } from './clone-json.js';
export { realClock } from './clock.js';
export type { Clock } from './clock.js';
export { FakeClock } from './fake-clock.js';
export { sleep } from './sleep.js';
export { TokenBucket } from './token-bucket.js';
export type { TokenBucketOptions } from './token-bucket.js';
