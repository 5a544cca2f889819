// The worker runtime: one BullMQ Worker per queue contract, with the reliability rules of
// docs/job-reliability.md applied the same way to every queue:
// - the payload is parsed against the contract; a malformed one is dead-lettered at once
//   (`invalid-payload: …`) and failed with UnrecoverableError, never retried;
// - a throwing handler is retried per the job's attempts, with jittered exponential backoff;
// - the last failed attempt is copied to the dead-letter queue before the job is failed;
// - every log line of a job carries queue, job id, name, attempt and the request id that
//   caused it; attempts are counted and timed in Prometheus;
// - locks and the stalled-job checker are set explicitly, so a job whose worker died is
//   picked up again.
// It takes plain dependencies (no Fastify), so a worker process of its own can use it too.

import {
  type JobName,
  type JobPayload,
  type ParsedJob,
  parseJob,
  type QueueContract,
} from '@meridian/queues';
import { Job, type MinimalJob, type RateLimiterOptions, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { jitteredBackoff, useJitter } from './backoff.ts';
import { type DeadLetterKind, type DeadLetters, requestIdOf } from './dead-letters.queue.ts';
import type { JobMetrics, JobOutcome } from './metrics.ts';

/** The slice of pino the runtime uses (app.log fits; so does a test's recording logger). */
export interface JobLogger {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
  child(bindings: Record<string, unknown>): JobLogger;
}

/** What a handler knows about the job it is running, besides its payload. */
export interface JobContext {
  jobId: string;
  queue: string;
  name: string;
  /** 1 for the first attempt. */
  attempt: number;
  /** The request id of the HTTP request that caused the job, when the payload carries one. */
  requestId?: string;
  /** Bound to queue, jobId, jobName, attempt and requestId. */
  log: JobLogger;
}

export type JobHandlers<C extends QueueContract> = {
  [N in JobName<C>]: (data: JobPayload<C, N>, ctx: JobContext) => Promise<unknown>;
};

export interface WorkerSettings {
  concurrency: number;
  /** At most `max` jobs started per `duration` ms by this worker (BullMQ's limiter). */
  limiter?: RateLimiterOptions;
}

export interface RuntimeDeps {
  /** The worker connection (maxRetriesPerRequest: null); BullMQ duplicates it for blocking. */
  connection: Redis;
  prefix: string;
  log: JobLogger;
  deadLetters: DeadLetters;
  metrics: JobMetrics;
  /** Lock and stalled-job settings, and the cap of one retry delay. */
  reliability: {
    lockDurationMs: number;
    stalledIntervalMs: number;
    maxStalledCount: number;
    backoffMaxMs: number;
  };
}

function errorOf(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}

export function createWorker<C extends QueueContract>(
  contract: C,
  handlers: JobHandlers<C>,
  settings: WorkerSettings,
  deps: RuntimeDeps,
): Worker {
  const { deadLetters, metrics } = deps;
  const queue = contract.queue;
  // A job name the contract does not know (a hand-made job) is not a label value: labels
  // must stay a bounded set.
  const nameLabel = (job: MinimalJob) =>
    Object.hasOwn(contract.jobs, job.name) ? job.name : 'unknown';
  const count = (job: MinimalJob, outcome: JobOutcome) =>
    metrics.processed.inc({ queue, name: nameLabel(job), outcome });

  /** Copies the job to the dead-letter queue; false if that failed (the error is logged). */
  async function deadLetter(
    job: MinimalJob,
    log: JobLogger,
    kind: DeadLetterKind,
    err: Error,
    attemptsMade: number,
  ): Promise<boolean> {
    try {
      const id = await deadLetters.record(job, {
        kind,
        reason: err.message,
        stack: err.stack,
        attemptsMade,
      });
      log.error({ err, deadLetterId: id, kind }, 'job dead-lettered');
      return true;
    } catch (dlqErr) {
      log.error(
        { err: dlqErr, cause: err },
        'job failed for good, and its dead letter was not written',
      );
      return false;
    }
  }

  async function process(job: Job): Promise<unknown> {
    useJitter(job);
    const attempt = job.attemptsMade + 1;
    const requestId = requestIdOf(job.data);
    const log = deps.log.child({
      queue,
      jobId: job.id,
      jobName: job.name,
      attempt,
      ...(requestId ? { requestId } : {}),
    });

    let parsed: ParsedJob<C>;
    try {
      parsed = parseJob(contract, job);
    } catch (err) {
      const refused = new UnrecoverableError(`invalid-payload: ${errorOf(err).message}`);
      const recorded = await deadLetter(job, log, 'invalid-payload', refused, attempt);
      count(job, recorded ? 'invalid_payload' : 'failed');
      throw refused;
    }

    const handler = handlers[parsed.name as JobName<C>] as (
      data: unknown,
      ctx: JobContext,
    ) => Promise<unknown>;
    const ctx: JobContext = {
      jobId: String(job.id),
      queue,
      name: job.name,
      attempt,
      requestId,
      log,
    };
    const stopTimer = metrics.duration.startTimer({ queue, name: job.name });
    log.debug('job started');
    try {
      const result = await handler(parsed.data, ctx);
      stopTimer();
      count(job, 'completed');
      log.info('job completed');
      return result;
    } catch (thrown) {
      stopTimer();
      const err = errorOf(thrown);
      const unrecoverable = err instanceof UnrecoverableError || err.name === 'UnrecoverableError';
      const last = unrecoverable || attempt >= (job.opts.attempts ?? 1);
      if (!last) {
        count(job, 'retried');
        log.warn(
          { err, attemptsLeft: (job.opts.attempts ?? 1) - attempt },
          'job attempt failed, will retry',
        );
        throw err;
      }
      // Recorded before BullMQ fails the job: a failed job always has its dead letter.
      const kind = unrecoverable ? 'unrecoverable' : 'attempts-exhausted';
      count(job, (await deadLetter(job, log, kind, err, attempt)) ? 'dead_lettered' : 'failed');
      throw err;
    }
  }

  const worker = new Worker(queue, process, {
    connection: deps.connection,
    prefix: deps.prefix,
    concurrency: settings.concurrency,
    ...(settings.limiter ? { limiter: settings.limiter } : {}),
    // A lock is renewed every lockDuration/2 while the handler runs. A dead worker stops
    // renewing; once its lock expires, the next stalled check (every stalledInterval, by any
    // worker of the queue) moves the job back to waiting, up to maxStalledCount times.
    lockDuration: deps.reliability.lockDurationMs,
    stalledInterval: deps.reliability.stalledIntervalMs,
    maxStalledCount: deps.reliability.maxStalledCount,
    settings: { backoffStrategy: jitteredBackoff(deps.reliability.backoffMaxMs) },
  });

  worker.on('error', (err) => deps.log.error({ err, queue }, 'worker error'));
  // A job that stalled once too often is failed by BullMQ's checker, not by our processor:
  // dead-letter it here (a no-op if it was already recorded).
  worker.on('stalled', (jobId) => {
    void (async () => {
      const job = await Job.fromId(worker, jobId);
      const log = deps.log.child({ queue, jobId });
      log.warn('job stalled: its worker stopped renewing the lock');
      if (job && (await job.isFailed())) {
        const failure = new Error(job.failedReason || 'job stalled more than allowable limit');
        const recorded = await deadLetter(job, log, 'stalled', failure, job.attemptsMade);
        count(job, recorded ? 'dead_lettered' : 'failed');
      }
    })().catch((err) => deps.log.error({ err, queue, jobId }, 'stalled job check failed'));
  });
  return worker;
}
