// A queue contract: the queue's name, its job names, each job's TypeBox payload schema and
// the job options it is produced with, in one object that producers and workers both import.
// Producers check a payload before it leaves (enqueue, or the outbox write); workers parse it
// again, because Redis holds whatever was put there (an older producer's job, a hand-made one).
import {
  Queue as BullQueue,
  type JobsOptions,
  type Queue,
  type QueueOptions,
  UnrecoverableError,
} from 'bullmq';
import type { Static, TSchema } from 'typebox';
import { Value } from 'typebox/value';

export interface QueueContract<Jobs extends Record<string, TSchema> = Record<string, TSchema>> {
  /** The BullMQ queue name. */
  readonly queue: string;
  /** Job name → payload schema. */
  readonly jobs: Jobs;
  /** What every job of this queue is added with (attempts, backoff, retention). */
  readonly jobOptions: JobsOptions;
}

export type JobName<C extends QueueContract> = keyof C['jobs'] & string;
export type JobPayload<C extends QueueContract, N extends JobName<C>> = Static<C['jobs'][N]>;

/** A job once parsed: its name and payload narrowed together, so a `switch` on name types data. */
export type ParsedJob<C extends QueueContract> = {
  [N in JobName<C>]: { name: N; data: JobPayload<C, N> };
}[JobName<C>];

export function defineQueue<const Jobs extends Record<string, TSchema>>(
  queue: string,
  jobs: Jobs,
  jobOptions: JobsOptions = {},
): QueueContract<Jobs> {
  return Object.freeze({ queue, jobs, jobOptions });
}

/** Every key BullMQ writes starts with this: `<REDIS_PREFIX>bull` (`meridian:bull:<queue>:…`). */
export function queuePrefix(redisPrefix: string): string {
  return `${redisPrefix}bull`;
}

export interface PayloadIssue {
  /** JSON pointer into the payload ('' for the payload itself). */
  path: string;
  message: string;
}

/** A producer tried to send a job its contract does not allow; nothing was sent or stored. */
export class InvalidJobPayloadError extends Error {
  readonly queue: string;
  readonly jobName: string;
  readonly issues: PayloadIssue[];
  constructor(queue: string, jobName: string, issues: PayloadIssue[]) {
    super(
      `invalid ${queue}/${jobName} job: ${issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ')}`,
    );
    this.name = 'InvalidJobPayloadError';
    this.queue = queue;
    this.jobName = jobName;
    this.issues = issues;
  }
}

function issuesOf(contract: QueueContract, name: string, payload: unknown): PayloadIssue[] {
  const schema = Object.hasOwn(contract.jobs, name) ? contract.jobs[name] : undefined;
  if (!schema) return [{ path: '', message: `no job named "${name}" on queue ${contract.queue}` }];
  if (Value.Check(schema, payload)) return [];
  return Value.Errors(schema, payload).map((e) => ({ path: e.instancePath, message: e.message }));
}

/**
 * The producer's check: the payload, typed, when the contract allows it; otherwise throws
 * InvalidJobPayloadError listing every problem. Call it before the job is stored anywhere.
 */
export function checkPayload<C extends QueueContract, N extends JobName<C>>(
  contract: C,
  name: N,
  payload: unknown,
): JobPayload<C, N> {
  const issues = issuesOf(contract, name, payload);
  if (issues.length > 0) throw new InvalidJobPayloadError(contract.queue, name, issues);
  return payload as JobPayload<C, N>;
}

/**
 * The worker's check. A job that breaks its contract can never succeed, so it throws BullMQ's
 * UnrecoverableError: the job fails at once, with the reason, instead of using its attempts.
 */
export function parseJob<C extends QueueContract>(
  contract: C,
  job: { name: string; data: unknown },
): ParsedJob<C> {
  const issues = issuesOf(contract, job.name, job.data);
  if (issues.length > 0) {
    const detail = issues.map((i) => `${i.path || '/'} ${i.message}`).join('; ');
    throw new UnrecoverableError(
      `${contract.queue}/${job.name} job does not match its contract: ${detail}`,
    );
  }
  return { name: job.name, data: job.data } as ParsedJob<C>;
}

/** A BullMQ Queue for this contract, its jobs added with the contract's options by default. */
export function openQueue(
  contract: QueueContract,
  options: Pick<QueueOptions, 'connection' | 'prefix'>,
): Queue {
  return new BullQueue(contract.queue, { ...options, defaultJobOptions: contract.jobOptions });
}

/**
 * Checks the payload, then adds the job. For work that needs no transaction; state changes
 * whose event must not be lost go through the outbox instead (@meridian/outbox).
 */
export async function enqueue<C extends QueueContract, N extends JobName<C>>(
  queue: Queue,
  contract: C,
  name: N,
  payload: JobPayload<C, N>,
  opts: JobsOptions = {},
) {
  if (queue.name !== contract.queue) {
    throw new Error(`queue ${queue.name} is not the contract's queue ${contract.queue}`);
  }
  const data = checkPayload(contract, name, payload);
  return queue.add(name, data, { ...contract.jobOptions, ...opts });
}
