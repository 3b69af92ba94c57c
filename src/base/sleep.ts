import type { Clock } from './clock.js';

/**
 * Resolves after `delayMs` on `clock`, or as soon as `signal` aborts (at once if it already has).
 * Resolves true if the full delay passed, false if the signal cut it short. Never rejects, and leaves
 * neither a timer nor an abort listener behind once it has resolved.
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
