// Logging, request ids and metrics for Meridian services.
export { default as accessLog } from './access-log.ts';
export { lazyChildLoggerFactory } from './lazy-child-logger.ts';
export {
  type LoggerSettings,
  logDestination,
  loggerOptions,
  NESTED_SECRET_KEYS,
  REDACT_PATHS,
  redactNested,
} from './logger.ts';
export { default as metrics, type MetricsOptions } from './metrics.ts';
export { default as requestId, genReqId, REQUEST_ID_HEADER } from './request-id.ts';
