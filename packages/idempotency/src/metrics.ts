// idempotency_requests_total{outcome}: what happened to each request that carried a key.
// A rising `in_flight` means clients retry faster than requests finish; `taken_over` means
// requests died mid-flight; `mismatch` means a client reuses keys across requests (a bug).
import { Counter, type Registry } from 'prom-client';

export const OUTCOMES = ['new', 'replayed', 'in_flight', 'mismatch', 'taken_over'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const NAME = 'idempotency_requests_total';

/**
 * The counter on this registry, created once: several routes of one service share it (a
 * second `new Counter` with the same name would throw). Every outcome starts at 0, so a rate
 * over it is defined before the first replay.
 */
export function requestsCounter(registry: Registry): Counter<'outcome'> {
  const existing = registry.getSingleMetric(NAME);
  if (existing) return existing as Counter<'outcome'>;
  const counter = new Counter({
    name: NAME,
    help: 'Requests that carried an Idempotency-Key, by outcome',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of OUTCOMES) counter.inc({ outcome }, 0);
  return counter;
}
