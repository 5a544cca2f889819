// The dead-letter queue: one BullMQ queue, `dead-letters`, holding a copy of every job that
// will not be tried again (attempts exhausted, a payload that breaks its contract, a job
// stalled too often). No worker consumes it: its jobs stay waiting until an operator retries
// or deletes them (modules/dead-letters), and its waiting count is the alarm.
import type { JobsOptions, MinimalJob, Queue } from 'bullmq';
import { Queue as BullQueue } from 'bullmq';
import type { Redis } from 'ioredis';

export const DEAD_LETTER_QUEUE = 'dead-letters';
export const DEAD_LETTER_JOB = 'dead-letter';

export type DeadLetterKind =
  /** The payload broke its queue's contract: it can never succeed, so it was not retried. */
  | 'invalid-payload'
  /** The handler threw on every attempt the job had. */
  | 'attempts-exhausted'
  /** The handler threw UnrecoverableError: it said retrying cannot help. */
  | 'unrecoverable'
  /** BullMQ failed the job after it stalled more than maxStalledCount times. */
  | 'stalled';

/** The options a retry re-enqueues the job with (ids, parents and repeats stay behind). */
export type RetryOptions = Pick<
  JobsOptions,
  'attempts' | 'backoff' | 'priority' | 'removeOnComplete' | 'removeOnFail'
>;

export interface DeadLetter {
  queue: string;
  name: string;
  data: unknown;
  originalJobId: string;
  kind: DeadLetterKind;
  failedReason: string;
  attemptsMade: number;
  stacktrace: string[];
  opts: RetryOptions;
  requestId?: string;
  /** Epoch ms: when the original job was created, first processed, dead-lettered. */
  createdAt: number;
  processedAt?: number;
  deadLetteredAt: number;
  /** Set once an operator has re-enqueued it. */
  retriedAt?: number;
  retryJobId?: string;
}

/**
 * BullMQ refuses ':' in custom ids, so ids are joined with '.'. Deterministic, so a job is
 * dead-lettered once however often the copy is attempted.
 */
export const deadLetterId = (queue: string, jobId: string) => `${queue}.${jobId}`;

/** `<root>.retry-<n>`: a retry's job id, new for each retry, so BullMQ never dedupes it away. */
export function retryJobId(originalJobId: string): string {
  const match = /^(.*)\.retry-(\d+)$/.exec(originalJobId);
  const [root, n] = match ? [match[1], Number(match[2])] : [originalJobId, 0];
  return `${root}.retry-${n + 1}`;
}

export function requestIdOf(data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const d = data as { requestId?: unknown; meta?: { requestId?: unknown } };
  const id = d.requestId ?? (typeof d.meta === 'object' ? d.meta?.requestId : undefined);
  return typeof id === 'string' ? id : undefined;
}

export interface DeadLetters {
  queue: Queue<DeadLetter>;
  /** Copies a job that will not be tried again; a second call for the same job is a no-op. */
  record(
    job: MinimalJob,
    failure: { kind: DeadLetterKind; reason: string; stack?: string; attemptsMade: number },
  ): Promise<string>;
}

export function openDeadLetters(connection: Redis, prefix: string): DeadLetters {
  const queue = new BullQueue<DeadLetter>(DEAD_LETTER_QUEUE, { connection, prefix });
  return {
    queue,
    async record(job, failure) {
      const id = deadLetterId(job.queueName, String(job.id));
      const { attempts, backoff, priority, removeOnComplete, removeOnFail } = job.opts;
      const entry: DeadLetter = {
        queue: job.queueName,
        name: job.name,
        data: job.data,
        originalJobId: String(job.id),
        kind: failure.kind,
        failedReason: failure.reason,
        attemptsMade: failure.attemptsMade,
        stacktrace: [...(job.stacktrace ?? []), ...(failure.stack ? [failure.stack] : [])],
        opts: { attempts, backoff, priority, removeOnComplete, removeOnFail },
        requestId: requestIdOf(job.data),
        createdAt: job.timestamp,
        processedAt: job.processedOn,
        deadLetteredAt: Date.now(),
      };
      // Kept until an operator deletes it: a dead letter is a to-do item, not a log line.
      await queue.add(DEAD_LETTER_JOB, entry, { jobId: id });
      return id;
    },
  };
}
