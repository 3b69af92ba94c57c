// Waiting that stops at an AbortSignal, for calls that take none (client-node requests, etcd requests).

/**
 * Settles with `promise`, or rejects as soon as `signal` aborts. The work itself runs on (its outcome
 * is then ignored): this only frees the caller, e.g. a reconcile that must return promptly on stop.
 * Without a signal it is `promise` itself.
 */
export function abortable<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(new Error('aborted'));
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
