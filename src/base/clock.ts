/**
 * Time as our code sees it: the current instant and one-shot timers. Injected so that tests can drive
 * backoff, delays and expiry without sleeping (see {@link FakeClock}).
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

/** The wall clock and Node's timers; a negative delay counts as 0. */
export const realClock: Clock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    return () => clearTimeout(timer);
  },
};
