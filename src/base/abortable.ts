// Waiting that stops at an AbortSignal, for calls that take none (client-node requests, etcd requests).

/** The rejection of {@link abortable} when its signal aborts first. */
export class AbortedError extends Error {
  constructor() {
    super('aborted');
    this.name = 'AbortedError';
  }
}

/**
 * Settles with `promise`, or rejects with {@link AbortedError} as soon as `signal` aborts (at once if it
 * already has). The work itself runs on (its outcome is then ignored): this only frees the caller, e.g.
 * a reconcile that must return promptly on stop. Without a signal it is `promise` itself. A rejection
 * of `promise` that is not an Error is wrapped in one.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
