import type { Logger } from '../observability/index.js';

/**
 * A logger that writes nothing: the default when the caller gave none. The same as observability's
 * silentLogger, defined here so that the etcd client imports observability for types only: its index
 * loads winston and prom-client, a third of the start-up of `watch`, which never uses either.
 */
export const silentLogger: Logger = {
  error: () => undefined,
  warn: () => undefined,
  info: () => undefined,
  debug: () => undefined,
  child: () => silentLogger,
};
