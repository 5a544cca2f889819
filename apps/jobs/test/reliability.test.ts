// Retries, dead letters and poison messages against the real Redis and Postgres: a test
// queue whose handler fails on demand runs inside the real jobs app (the same runtime as the
// production queues), and the dead-letter admin routes are driven over HTTP.
import { randomUUID } from 'node:crypto';
import {
  defineQueue,
  enqueue,
  InvalidJobPayloadError,
  ORDER_CREATED,
  orderEvents,
  queuePrefix,
} from '@meridian/queues';
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { createJobMetrics } from '../src/queues/metrics.ts';
import type { JobQueues } from '../src/queues/queues.plugin.ts';
import { createWorker } from '../src/queues/runtime.ts';
import { captureLogger, jobsAppWith, type LogLine, waitFor } from './support/helpers.ts';

const BACKOFF_MS = 200;
const flaky = defineQueue(
  'flaky-test',
  {
    flaky: Type.Object(
      { key: Type.String(), failTimes: Type.Integer({ minimum: 0 }) },
      { additionalProperties: false },
    ),
  },
  { attempts: 3, backoff: { type: 'exponential', delay: BACKOFF_MS } },
);

/** Start times of each attempt, per key; keys in `healed` stop failing. */
const attempts = new Map<string, number[]>();
const healed = new Set<string>();

let t: TestApp<
  Awaited<ReturnType<ReturnType<typeof jobsAppWith>>>,
  { REDIS_PREFIX: string; REDIS_URL: string }
>;
let queues: JobQueues;
let issuer: TestIssuer;
let admin: { authorization: string };
let flakyQueue: Queue;
let redis: Redis;

beforeAll(async () => {
  issuer = await createTestIssuer();
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp: jobsAppWith((q) => {
      queues = q;
      flakyQueue = q.register(
        flaky,
        {
          async flaky(data) {
            const starts = attempts.get(data.key) ?? [];
            starts.push(Date.now());
            attempts.set(data.key, starts);
            if (!healed.has(data.key) && starts.length <= data.failTimes) {
              throw new Error(`boom ${starts.length}`);
            }
            return { attempts: starts.length };
          },
        },
        { concurrency: 5 },
      ).queue;
    }),
    env: issuer.env,
  });
  admin = {
    authorization: `Bearer ${await issuer.sign({ sub: 'admin-1', permissions: ['jobs:admin'] })}`,
  };
  redis = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  redis?.disconnect();
  await t.close();
  await issuer.close();
});

const inject = (method: 'GET' | 'POST' | 'DELETE', url: string) =>
  t.app.inject({ method, url, headers: admin });

async function stateOf(queue: Queue, id: string) {
  const state = await queue.getJobState(id);
  const job = await queue.getJob(id);
  return { state, attemptsMade: job?.attemptsMade, returnvalue: job?.returnvalue };
}

async function metric(line: RegExp): Promise<number> {
  const body = (await t.app.inject({ url: '/metrics' })).body;
  const match = body.split('\n').find((l) => line.test(l));
  return match ? Number(match.split(' ').pop()) : 0;
}
const processed = (queue: string, name: string, outcome: string) =>
  metric(
    new RegExp(`^jobs_processed_total\\{queue="${queue}",name="${name}",outcome="${outcome}"`),
  );

describe('retries', () => {
  it('a job that throws twice then succeeds completes on attempt 3, after the backoff delays', async () => {
    const key = randomUUID();
    const retriedBefore = await processed('flaky-test', 'flaky', 'retried');
    const job = await flakyQueue.add('flaky', { key, failTimes: 2 }, { jobId: key });

    const done = await waitFor(
      () => stateOf(flakyQueue, String(job.id)),
      (s) => s.state === 'completed',
      { what: 'completed' },
    );
    expect(done).toMatchObject({ attemptsMade: 3, returnvalue: { attempts: 3 } });
    const starts = attempts.get(key) ?? [];
    expect(starts).toHaveLength(3);
    const [a1, a2, a3] = starts as [number, number, number];
    // Jittered exponential: retry n waits [base·2^(n−1), base·2^n). Loosely, for timers.
    expect(a2 - a1).toBeGreaterThanOrEqual(BACKOFF_MS - 20);
    expect(a3 - a2).toBeGreaterThanOrEqual(2 * BACKOFF_MS - 20);
    expect(a3 - a1).toBeLessThan(6 * BACKOFF_MS + 1_000);
    expect(await processed('flaky-test', 'flaky', 'retried')).toBe(retriedBefore + 2);
  });
});

describe('dead letters', () => {
  it('a job that always throws ends in the dead-letter queue with its reason, and a retry from the admin route completes it', async () => {
    const key = randomUUID();
    const deadBefore = await processed('flaky-test', 'flaky', 'dead_lettered');
    await flakyQueue.add('flaky', { key, failTimes: 99 }, { jobId: key });
    const dlId = `flaky-test.${key}`;

    const dead = await waitFor(
      () => inject('GET', `/v1/dead-letters/${dlId}`),
      (r) => r.statusCode === 200,
      { what: 'dead letter' },
    );
    expect(dead.json()).toMatchObject({
      id: dlId,
      queue: 'flaky-test',
      name: 'flaky',
      originalJobId: key,
      kind: 'attempts-exhausted',
      failedReason: 'boom 3',
      attemptsMade: 3,
      data: { key, failTimes: 99 },
      retriedAt: null,
    });
    expect(dead.json().stacktrace.length).toBeGreaterThanOrEqual(1);
    expect(await stateOf(flakyQueue, key)).toMatchObject({ state: 'failed', attemptsMade: 3 });
    expect(await processed('flaky-test', 'flaky', 'dead_lettered')).toBe(deadBefore + 1);

    const listed = (await inject('GET', '/v1/dead-letters?queue=flaky-test&limit=100')).json();
    expect(listed.items.map((i: { id: string }) => i.id)).toContain(dlId);

    healed.add(key); // the bug is fixed; the operator retries
    const retry = await inject('POST', `/v1/dead-letters/${dlId}/retry`);
    expect(retry.statusCode).toBe(202);
    expect(retry.json()).toMatchObject({
      id: dlId,
      queue: 'flaky-test',
      retryJobId: `${key}.retry-1`,
    });

    const retried = await waitFor(
      () => stateOf(flakyQueue, `${key}.retry-1`),
      (s) => s.state === 'completed',
      { what: 'retried job completed' },
    );
    expect(retried.attemptsMade).toBe(1); // fresh attempts: it succeeded on its first
    expect(attempts.get(key)).toHaveLength(4);

    const again = await inject('POST', `/v1/dead-letters/${dlId}/retry`);
    expect(again.statusCode).toBe(409);
    expect(again.json()).toMatchObject({ code: 'already-retried' });
    expect((await inject('GET', `/v1/dead-letters/${dlId}`)).json()).toMatchObject({
      retryJobId: `${key}.retry-1`,
      retriedAt: expect.any(String),
    });
  });

  it('two retries at once re-enqueue the job once', async () => {
    const key = randomUUID();
    await flakyQueue.add('flaky', { key, failTimes: 99 }, { jobId: key, attempts: 1 });
    const dlId = `flaky-test.${key}`;
    await waitFor(
      () => inject('GET', `/v1/dead-letters/${dlId}`),
      (r) => r.statusCode === 200,
    );
    healed.add(key);
    const codes = (
      await Promise.all([1, 2, 3].map(() => inject('POST', `/v1/dead-letters/${dlId}/retry`)))
    ).map((r) => r.statusCode);
    expect(codes.sort()).toEqual([202, 409, 409]);
  });

  it('unknown dead letters are 404 for GET, retry and DELETE; DELETE removes one', async () => {
    for (const [method, url] of [
      ['GET', '/v1/dead-letters/nope.nope'],
      ['POST', '/v1/dead-letters/nope.nope/retry'],
      ['DELETE', '/v1/dead-letters/nope.nope'],
    ] as const) {
      const res = await inject(method, url);
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    }
    const key = randomUUID();
    await flakyQueue.add('flaky', { key, failTimes: 99 }, { jobId: key, attempts: 1 });
    const dlId = `flaky-test.${key}`;
    await waitFor(
      () => inject('GET', `/v1/dead-letters/${dlId}`),
      (r) => r.statusCode === 200,
    );
    expect((await inject('DELETE', `/v1/dead-letters/${dlId}`)).statusCode).toBe(204);
    expect((await inject('GET', `/v1/dead-letters/${dlId}`)).statusCode).toBe(404);
  });

  it('pages the list and filters it by queue', async () => {
    const all = (await inject('GET', '/v1/dead-letters?limit=100')).json();
    expect(all.items.length).toBeGreaterThanOrEqual(2);
    const first = (await inject('GET', '/v1/dead-letters?limit=1')).json();
    expect(first.items).toEqual([all.items[0]]);
    expect(first.nextOffset).toBe(1);
    const second = (await inject('GET', '/v1/dead-letters?limit=1&offset=1')).json();
    expect(second.items).toEqual([all.items[1]]);
    const none = (await inject('GET', '/v1/dead-letters?queue=no-such-queue')).json();
    expect(none).toEqual({ items: [], nextOffset: null });
    const bad = await inject('GET', '/v1/dead-letters?limit=0&extra=1');
    expect(bad.statusCode).toBe(400);
  });
});

describe('poison messages', () => {
  it('a malformed payload that reaches a worker is dead-lettered at once with invalid-payload, not retried', async () => {
    // Straight onto the queue with a raw BullMQ add, past the contract.
    const connection = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: null });
    const raw = new Queue(orderEvents.queue, {
      connection,
      prefix: queuePrefix(t.config.REDIS_PREFIX),
    });
    const jobId = randomUUID();
    const before = await processed('order-events', ORDER_CREATED, 'invalid_payload');
    await raw.add(ORDER_CREATED, { eventId: 'not-a-uuid', totalMinor: -1 }, { jobId, attempts: 8 });

    const dlId = `order-events.${jobId}`;
    const dead = await waitFor(
      () => inject('GET', `/v1/dead-letters/${dlId}`),
      (r) => r.statusCode === 200,
      { what: 'dead letter' },
    );
    expect(dead.json()).toMatchObject({
      kind: 'invalid-payload',
      attemptsMade: 1,
      failedReason: expect.stringMatching(
        /^invalid-payload: order-events\/order\.created job does not match its contract: .*eventId/,
      ),
    });
    await new Promise((r) => setTimeout(r, 300));
    const job = await raw.getJob(jobId);
    expect(await raw.getJobState(jobId)).toBe('failed');
    expect(job?.attemptsMade).toBeLessThanOrEqual(1);
    expect(await processed('order-events', ORDER_CREATED, 'invalid_payload')).toBe(before + 1);

    // Retrying it would only bring it back: refused, with the contract's reason.
    const retry = await inject('POST', `/v1/dead-letters/${dlId}/retry`);
    expect(retry.statusCode).toBe(409);
    expect(retry.json().code).toBe('invalid-payload');
    await raw.close();
    connection.disconnect();
  });

  it('a payload that breaks its contract is refused at enqueue, and nothing reaches Redis', async () => {
    const queue = queues.get(orderEvents.queue)?.queue as Queue;
    const countsBefore = await queue.getJobCounts();
    const jobId = randomUUID();
    await expect(
      enqueue(queue, orderEvents, ORDER_CREATED, { eventId: 'nope' } as never, { jobId }),
    ).rejects.toBeInstanceOf(InvalidJobPayloadError);
    expect(await queue.getJob(jobId)).toBeUndefined();
    expect(await redis.exists(`${queuePrefix(t.config.REDIS_PREFIX)}:order-events:${jobId}`)).toBe(
      0,
    );
    expect(await queue.getJobCounts()).toEqual(countsBefore);
  });
});

describe('observability', () => {
  it('exports per-queue depth gauges, outcome counters and the processing-time histogram', async () => {
    const count = () => metric(/^jobs_processing_seconds_count\{.*queue="flaky-test",name="flaky"/);
    const before = {
      completed: await processed('flaky-test', 'flaky', 'completed'),
      retried: await processed('flaky-test', 'flaky', 'retried'),
      timed: await count(),
    };
    const key = randomUUID();
    await flakyQueue.add('flaky', { key, failTimes: 1 }, { jobId: key });
    await waitFor(
      () => flakyQueue.getJobState(key),
      (s) => s === 'completed',
    );

    expect(await processed('flaky-test', 'flaky', 'completed')).toBe(before.completed + 1);
    expect(await processed('flaky-test', 'flaky', 'retried')).toBe(before.retried + 1);
    expect(await count()).toBe(before.timed + 2); // both attempts timed
    const body = (await t.app.inject({ url: '/metrics' })).body;
    for (const queue of ['demo', 'order-events', 'catalog-events', 'dead-letters', 'flaky-test']) {
      expect(body).toContain(`queue_jobs{queue="${queue}",state="waiting",service="jobs"}`);
    }
    expect(body).toContain('queue_jobs{queue="flaky-test",state="completed",service="jobs"}');
  });

  it('every log line of a job carries its queue, job id, attempt and the request id that caused it', async () => {
    // The runtime on its own, with a logger that keeps its lines.
    const lines: LogLine[] = [];
    const contract = defineQueue(
      'log-test',
      { hello: Type.Object({ requestId: Type.String() }) },
      { attempts: 2, backoff: { type: 'exponential', delay: 50 } },
    );
    const prefix = queuePrefix(t.config.REDIS_PREFIX);
    const connection = new Redis(t.config.REDIS_URL, { maxRetriesPerRequest: null });
    let calls = 0;
    const worker = createWorker(
      contract,
      {
        async hello(_data, ctx) {
          ctx.log.info({ step: 'inside' }, 'handler says hello');
          if (++calls === 1) throw new Error('first attempt fails');
        },
      },
      { concurrency: 1 },
      {
        connection,
        prefix,
        log: captureLogger(lines),
        deadLetters: queues.deadLetters,
        metrics: createJobMetrics(new Registry()),
        reliability: {
          lockDurationMs: 30_000,
          stalledIntervalMs: 30_000,
          maxStalledCount: 1,
          backoffMaxMs: 1_000,
        },
      },
    );
    const queue = new Queue(contract.queue, { connection: redis, prefix });
    const jobId = randomUUID();
    await enqueue(queue, contract, 'hello', { requestId: 'req-42' }, { jobId });
    await waitFor(
      () => queue.getJobState(jobId),
      (s) => s === 'completed',
    );
    await worker.close();
    await queue.close();
    connection.disconnect();

    const mine = lines.filter((l) => l.jobId === jobId);
    expect(mine.map((l) => [l.msg, l.attempt])).toEqual([
      ['job started', 1],
      ['handler says hello', 1],
      ['job attempt failed, will retry', 1],
      ['job started', 2],
      ['handler says hello', 2],
      ['job completed', 2],
    ]);
    for (const line of mine) {
      expect(line).toMatchObject({ queue: 'log-test', jobName: 'hello', requestId: 'req-42' });
    }
  });
});
