// Prometheus metrics for calls to other services, on the registry the service gives us.
// Several clients (and, in tests, the same client twice) share one registry, so each metric
// is created once and labelled by callee.
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * How one attempt ended. The first six are the callee's side of things; `aborted` is our
 * caller giving up, and `token_error` is our own service token being unobtainable.
 */
export type AttemptOutcome =
  | 'success'
  | 'client_error'
  | 'server_error'
  | 'timeout'
  | 'network_error'
  | 'breaker_open'
  | 'aborted'
  | 'token_error';

export type BreakerState = 'closed' | 'half-open' | 'open';

export const BREAKER_STATE_VALUE: Record<BreakerState, number> = {
  closed: 0,
  'half-open': 1,
  open: 2,
};

export interface ServiceClientMetrics {
  attempt(method: string, outcome: AttemptOutcome): void;
  /** Starts an attempt's timer; call the returned function when it settles. */
  startAttempt(): () => void;
  breakerState(state: BreakerState): void;
}

const noop: ServiceClientMetrics = {
  attempt() {},
  startAttempt: () => () => {},
  breakerState() {},
};

export function createServiceClientMetrics(
  callee: string,
  registry?: Registry,
): ServiceClientMetrics {
  if (!registry) return noop;
  const requests =
    (registry.getSingleMetric('service_client_requests_total') as Counter<
      'callee' | 'method' | 'outcome'
    >) ??
    new Counter({
      name: 'service_client_requests_total',
      help: 'Attempts to call another service, by callee, method and outcome (retries count each)',
      labelNames: ['callee', 'method', 'outcome'],
      registers: [registry],
    });
  const duration =
    (registry.getSingleMetric('service_client_request_duration_seconds') as Histogram<'callee'>) ??
    new Histogram({
      name: 'service_client_request_duration_seconds',
      help: 'Duration of each attempt that went to the network, body read included',
      labelNames: ['callee'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  const breaker =
    (registry.getSingleMetric('service_client_breaker_state') as Gauge<'callee'>) ??
    new Gauge({
      name: 'service_client_breaker_state',
      help: 'Circuit breaker state per callee: 0 closed, 1 half-open, 2 open',
      labelNames: ['callee'],
      registers: [registry],
    });
  breaker.set({ callee }, BREAKER_STATE_VALUE.closed);
  return {
    attempt: (method, outcome) => requests.inc({ callee, method, outcome }),
    startAttempt: () => duration.startTimer({ callee }),
    breakerState: (state) => breaker.set({ callee }, BREAKER_STATE_VALUE[state]),
  };
}
