import type { Logger } from './logger.js';

/** The part of `process` that emits warnings (any EventEmitter will do in a test). */
export type WarningEmitter = Pick<NodeJS.EventEmitter, 'listeners' | 'removeListener' | 'on'>;

/**
 * Sends the process's warnings (deprecations such as DEP0123, which grpc-js triggers by giving TLS an
 * IP address as its SNI name) to `logger` as one JSON line at warn, instead of the plain-text lines
 * Node writes to stderr, which break log pipelines that expect JSON only. Removes the listeners already
 * there (Node's own printer); returns a function that puts them back. The listener runs synchronously
 * when a warning is emitted.
 */
export function routeProcessWarnings(logger: Logger, emitter: WarningEmitter = process): () => void {
  const previous = emitter.listeners('warning') as Array<(warning: Error) => void>;
  for (const listener of previous) emitter.removeListener('warning', listener);
  const onWarning = (warning: Error): void => {
    const code = (warning as Error & { code?: unknown }).code;
    logger.warn('process warning', {
      warning: warning.name,
      ...(typeof code === 'string' ? { code } : {}),
      detail: warning.message,
    });
  };
  emitter.on('warning', onWarning);
  return () => {
    emitter.removeListener('warning', onWarning);
    for (const listener of previous) emitter.on('warning', listener);
  };
}
