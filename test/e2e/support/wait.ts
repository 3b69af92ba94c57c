// The e2e suites (and chaos, bench) wait with the one shared waitFor (test/support/wait.ts, whose
// header states the contract); only the defaults differ: the operator starts through tsx on a loaded
// 2-core machine, so the deadline is longer and the checks (HTTP round trips) less frequent.
import { type NotYet, waitFor as waitForShared } from '../../support/wait.js';

export { type NotYet, WaitTimeoutError } from '../../support/wait.js';

/** Generous default deadline for the e2e suites. */
export const DEFAULT_WAIT_MS = 45_000;
/** How often a condition is re-checked. */
const POLL_INTERVAL_MS = 50;

/** {@link waitForShared} with the e2e defaults (45 s, every 50 ms). */
export function waitFor<T>(
  what: string,
  check: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T> {
  return waitForShared(what, check, timeoutMs, POLL_INTERVAL_MS);
}
