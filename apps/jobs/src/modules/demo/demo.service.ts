// Demo job use cases: enqueue, inspect, and the work itself. Free of HTTP; the worker and
// the routes both call it.
import { randomUUID } from 'node:crypto';
import { notFound } from '@meridian/errors';
import type { Queue } from 'bullmq';
import type { JobsDb } from '../../db/client.ts';
import { DEMO_JOB, type DemoPayload, type DemoResult } from '../../queues/demo.queue.ts';
import { findRecentJobRuns, insertJobRun } from './demo.repository.ts';
import type { DemoJobStatus, JobRun } from './demo.schemas.ts';

export function demoService(db: JobsDb, queue: Queue<DemoPayload, DemoResult>) {
  return {
    async enqueue(payload: DemoPayload): Promise<string> {
      // Our own id, not BullMQ's per-queue counter: the counter restarts when Redis loses its
      // data, and job_runs.job_id must stay unique for ever.
      const job = await queue.add(DEMO_JOB, payload, {
        jobId: randomUUID(),
        attempts: 3,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: { age: 3_600, count: 1_000 },
        removeOnFail: { age: 24 * 3_600 },
      });
      return String(job.id);
    },

    async status(jobId: string): Promise<DemoJobStatus> {
      // State first, then the job's fields: the fields are then at least as new as the state,
      // so a 'failed' job always comes with its failedReason (the other order can race).
      const state = await queue.getJobState(jobId);
      const job = state === 'unknown' ? undefined : await queue.getJob(jobId);
      if (!job) throw notFound(`Job ${jobId} does not exist (or has expired).`);
      return {
        id: jobId,
        state,
        attemptsMade: job.attemptsMade,
        result: job.returnvalue ?? null,
        failedReason: job.failedReason ?? null,
      };
    },

    /** The worker's processor: does the work and records it, once per job id. */
    async process(job: {
      id: string;
      queue: string;
      name: string;
      data: DemoPayload;
      attempts: number;
    }): Promise<DemoResult> {
      const result: DemoResult = { echoed: job.data.message, length: job.data.message.length };
      await insertJobRun(db, {
        queue: job.queue,
        jobId: job.id,
        name: job.name,
        payload: job.data,
        result,
        attempts: job.attempts,
      });
      return result;
    },

    async recentRuns(limit: number): Promise<JobRun[]> {
      const rows = await findRecentJobRuns(db, limit);
      return rows.map((r) => ({
        id: r.id,
        queue: r.queue,
        jobId: r.jobId,
        name: r.name,
        payload: r.payload as Record<string, unknown>,
        result: (r.result as Record<string, unknown> | null) ?? null,
        attempts: r.attempts,
        finishedAt: r.finishedAt.toISOString(),
      }));
    },
  };
}

export type DemoService = ReturnType<typeof demoService>;
