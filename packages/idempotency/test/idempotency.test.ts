// Idempotency keys through a real service (the kit, a real token issuer, the real Postgres):
// a retry replays, a reused key is refused, concurrent duplicates never run the handler
// twice, a failed request frees its key, a dead request's key is taken over once, keys
// expire and are pruned, and the counter tells which of these happened.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { AppError } from '@meridian/errors';
import type { ServiceInstance } from '@meridian/service-kit';
import {
  createTestDatabase,
  createTestIssuer,
  type TestDatabase,
  type TestIssuer,
} from '@meridian/testing';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import type { Counter } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { OUTCOMES, type Outcome, pruneIdempotencyKeys } from '../src/index.ts';
import { buildFixtureApp, handlerSteps } from './fixtures/app.ts';
import { idempotencyKeys } from './fixtures/schema.ts';

const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const PROBLEM = 'application/problem+json; charset=utf-8';

let database: TestDatabase;
let issuer: TestIssuer;
let app: ServiceInstance;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase({ schema: 'idempotency_test', migrationsFolder: MIGRATIONS });
  issuer = await createTestIssuer();
  app = await buildFixtureApp({ databaseUrl: database.url, auth: issuer.env });
  await app.ready();
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await app?.close();
  await pool?.end();
  await issuer?.close();
  await database?.drop();
});
afterEach(() => {
  // A step a test queued but no request used must not leak into the next test.
  handlerSteps.length = 0;
});

/** A caller of its own per test: its rows and keys are the test's alone. */
async function caller() {
  const subject = `user-${randomUUID()}`;
  const token = await issuer.sign({ sub: subject });
  return { subject, authorization: `Bearer ${token}` };
}
type Caller = Awaited<ReturnType<typeof caller>>;

function post(
  who: Caller,
  key: string | undefined,
  body: unknown = { name: 'lamp', size: 3 },
  url = '/v1/things',
) {
  return app.inject({
    method: 'POST',
    url,
    headers: {
      authorization: who.authorization,
      ...(key === undefined ? {} : { 'idempotency-key': key }),
    },
    payload: body as object,
  });
}

async function thingsOf(who: Caller) {
  const { rows } = await pool.query<{ id: string; name: string }>(
    'SELECT id, name FROM idempotency_test.things WHERE owner = $1 ORDER BY created_at',
    [who.subject],
  );
  return rows;
}

async function keysOf(who: Caller) {
  const { rows } = await pool.query<{
    key: string;
    fingerprint: string;
    state: string;
    lock_id: string | null;
    response_status: number | null;
    response_headers: Record<string, string> | null;
    response_body: string | null;
    window_ms: number;
    leased: boolean;
  }>(
    `SELECT key, fingerprint, state, lock_id, response_status, response_headers, response_body,
            extract(epoch FROM expires_at - created_at) * 1000 AS window_ms,
            coalesce(locked_until > now(), false) AS leased
       FROM idempotency_test.idempotency_keys WHERE owner = $1 ORDER BY created_at`,
    [who.subject],
  );
  return rows.map((r) => ({ ...r, window_ms: Number(r.window_ms) }));
}

/** As if the window had passed: the caller's keys expired a second ago. */
async function expireKeys(who: Caller) {
  await pool.query(
    `UPDATE idempotency_test.idempotency_keys
        SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'
      WHERE owner = $1`,
    [who.subject],
  );
}

/** As if the process holding the key had died: its lease ran out a second ago. */
async function expireLease(who: Caller) {
  await pool.query(
    `UPDATE idempotency_test.idempotency_keys SET locked_until = now() - interval '1 second'
      WHERE owner = $1 AND state = 'in_flight'`,
    [who.subject],
  );
}

async function until(check: () => Promise<boolean>, timeoutMs = 5_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(10);
  }
}

/** A promise a test resolves when it wants a held handler to go on. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

async function outcomes(): Promise<Record<Outcome, number>> {
  const counter = app.metrics.registry.getSingleMetric('idempotency_requests_total') as
    | Counter<'outcome'>
    | undefined;
  const values = counter ? (await counter.get()).values : [];
  const out = Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  for (const v of values) out[v.labels.outcome as Outcome] = v.value;
  return out;
}

async function outcomesSince(before: Record<Outcome, number>) {
  const now = await outcomes();
  return Object.fromEntries(OUTCOMES.map((o) => [o, now[o] - before[o]]));
}

function expectProblem(res: Awaited<ReturnType<typeof post>>, status: number, code: string) {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM);
  expect(res.json()).toMatchObject({ status, code, type: `urn:meridian:problem:${code}` });
}

describe('POST with an Idempotency-Key', () => {
  it('the first request runs the handler: 201 with Location, and the key stored with its response', async () => {
    const alice = await caller();
    const key = randomUUID();

    const res = await post(alice, key);

    expect(res.statusCode).toBe(201);
    expect(res.headers.location).toMatch(/^\/v1\/things\/[0-9a-f-]{36}$/);
    expect(res.headers['idempotent-replayed']).toBeUndefined();
    expect(await thingsOf(alice)).toHaveLength(1);
    expect(await keysOf(alice)).toEqual([
      {
        key,
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        state: 'completed',
        lock_id: null,
        response_status: 201,
        // content-type and location always; x-thing-version because the route lists it.
        response_headers: {
          'content-type': res.headers['content-type'],
          location: res.headers.location,
          'x-thing-version': '1',
        },
        response_body: res.body,
        window_ms: 24 * 3_600_000,
        leased: false,
      },
    ]);
  });

  it('a retry with the same key and body replays status, headers and body byte for byte, without running the handler', async () => {
    const alice = await caller();
    const key = randomUUID();
    const first = await post(alice, key, { name: 'lamp', size: 3, tags: ['a', 'b'] });

    // The same body with its keys in another order is the same request (canonical JSON).
    const retry = await post(alice, key, { tags: ['a', 'b'], size: 3, name: 'lamp' });

    expect(retry.statusCode).toBe(201);
    expect(retry.rawPayload.equals(first.rawPayload)).toBe(true);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['content-type']).toBe(first.headers['content-type']);
    expect(retry.headers['x-thing-version']).toBe('1');
    expect(retry.headers['x-not-stored']).toBeUndefined();
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await thingsOf(alice)).toHaveLength(1);
  });

  it('the same key with a different body is 422 idempotency-key-reused, and nothing changes', async () => {
    const alice = await caller();
    const key = randomUUID();
    await post(alice, key, { name: 'lamp' });
    const before = await keysOf(alice);

    const res = await post(alice, key, { name: 'sofa' });

    expectProblem(res, 422, 'idempotency-key-reused');
    expect(await thingsOf(alice)).toEqual([expect.objectContaining({ name: 'lamp' })]);
    expect(await keysOf(alice)).toEqual(before);
  });

  it('the same key and body on another route is a different request: 422', async () => {
    const alice = await caller();
    const key = randomUUID();
    expect((await post(alice, key, { name: 'lamp' }, '/v1/things')).statusCode).toBe(201);

    const res = await post(alice, key, { name: 'lamp' }, '/v1/gadgets');

    expectProblem(res, 422, 'idempotency-key-reused');
    expect(await thingsOf(alice)).toHaveLength(1);
  });

  it('a key in flight answers 409 idempotency-key-in-flight with Retry-After; once done, it replays', async () => {
    const alice = await caller();
    const key = randomUUID();
    const held = gate();
    handlerSteps.push(() => held.opened);
    const first = post(alice, key);
    await until(async () => (await keysOf(alice))[0]?.state === 'in_flight');

    const duplicate = await post(alice, key);

    expectProblem(duplicate, 409, 'idempotency-key-in-flight');
    expect(duplicate.headers['retry-after']).toBe('1');
    held.open();
    expect((await first).statusCode).toBe(201);
    const later = await post(alice, key);
    expect(later.statusCode).toBe(201);
    expect(later.headers['idempotent-replayed']).toBe('true');
    expect(await thingsOf(alice)).toHaveLength(1);
  });

  it('50 concurrent requests with one key: one row; every other answer is a replay or a 409', async () => {
    const alice = await caller();
    const key = randomUUID();
    // The handler takes a while, so most duplicates arrive while it runs.
    handlerSteps.push(() => sleep(150));
    const before = await outcomes();

    const answers = await Promise.all(Array.from({ length: 50 }, () => post(alice, key)));

    expect(await thingsOf(alice)).toHaveLength(1);
    const fresh = answers.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed']);
    const replays = answers.filter((r) => r.headers['idempotent-replayed'] === 'true');
    const busy = answers.filter((r) => r.statusCode === 409);
    expect(fresh).toHaveLength(1);
    expect(replays.length + busy.length).toBe(49);
    expect(busy.length).toBeGreaterThan(0);
    for (const r of replays) {
      expect(r.statusCode).toBe(201);
      expect(r.body).toBe(fresh[0]?.body);
    }
    for (const r of busy) {
      expect(r.json()).toMatchObject({ code: 'idempotency-key-in-flight' });
      expect(r.headers['retry-after']).toBe('1');
    }
    expect(await outcomesSince(before)).toMatchObject({
      new: 1,
      replayed: replays.length,
      in_flight: busy.length,
      mismatch: 0,
      taken_over: 0,
    });
  });

  it('two callers with the same key are independent: each gets its own result', async () => {
    const alice = await caller();
    const bob = await caller();
    const key = randomUUID();

    const a = await post(alice, key, { name: 'lamp' });
    const b = await post(bob, key, { name: 'sofa' });

    expect(a.statusCode).toBe(201);
    expect(b.statusCode).toBe(201);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.headers.location).not.toBe(a.headers.location);
    expect(await thingsOf(alice)).toEqual([expect.objectContaining({ name: 'lamp' })]);
    expect(await thingsOf(bob)).toEqual([expect.objectContaining({ name: 'sofa' })]);
    // Bob's replay is his own response, never Alice's.
    const bobAgain = await post(bob, key, { name: 'sofa' });
    expect(bobAgain.body).toBe(b.body);
  });
});

describe('which answers are final', () => {
  it('a 5xx from the handler frees the key: the retry runs the handler, and its 201 is kept', async () => {
    const alice = await caller();
    const key = randomUUID();
    handlerSteps.push(async () => {
      throw new AppError({ status: 503, code: 'catalog-unavailable', detail: 'Catalog is down.' });
    });

    const failed = await post(alice, key);
    expectProblem(failed, 503, 'catalog-unavailable');
    expect(await keysOf(alice)).toEqual([]);

    const retry = await post(alice, key);
    expect(retry.statusCode).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBeUndefined();
    expect(await thingsOf(alice)).toHaveLength(1);
    expect((await post(alice, key)).headers['idempotent-replayed']).toBe('true');
  });

  it('a 4xx from the handler is a final answer: stored and replayed, the handler not run again', async () => {
    const alice = await caller();
    const key = randomUUID();
    handlerSteps.push(async () => {
      throw new AppError({ status: 422, code: 'out-of-stock', detail: 'Only 2 left.' });
    });

    const first = await post(alice, key);
    expectProblem(first, 422, 'out-of-stock');
    const retry = await post(alice, key);

    expect(retry.statusCode).toBe(422);
    expect(retry.body).toBe(first.body); // the first request's problem document, request id included
    expect(retry.headers['content-type']).toBe(PROBLEM);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(await thingsOf(alice)).toEqual([]);
  });

  it('a 409 or 429 from the handler is not stored: the retry runs the handler', async () => {
    const alice = await caller();
    for (const status of [409, 429]) {
      const key = randomUUID();
      handlerSteps.push(async () => {
        throw new AppError({ status, code: 'try-later', detail: 'Not now.' });
      });
      expect((await post(alice, key)).statusCode).toBe(status);
      expect(await keysOf(alice).then((keys) => keys.filter((k) => k.key === key))).toEqual([]);
      expect((await post(alice, key)).statusCode).toBe(201);
    }
    expect(await thingsOf(alice)).toHaveLength(2);
  });
});

describe('leases and expiry', () => {
  it('a key whose holder died is taken over by exactly one of several retries; the late holder cannot undo it', async () => {
    const alice = await caller();
    const key = randomUUID();
    const held = gate();
    // The first request hangs, then fails: a process that stalled and died.
    handlerSteps.push(async () => {
      await held.opened;
      throw new AppError({ status: 503, code: 'gone', detail: 'The holder died.' });
    });
    const original = post(alice, key);
    await until(async () => (await keysOf(alice))[0]?.state === 'in_flight');
    const [{ lock_id: originalLock } = { lock_id: null }] = await keysOf(alice);
    await expireLease(alice);
    handlerSteps.push(() => sleep(150)); // for the one retry that takes over
    const before = await outcomes();

    const retries = await Promise.all(Array.from({ length: 8 }, () => post(alice, key)));

    const fresh = retries.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replayed']);
    expect(fresh).toHaveLength(1);
    for (const r of retries) {
      if (r !== fresh[0]) expect([409, 201]).toContain(r.statusCode);
    }
    expect(await outcomesSince(before)).toMatchObject({ taken_over: 1, new: 0 });
    const [row] = await keysOf(alice);
    expect(row).toMatchObject({ state: 'completed', response_body: fresh[0]?.body });
    expect(row?.lock_id).not.toBe(originalLock);

    // The original wakes up and fails: its 5xx must not release the key it no longer holds.
    held.open();
    expect((await original).statusCode).toBe(503);
    expect(await keysOf(alice)).toMatchObject([
      { state: 'completed', response_body: fresh[0]?.body },
    ]);
    expect(await thingsOf(alice)).toHaveLength(1);
  });

  it('a key past its window counts as unused: the next request claims it afresh, even with another body', async () => {
    const alice = await caller();
    const key = randomUUID();
    const first = await post(alice, key, { name: 'lamp' });
    await expireKeys(alice);

    const again = await post(alice, key, { name: 'sofa' });

    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replayed']).toBeUndefined();
    expect(again.headers.location).not.toBe(first.headers.location);
    expect(await thingsOf(alice)).toHaveLength(2);
    expect(await keysOf(alice)).toMatchObject([
      { state: 'completed', response_body: again.body, window_ms: 24 * 3_600_000 },
    ]);
  });

  it('an in-flight key past its window but within its lease is still protected', async () => {
    const alice = await caller();
    const key = randomUUID();
    const held = gate();
    handlerSteps.push(() => held.opened);
    const first = post(alice, key);
    await until(async () => (await keysOf(alice))[0]?.state === 'in_flight');
    await expireKeys(alice);

    expectProblem(await post(alice, key), 409, 'idempotency-key-in-flight');
    held.open();
    expect((await first).statusCode).toBe(201);
    expect(await thingsOf(alice)).toHaveLength(1);
  });

  it('pruneIdempotencyKeys deletes expired keys in batches, and only those', async () => {
    const alice = await caller();
    const bob = await caller();
    const db = drizzle(pool);
    for (let i = 0; i < 5; i++) await post(alice, `old-${i}`, { name: `n${i}` });
    await expireKeys(alice);
    await post(alice, 'current', { name: 'new' });
    await post(bob, 'old-0', { name: 'n0' }); // same key, other owner, not expired
    // An in-flight key past its window, still leased: not prunable.
    const held = gate();
    handlerSteps.push(() => held.opened);
    const running = post(bob, 'running');
    await until(async () => (await keysOf(bob)).some((k) => k.key === 'running'));
    await pool.query(
      `UPDATE idempotency_test.idempotency_keys
          SET created_at = now() - interval '2 days', expires_at = now() - interval '1 second'
        WHERE owner = $1 AND key = 'running'`,
      [bob.subject],
    );

    const pruned = await pruneIdempotencyKeys(db, idempotencyKeys, { batchSize: 2 });

    expect(pruned).toBeGreaterThanOrEqual(5); // other tests' expired keys may go too
    expect((await keysOf(alice)).map((k) => k.key)).toEqual(['current']);
    expect((await keysOf(bob)).map((k) => k.key).sort()).toEqual(['old-0', 'running']);
    expect(await pruneIdempotencyKeys(db, idempotencyKeys)).toBe(0);
    held.open();
    await running;
  });
});

describe('the header', () => {
  it('missing on a route that requires it: 400 idempotency-key-required, the handler not run', async () => {
    const alice = await caller();
    expectProblem(await post(alice, undefined), 400, 'idempotency-key-required');
    expect(await thingsOf(alice)).toEqual([]);
  });

  it.each([
    ['empty', ''],
    ['longer than 255 characters', 'k'.repeat(256)],
    ['not ASCII', 'clé-1'],
    ['a control character', 'a\tb'],
    ['a broken quoted string', '"a"b"'],
  ])('malformed (%s): 400 idempotency-key-invalid, nothing stored', async (_why, key) => {
    const alice = await caller();
    expectProblem(await post(alice, key), 400, 'idempotency-key-invalid');
    expect(await thingsOf(alice)).toEqual([]);
    expect(await keysOf(alice)).toEqual([]);
  });

  it('the draft’s quoted form and the bare form name the same key; 255 characters is fine', async () => {
    const alice = await caller();
    const long = 'k'.repeat(255);
    expect((await post(alice, long)).statusCode).toBe(201);
    const quoted = await post(alice, `"${long}"`);
    expect(quoted.headers['idempotent-replayed']).toBe('true');
    expect(await thingsOf(alice)).toHaveLength(1);
  });

  it('on a route where it is optional, a request without it runs unprotected', async () => {
    const alice = await caller();
    const a = await post(alice, undefined, { name: 'lamp' }, '/v1/optional');
    const b = await post(alice, undefined, { name: 'lamp' }, '/v1/optional');
    expect([a.statusCode, b.statusCode]).toEqual([201, 201]);
    expect(await thingsOf(alice)).toHaveLength(2);
    expect(await keysOf(alice)).toEqual([]);
  });
});

describe('metrics', () => {
  it('idempotency_requests_total counts each outcome on the service’s /metrics', async () => {
    const alice = await caller();
    const key = randomUUID();
    const before = await outcomes();

    await post(alice, key, { name: 'lamp' }); // new
    await post(alice, key, { name: 'lamp' }); // replayed
    await post(alice, key, { name: 'sofa' }); // mismatch

    expect(await outcomesSince(before)).toEqual({
      new: 1,
      replayed: 1,
      in_flight: 0,
      mismatch: 1,
      taken_over: 0,
    });
    const page = await app.inject({ url: '/metrics' });
    expect(page.body).toMatch(
      /idempotency_requests_total\{outcome="replayed",service="idempotency-fixture"\} \d+/,
    );
  });
});
