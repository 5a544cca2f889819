// The jobs service end to end: enqueue over HTTP, a real BullMQ worker on the real Redis
// processes the job, the run lands in Postgres, and queue counts show up over HTTP and in
// /metrics. Invalid payloads are refused at the door. Every /v1 route needs jobs:admin; the
// tokens come from a test issuer whose JWKS the service fetches over real HTTP.
import { randomUUID } from 'node:crypto';
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { assertDemoPayload, DEMO_QUEUE } from '../src/queues/demo.queue.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, { REDIS_PREFIX: string }>;
let issuer: TestIssuer;
let admin: { authorization: string };
const REDIS_URL = 'redis://127.0.0.1:6379';

beforeAll(async () => {
  issuer = await createTestIssuer();
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    env: issuer.env,
  });
  const token = await issuer.sign({
    sub: 'admin-1',
    roles: ['admin'],
    permissions: ['jobs:admin'],
  });
  admin = { authorization: `Bearer ${token}` };
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

/** A GET as the jobs admin. */
const get = (url: string) => t.app.inject({ url, headers: admin });

async function waitForState(jobId: string, state: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await get(`/v1/demo-jobs/${jobId}`);
    if (res.json().state === state || Date.now() > deadline) return res.json();
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('POST /v1/demo-jobs', () => {
  it('enqueues a job that a worker processes and records in Postgres', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/demo-jobs',
      headers: admin,
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

    const runs = await get('/v1/job-runs?limit=5');
    expect(runs.json().items).toEqual([
      expect.objectContaining({
        queue: 'demo',
        jobId,
        name: 'echo',
        // The job carries the request id of the POST that enqueued it (for its logs).
        payload: { message: 'hello queue', requestId: res.headers['x-request-id'] },
        result: { echoed: 'hello queue', length: 11 },
        attempts: 1,
      }),
    ]);
  });

  it('refuses an invalid payload with 400 and enqueues nothing', async () => {
    const before = (await get('/v1/queues')).json();
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/demo-jobs',
      headers: admin,
      payload: { message: '', extra: true },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    const after = (await get('/v1/queues')).json();
    expect(after).toEqual(before);
  });
});

describe('GET /v1/demo-jobs/:id', () => {
  it('when the job does not exist, returns 404', async () => {
    const res = await get('/v1/demo-jobs/00000000-0000-4000-8000-000000000000');
    expect(res.statusCode).toBe(404);
  });
});

describe('queue visibility', () => {
  it('reports counts per state over HTTP and as a gauge in /metrics', async () => {
    const queues = (await get('/v1/queues')).json();
    expect(queues.items.map((q: { name: string }) => q.name)).toEqual([
      'demo',
      'order-events',
      'catalog-events',
      'dead-letters',
    ]);
    expect(queues.items[0]).toEqual({
      name: 'demo',
      counts: expect.objectContaining({ completed: 1, failed: 0, waiting: 0 }),
    });
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toContain('queue_jobs{queue="demo",state="completed",service="jobs"} 1');
  });

  it('counts the worker in readiness', async () => {
    const res = await t.app.inject({ url: '/health/ready' });
    expect(res.json().checks).toEqual({ redis: 'up', postgres: 'up', workers: 'up' });
  });
});

describe('who may use the jobs API', () => {
  const ROUTES = [
    { method: 'POST', url: '/v1/demo-jobs', payload: { message: 'not allowed' } },
    { method: 'GET', url: '/v1/demo-jobs/00000000-0000-4000-8000-000000000000' },
    { method: 'GET', url: '/v1/job-runs' },
    { method: 'GET', url: '/v1/queues' },
  ] as const;

  it.each(ROUTES)('$method $url without a token: 401 problem+json', async (route) => {
    const res = await t.app.inject(route);
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.headers['www-authenticate']).toBe('Bearer realm="meridian"');
    expect(res.json().code).toBe('unauthorized');
  });

  it.each(ROUTES)('$method $url without jobs:admin: 403 naming it', async (route) => {
    const token = await issuer.sign({
      sub: 'staff-1',
      roles: ['staff'],
      permissions: ['catalog:write', 'orders:manage'],
    });
    const res = await t.app.inject({ ...route, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      code: 'forbidden',
      detail: 'Missing permission: jobs:admin.',
    });
  });

  it('with an expired jobs:admin token: 401 invalid-token', async () => {
    const token = await issuer.sign(
      { sub: 'admin-1', permissions: ['jobs:admin'] },
      { expiresIn: -60, issuedAt: -660 },
    );
    const res = await t.app.inject({
      url: '/v1/queues',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid-token');
  });

  it('refused requests enqueue nothing', async () => {
    const before = (await get('/v1/queues')).json();
    await t.app.inject(ROUTES[0]);
    const after = (await get('/v1/queues')).json();
    expect(after).toEqual(before);
  });

  it('documents every /v1 route as needing the bearer token', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    let checked = 0;
    for (const [path, methods] of Object.entries<Record<string, { security?: unknown }>>(
      doc.paths,
    )) {
      if (!path.startsWith('/v1/')) continue;
      for (const [method, op] of Object.entries(methods)) {
        expect(op.security, `${method} ${path}`).toEqual([{ bearerAuth: [] }]);
        checked++;
      }
    }
    expect(checked).toBe(8); // the demo routes and the dead-letter routes
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
    expect(status.failedReason).toMatch(/^invalid-payload: demo\/echo job does not match/);
    // A retried job would be back to waiting/active with more attempts; this one stays put.
    // (BullMQ reports 0 or 1 attempts for an unrecoverable failure, depending on timing.)
    await new Promise((r) => setTimeout(r, 300));
    const later = (await get(`/v1/demo-jobs/${jobId}`)).json();
    expect(later.state).toBe('failed');
    expect(later.attemptsMade).toBeLessThanOrEqual(1);
  });

  it('refuses a payload that does not match the schema', () => {
    expect(() => assertDemoPayload({ message: 42 })).toThrow(/schema/);
    expect(assertDemoPayload({ message: 'ok' })).toEqual({ message: 'ok' });
  });
});
