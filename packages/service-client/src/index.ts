// Typed calls from one Meridian service to another: timeouts, retries, a circuit breaker.
export { backoffDelay, parseRetryAfter } from './backoff.ts';
export {
  type BreakerOptions,
  createServiceClient,
  DEFAULT_BREAKER,
  DEFAULT_RETRIES,
  type HttpMethod,
  type QueryValue,
  type RetryOptions,
  type ServiceClient,
  type ServiceClientOptions,
  type ServiceRequest,
  type ServiceResponse,
} from './client.ts';
export {
  type CalleeProblem,
  ServiceCallError,
  ServiceUnavailableError,
  type UnavailableReason,
} from './errors.ts';
export type { AttemptOutcome, BreakerState } from './metrics.ts';
