// The jobs service's environment: the kit's shared variables, its port, and per-queue worker
// settings (concurrency, rate limit) plus the lock and stalled-job settings every worker uses.
// See docs/job-reliability.md for what each knob trades off.
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

const concurrency = (fallback: number) =>
  Type.Integer({ minimum: 1, maximum: 100, default: fallback });
/** Jobs per RATE_DURATION_MS a worker may start; 0 turns the limiter off. */
const rateMax = Type.Integer({ minimum: 0, default: 0 });
const rateDuration = Type.Integer({ minimum: 1, default: 1_000 });

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3004),
  /** The demo queue's concurrency (its historical name). */
  JOBS_CONCURRENCY: concurrency(5),
  ORDER_EVENTS_CONCURRENCY: concurrency(5),
  ORDER_EVENTS_RATE_MAX: rateMax,
  ORDER_EVENTS_RATE_DURATION_MS: rateDuration,
  CATALOG_EVENTS_CONCURRENCY: concurrency(2),
  CATALOG_EVENTS_RATE_MAX: rateMax,
  CATALOG_EVENTS_RATE_DURATION_MS: rateDuration,
  /**
   * How long a worker's lock on an active job lasts; the worker renews it every half of this
   * while the job runs. A worker that dies stops renewing, and the job is recovered once the
   * lock has expired: a shorter lock recovers sooner but risks a false stall on a blocked
   * event loop.
   */
  JOBS_LOCK_DURATION_MS: Type.Integer({ minimum: 500, maximum: 600_000, default: 30_000 }),
  /** How often each worker looks for active jobs whose lock expired. */
  JOBS_STALLED_INTERVAL_MS: Type.Integer({ minimum: 100, maximum: 600_000, default: 30_000 }),
  /** Times a job may be recovered from a stall before it is failed (and dead-lettered). */
  JOBS_MAX_STALLED_COUNT: Type.Integer({ minimum: 0, maximum: 10, default: 2 }),
  /** Upper bound of one retry delay, whatever the attempt (see queues/backoff.ts). */
  JOBS_BACKOFF_MAX_MS: Type.Integer({ minimum: 100, default: 300_000 }),
});

export type Config = Static<typeof ConfigSchema>;
