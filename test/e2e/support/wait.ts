/** Generous default deadline: the operator starts through tsx on a loaded 2-core machine. */
export const DEFAULT_WAIT_MS = 45_000;
/** How often a condition is re-checked. */
const POLL_INTERVAL_MS = 50;

/** Thrown by {@link waitFor} when the deadline passes; `lastSeen` says what the condition saw last. */
export class WaitTimeoutError extends Error {
  constructor(
    readonly what: string,
    readonly lastSeen: string,
    timeoutMs: number,
  ) {
    super(`timed out after ${timeoutMs} ms waiting for ${what}${lastSeen ? `; last seen: ${lastSeen}` : ''}`);
  }
}

/**
 * Polls `check` until it returns `true` (or a non-false value, which is returned); a string result is
 * "not yet, and this is what I saw", kept for the timeout message. Errors thrown by `check` count as
 * "not yet" (the API may be briefly unreachable) and are reported if the deadline passes.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | false | string> | T | false | string,
  timeoutMs = DEFAULT_WAIT_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastSeen = '';
  for (;;) {
    try {
      const r = await check();
      if (typeof r === 'string') lastSeen = r;
      else if (r !== false) return r;
    } catch (e) {
      lastSeen = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    }
    if (Date.now() > deadline) throw new WaitTimeoutError(what, lastSeen, timeoutMs);
    await new Promise((r) => setTimeout(r, POLL_INTERVAL_MS));
  }
}
