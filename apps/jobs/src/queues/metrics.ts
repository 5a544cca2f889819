// Prometheus metrics the worker runtime keeps per queue and job name. Queue depths by state
// (queue_jobs) are read from Redis at scrape time in queues.plugin.ts.
import { Counter, Histogram, type Registry } from 'prom-client';

/**
 * How one attempt ended; the outcomes do not overlap, so they sum to the attempts made.
 * `failed` is the rare terminal failure whose dead letter could not be written (the job
 * still sits in BullMQ's failed set, and the error is logged).
 */
export type JobOutcome = 'completed' | 'retried' | 'dead_lettered' | 'invalid_payload' | 'failed';

export interface JobMetrics {
  processed: Counter<'queue' | 'name' | 'outcome'>;
  duration: Histogram<'queue' | 'name'>;
}

export function createJobMetrics(registry: Registry): JobMetrics {
  return {
    processed: new Counter({
      name: 'jobs_processed_total',
      help: 'Job attempts by queue, job name and outcome',
      labelNames: ['queue', 'name', 'outcome'] as const,
      registers: [registry],
    }),
    duration: new Histogram({
      name: 'jobs_processing_seconds',
      help: 'Time a handler took per attempt, by queue and job name',
      labelNames: ['queue', 'name'] as const,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
  };
}
