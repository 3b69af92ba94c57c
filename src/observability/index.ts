export { createLogger, silentLogger, LOG_LEVELS } from './logger.js';
export type { Logger, LogFields, LogLevel, LoggerOptions } from './logger.js';
export { OperatorMetrics } from './metrics.js';
export { routeProcessWarnings } from './process-warnings.js';
export type { WarningEmitter } from './process-warnings.js';
export type {
  OperatorMetricsOptions,
  ReconcileMetricsHooks,
  SourceMirrorBytesReading,
  WorkQueueMetricsHooks,
} from './metrics.js';
