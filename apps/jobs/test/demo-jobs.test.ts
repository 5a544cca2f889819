// The jobs service end to end: enqueue over HTTP, a real BullMQ worker on the real Redis
// processes the job, the run lands in Postgres, and queue counts show up over HTTP and in
// /metrics. Invalid payloads are refused at the door.
import { randomUUID } from 'node:crypto';
import { createTestApp, type TestApp } from '@meridian/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { assertDemoPayload, DEMO_QUEUE } from '../src/queues/demo.queue.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, { REDIS_PREFIX: string }>;
const REDIS_URL = 'redis://127.0.0.1:6379';

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
  });
});
afterAll(() => t.close());

async function waitForState(jobId: string, state: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await t.app.inject({ url: `/v1/demo-jobs/${jobId}` });
    if (res.json().state === state || Date.now() > deadline) return res.json();
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('POST /v1/demo-jobs', () => {
  it('enqueues a job that a worker processes and records in Postgres', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/demo-jobs',
      payload: { message: 'hello queue' },
    });
    expect(res.statusCode).toBe(202);
    const { jobId, statusUrl } = res.json();
    expect(res.headers.location).toBe(statusUrl);

    const status = await waitForState(jobId, 'completed');
    expect(status).toMatchObject({
      state: 'completed',
      attemptsMade: 1,
      result: { echoed: 'hello queue', length: 11 },
    });

    const runs = await t.app.inject({ url: '/v1/job-runs?limit=5' });
    expect(runs.json().items).toEqual([
      expect.objectContaining({
        queue: 'demo',
        jobId,
        name: 'echo',
        payload: { message: 'hello queue' },
        result: { echoed: 'hello queue', length: 11 },
        attempts: 1,
      }),
    ]);
  });

  it('refuses an invalid payload with 400 and enqueues nothing', async () => {
    const before = (await t.app.inject({ url: '/v1/queues' })).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/demo-jobs',
      payload: { message: '', extra: true },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    const after = (await t.app.inject({ url: '/v1/queues' })).json();
    expect(after).toEqual(before);
  });
});

describe('GET /v1/demo-jobs/:id', () => {
  it('when the job does not exist, returns 404', async () => {
    const res = await t.app.inject({ url: '/v1/demo-jobs/00000000-0000-4000-8000-000000000000' });
    expect(res.statusCode).toBe(404);
  });
});

describe('queue visibility', () => {
  it('reports counts per state over HTTP and as a gauge in /metrics', async () => {
    const queues = (await t.app.inject({ url: '/v1/queues' })).json();
    expect(queues.items).toEqual([
      { name: 'demo', counts: expect.objectContaining({ completed: 1, failed: 0, waiting: 0 }) },
    ]);
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('queue_jobs{queue="demo",state="completed",service="jobs"} 1');
  });

  it('counts the worker in readiness', async () => {
    const res = await t.app.inject({ url: '/health/ready' });
    expect(res.json().checks).toEqual({ redis: 'up', postgres: 'up', workers: 'up' });
  });
});

describe('the worker side of the contract', () => {
  it('fails a malformed job at once instead of retrying it', async () => {
    // Straight onto the queue, past the HTTP validation: the worker must still refuse it.
    const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(DEMO_QUEUE, { connection, prefix: `${t.config.REDIS_PREFIX}bull` });
    const jobId = randomUUID();
    await queue.add('echo', { message: 7 }, { jobId, attempts: 3 });
    await queue.close();
    connection.disconnect();
    const status = await waitForState(jobId, 'failed');
    expect(status.state).toBe('failed');
    expect(status.failedReason).toMatch(/does not match its schema/);
    // A retried job would be back to waiting/active with more attempts; this one stays put.
    // (BullMQ reports 0 or 1 attempts for an unrecoverable failure, depending on timing.)
    await new Promise((r) => setTimeout(r, 300));
    const later = (await t.app.inject({ url: `/v1/demo-jobs/${jobId}` })).json();
    expect(later.state).toBe('failed');
    expect(later.attemptsMade).toBeLessThanOrEqual(1);
  });

  it('refuses a payload that does not match the schema', () => {
    expect(() => assertDemoPayload({ message: 42 })).toThrow(/schema/);
    expect(assertDemoPayload({ message: 'ok' })).toEqual({ message: 'ok' });
  });
});
