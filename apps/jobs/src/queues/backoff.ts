// Retry delays: exponential backoff plus jitter. The contracts in @meridian/queues declare
// `backoff: { type: 'exponential', delay }`; the worker runtime reads that as this jittered
// strategy, so a burst of jobs that failed together (a dependency blipped) does not come
// back together and knock it over again. Formula and the reasons for it:
// docs/job-reliability.md#retries-backoff-and-jitter.
import type { BackoffStrategy, MinimalJob } from 'bullmq';

/** The backoff type BullMQ hands to the Worker's `settings.backoffStrategy`. */
export const JITTERED_EXPONENTIAL = 'exponential-jitter';

/**
 * The delay before retry number `retry` (1 for the first retry):
 *
 *   step(n)  = base · 2^(n−1)
 *   delay(n) = min(cap, step(n) + random · step(n))      random ∈ [0, 1)
 *
 * so delay(n) ∈ [step(n), 2·step(n)): never sooner than the plain exponential schedule the
 * contract documents, spread over one more step.
 */
export function jitteredDelay(
  retry: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const step = baseMs * 2 ** Math.max(0, retry - 1);
  return Math.floor(Math.min(capMs, step + random() * step));
}

/** The Worker's strategy for jobs whose backoff type is JITTERED_EXPONENTIAL. */
export function jitteredBackoff(capMs: number): BackoffStrategy {
  return (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) => {
    const backoff = job?.opts.backoff;
    const base = typeof backoff === 'object' ? (backoff.delay ?? 1_000) : (backoff ?? 1_000);
    return jitteredDelay(attemptsMade, base, capMs);
  };
}

/**
 * Makes a job's plain exponential backoff the jittered one, on this worker's copy of the job
 * only (nothing is written to Redis). BullMQ consults a Worker's custom strategy only for
 * backoff types it does not know, and producers elsewhere add jobs with 'exponential'.
 */
export function useJitter(job: MinimalJob): void {
  const backoff = job.opts.backoff;
  if (typeof backoff === 'object' && backoff.type === 'exponential') {
    job.opts.backoff = { ...backoff, type: JITTERED_EXPONENTIAL };
  }
}
