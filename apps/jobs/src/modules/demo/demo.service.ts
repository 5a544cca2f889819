// Demo job use cases: enqueue, inspect, and the work itself. Free of HTTP; the worker and
// the routes both call it.
import { randomUUID } from 'node:crypto';
import { setTimeout } from 'node:timers/promises';
import { notFound } from '@meridian/errors';
import { enqueue } from '@meridian/queues';
import type { Queue } from 'bullmq';
import type { JobsDb } from '../../db/client.ts';
import {
  DEMO_JOB,
  type DemoJob,
  type DemoPayload,
  type DemoResult,
  demoQueue,
} from '../../queues/demo.queue.ts';
import type { JobContext } from '../../queues/runtime.ts';
import { findRecentJobRuns, insertJobRun } from './demo.repository.ts';
import type { DemoJobStatus, JobRun } from './demo.schemas.ts';

export function demoService(db: JobsDb, queue: Queue) {
  return {
    async enqueue(payload: DemoPayload, requestId?: string): Promise<string> {
      // Our own id, not BullMQ's per-queue counter: the counter restarts when Redis loses its
      // data, and job_runs.job_id must stay unique for ever. The contract's options apply
      // (attempts, backoff, retention); the request id follows the job into its logs.
      const job = await enqueue(
        queue,
        demoQueue,
        DEMO_JOB,
        { ...payload, ...(requestId ? { requestId } : {}) },
        { jobId: randomUUID() },
      );
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

    /** The demo job's handler: does the work and records it, once per job id. */
    async process(data: DemoJob, ctx: JobContext): Promise<DemoResult> {
      if (data.workMs) await setTimeout(data.workMs);
      const result: DemoResult = { echoed: data.message, length: data.message.length };
      await insertJobRun(db, {
        queue: ctx.queue,
        jobId: ctx.jobId,
        name: ctx.name,
        payload: data,
        result,
        attempts: ctx.attempt,
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
