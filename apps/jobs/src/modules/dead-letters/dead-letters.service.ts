// Dead-letter use cases for operators: list, inspect, retry, delete. Free of HTTP. The dead
// letters are jobs of the `dead-letters` queue that no worker consumes (queues/dead-letters.queue.ts).
import { AppError, conflict, notFound } from '@meridian/errors';
import { checkPayload, InvalidJobPayloadError } from '@meridian/queues';
import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import { type DeadLetter, type DeadLetters, retryJobId } from '../../queues/dead-letters.queue.ts';
import type { RegisteredQueue } from '../../queues/queues.plugin.ts';
import type {
  DeadLetterList,
  DeadLetterSummary,
  DeadLetterView,
  RetryResponse,
} from './dead-letters.schemas.ts';

/** Dead letters read per round trip when a queue filter has to scan the list. */
const SCAN_CHUNK = 200;

const iso = (ms: number) => new Date(ms).toISOString();

function summary(job: Job<DeadLetter>): DeadLetterSummary {
  const d = job.data;
  return {
    id: String(job.id),
    queue: d.queue,
    name: d.name,
    originalJobId: d.originalJobId,
    kind: d.kind,
    failedReason: d.failedReason,
    attemptsMade: d.attemptsMade,
    requestId: d.requestId ?? null,
    deadLetteredAt: iso(d.deadLetteredAt),
    retriedAt: d.retriedAt ? iso(d.retriedAt) : null,
    retryJobId: d.retryJobId ?? null,
  };
}

export interface DeadLetterDeps {
  deadLetters: DeadLetters;
  /** The consumed queue a dead letter goes back to. */
  queueNamed(name: string): RegisteredQueue | undefined;
  /** For the retry claim, a key beside BullMQ's. */
  redis: Redis;
  /** REDIS_PREFIX. */
  prefix: string;
}

export function deadLetterService({ deadLetters, queueNamed, redis, prefix }: DeadLetterDeps) {
  const dlq = deadLetters.queue;
  const claimKey = (id: string) => `${prefix}jobs:dead-letter-retried:${id}`;

  async function load(id: string): Promise<Job<DeadLetter>> {
    const job = await dlq.getJob(id);
    if (!job) throw notFound(`Dead letter ${id} does not exist.`);
    return job;
  }

  return {
    /**
     * Newest first. Without a queue filter this is one range read; with one it scans the
     * list in chunks: the dead-letter queue is an alarm that operators keep short, not an
     * archive.
     */
    async list(q: { queue?: string; limit: number; offset: number }): Promise<DeadLetterList> {
      if (!q.queue) {
        const [jobs, total] = await Promise.all([
          dlq.getWaiting(q.offset, q.offset + q.limit - 1),
          dlq.getWaitingCount(),
        ]);
        const next = q.offset + q.limit;
        return { items: jobs.filter(Boolean).map(summary), nextOffset: next < total ? next : null };
      }
      const items: DeadLetterSummary[] = [];
      let skipped = 0;
      for (let start = 0; ; start += SCAN_CHUNK) {
        const chunk = (await dlq.getWaiting(start, start + SCAN_CHUNK - 1)).filter(Boolean);
        if (chunk.length === 0) return { items, nextOffset: null };
        for (const job of chunk) {
          if (job.data.queue !== q.queue) continue;
          if (skipped < q.offset) skipped++;
          else if (items.length < q.limit) items.push(summary(job));
          else return { items, nextOffset: q.offset + q.limit };
        }
      }
    },

    async get(id: string): Promise<DeadLetterView> {
      const job = await load(id);
      const d = job.data;
      return {
        ...summary(job),
        data: d.data,
        stacktrace: d.stacktrace,
        options: {
          ...(d.opts.attempts !== undefined ? { attempts: d.opts.attempts } : {}),
          ...(d.opts.priority !== undefined ? { priority: d.opts.priority } : {}),
          ...(d.opts.backoff !== undefined ? { backoff: d.opts.backoff } : {}),
        },
        createdAt: iso(d.createdAt),
        processedAt: d.processedAt ? iso(d.processedAt) : null,
      };
    },

    /**
     * Re-enqueues the original job (same queue, name, data and options, attempts from zero)
     * under a new job id, `<original>.retry-<n>`, so BullMQ's job-id dedupe cannot swallow
     * it. The dead letter stays, marked retried; a second retry is a 409. The claim is an
     * atomic SET NX, so two operators clicking at once retry it once.
     */
    async retry(id: string): Promise<RetryResponse> {
      const job = await load(id);
      const d = job.data;
      const alreadyRetried = () =>
        conflict('already-retried', `Dead letter ${id} was already retried.`);
      if (d.retriedAt) throw alreadyRetried();
      const target = queueNamed(d.queue);
      if (!target) {
        throw conflict(
          'unknown-queue',
          `No worker consumes queue ${d.queue} here; nothing to retry into.`,
        );
      }
      try {
        // Validated when enqueued, as every job is: a payload the contract still refuses
        // would only come straight back.
        checkPayload(target.contract, d.name, d.data);
      } catch (err) {
        if (!(err instanceof InvalidJobPayloadError)) throw err;
        throw new AppError({
          status: 409,
          code: 'invalid-payload',
          detail: `Dead letter ${id} still breaks its queue's contract: ${err.message}`,
        });
      }
      if ((await redis.set(claimKey(id), '1', 'NX')) !== 'OK') throw alreadyRetried();

      const newId = retryJobId(d.originalJobId);
      try {
        await target.queue.add(d.name, d.data, { ...d.opts, jobId: newId });
      } catch (err) {
        await redis.del(claimKey(id));
        throw err;
      }
      const retriedAt = Date.now();
      await job.updateData({ ...d, retriedAt, retryJobId: newId });
      return { id, queue: d.queue, retryJobId: newId, retriedAt: iso(retriedAt) };
    },

    async remove(id: string): Promise<void> {
      const job = await load(id);
      await job.remove();
      await redis.del(claimKey(id));
    },
  };
}

export type DeadLetterService = ReturnType<typeof deadLetterService>;
