// Waiting for a condition with a deadline: how every suite (integration, e2e, chaos, bench) synchronises
// with asynchronous work — never a fixed sleep. One contract for all of them:
//
//   the check returns …        means
//   `true` or any other value  done: `waitFor` resolves with that value
//   `false` or `undefined`     not yet
//   a string                   not yet, and this is what I saw (kept for the timeout message)
//   throws                     not yet (what it reads may be briefly unreachable); reported on timeout
//
// So a check whose *result* is a string must wrap it (`{ value }`) or compare it (`=== 'Ready'`).

/** Default deadline: generous, the suites run on a loaded 2-core machine. The e2e suites use 45 s. */
export const DEFAULT_WAIT_MS = 30_000;
/** Default time between two looks. */
export const DEFAULT_POLL_MS = 20;

/** What a check returns while the condition does not hold yet (a string says what it saw). */
export type NotYet = undefined | false | string;

/** Thrown by {@link waitFor} when the deadline passes; says what the check last saw and last threw. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly lastSeen: string,
    readonly lastError: unknown,
    timeoutMs: number,
  ) {
    const seen = lastSeen ? `; last seen: ${lastSeen}` : '';
    const error = lastError === undefined ? '' : ` (last error: ${errorText(lastError)})`;
    super(`timed out after ${timeoutMs} ms waiting for ${what}${seen}${error}`);
    this.name = 'WaitTimeoutError';
  }
}

/**
 * Polls `check` every `pollMs` until it is done (see the contract above) and returns its value; throws
 * {@link WaitTimeoutError} when `timeoutMs` passes first.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | NotYet | Promise<T | NotYet>,
  timeoutMs = DEFAULT_WAIT_MS,
  pollMs = DEFAULT_POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastSeen = '';
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (typeof value === 'string') lastSeen = value;
      else if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(what, lastSeen, lastError, timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : JSON.stringify(err);
}
