// Waiting for a condition with a deadline: how the integration tests synchronise with asynchronous work
// (never a fixed sleep). The e2e tests have a variant that also reports what the condition last saw.

/** Default deadline: generous, the suite runs on a loaded 2-core machine. */
export const DEFAULT_WAIT_MS = 30_000;
/** Default time between two looks. */
export const DEFAULT_POLL_MS = 20;

/**
 * Polls `check` until it returns something other than `undefined` or `false`, and returns that. An
 * error thrown by `check` counts as "not yet" (what it reads may be briefly unreachable) and is named
 * in the error thrown when `timeoutMs` passes.
 */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = DEFAULT_WAIT_MS,
  pollMs = DEFAULT_POLL_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const cause = lastError === undefined ? '' : ` (last error: ${errorText(lastError)})`;
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${cause}`);
    }
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : JSON.stringify(err);
}
