import { Observable, type ConfigurationOptions, type ObservableMiddleware } from '@kubernetes/client-node';

/** Per-call options every method of this layer accepts. */
export interface CallOptions {
  /** Aborts the HTTP request; the call then fails with a `TransportError`. */
  readonly signal?: AbortSignal;
}

/**
 * client-node per-request options that set `Content-Type` (for patches) and attach `signal` to the
 * request. Middleware is appended so the kubeconfig's authentication stays in place.
 */
export function requestOptions(signal?: AbortSignal, contentType?: string): ConfigurationOptions | undefined {
  if (!signal && !contentType) return undefined;
  const middleware: ObservableMiddleware = {
    pre: (context) => {
      if (signal) context.setSignal(signal);
      if (contentType) context.setHeaderParam('Content-Type', contentType);
      return new Observable(Promise.resolve(context));
    },
    post: (context) => new Observable(Promise.resolve(context)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' };
}
