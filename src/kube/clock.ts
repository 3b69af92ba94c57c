/**
 * Time as the engine sees it: the current instant and one-shot timers. Injected so that tests can drive
 * backoff and delays without sleeping (the runtime layer ships a `FakeClock`).
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /**
   * Calls `fn` once after `delayMs` (never synchronously from inside this call). Returns a function that
   * cancels the timer; cancelling a fired or cancelled timer does nothing.
   */
  setTimer(fn: () => void, delayMs: number): () => void;
}

/** The wall clock and Node's timers. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};

/**
 * Resolves after `delayMs` on `clock`, or as soon as `signal` aborts. Returns true if the full delay
 * passed, false if it was cut short by the signal. Never rejects.
 */
export function sleep(clock: Clock, delayMs: number, signal?: AbortSignal): Promise<boolean> {
  if (signal?.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const onAbort = (): void => {
      cancel();
      resolve(false);
    };
    const cancel = clock.setTimer(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, delayMs);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
