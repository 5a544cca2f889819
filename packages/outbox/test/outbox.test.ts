// The outbox against the real Postgres and Redis: an event commits or rolls back with its
// transaction, the relay delivers it to a real BullMQ worker, two relays never publish a row
// twice, a re-publish is one job, and a Redis outage loses nothing.
import { fileURLToPath } from 'node:url';
import { defineQueue, InvalidJobPayloadError, queuePrefix } from '@meridian/queues';
import { closeRedis, createRedis } from '@meridian/redis';
import {
  createTcpProxy,
  createTestDatabase,
  type TcpProxy,
  type TestDatabase,
  uniquePrefix,
} from '@meridian/testing';
import { type Job, Queue, Worker } from 'bullmq';
import { drizzle } from 'drizzle-orm/node-postgres';
import pg from 'pg';
import { Registry } from 'prom-client';
import { Type } from 'typebox';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createOutboxRelay, type OutboxRelayOptions, writeOutbox } from '../src/index.ts';
import { outbox } from './fixtures/schema.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const things = defineQueue('outbox-test', {
  'thing.happened': Type.Object(
    { n: Type.Integer({ minimum: 0 }) },
    { additionalProperties: false },
  ),
});
const event = (n: number) => ({
  contract: things,
  name: 'thing.happened' as const,
  payload: { n },
});

let database: TestDatabase;
let pool: pg.Pool;
let db: ReturnType<typeof drizzle>;

beforeAll(async () => {
  database = await createTestDatabase({ schema: 'outbox_test', migrationsFolder: MIGRATIONS });
  pool = new pg.Pool({ connectionString: database.url, max: 8 });
  db = drizzle(pool);
});
afterAll(async () => {
  await pool.end();
  await database.drop();
});

// Every test starts with an empty table and its own Redis prefix; what it opens, it closes.
let prefix: string;
const cleanups: Array<() => Promise<void>> = [];
beforeEach(async () => {
  await pool.query('DELETE FROM outbox_test.outbox');
  prefix = queuePrefix(uniquePrefix('test:outbox'));
});
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function relay(opts: Partial<OutboxRelayOptions> = {}) {
  const r = createOutboxRelay({
    db,
    table: outbox,
    contracts: [things],
    redisUrl: REDIS_URL,
    prefix,
    name: 'test',
    retryBaseMs: 100,
    retryMaxMs: 400,
    ...opts,
  });
  cleanups.push(() => r.stop());
  return r;
}

/** A real worker on the test's prefix, and the jobs it processed. */
function worker() {
  const connection = createRedis({ url: REDIS_URL, role: 'worker', name: 'outbox-test:worker' });
  const received: Job[] = [];
  const w = new Worker(
    things.queue,
    async (job) => {
      received.push(job);
    },
    { connection, prefix },
  );
  cleanups.push(async () => {
    await w.close();
    await closeRedis(connection);
  });
  return received;
}

/** A plain view of the queue in Redis, to count jobs. */
function inspect() {
  const connection = createRedis({ url: REDIS_URL, role: 'producer', name: 'outbox-test:inspect' });
  const queue = new Queue(things.queue, { connection, prefix });
  cleanups.push(async () => {
    await queue.obliterate({ force: true });
    await queue.close();
    await closeRedis(connection);
  });
  return queue;
}

async function rows() {
  const { rows } = await pool.query<{
    id: string;
    published: boolean;
    attempts: number;
    last_error: string | null;
    due: boolean;
  }>(
    `SELECT id, published_at IS NOT NULL AS published, attempts, last_error,
            available_at <= now() AS due
       FROM outbox_test.outbox ORDER BY created_at`,
  );
  return rows;
}

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

describe('writeOutbox', () => {
  it('writes nothing when the business transaction rolls back, one row when it commits', async () => {
    await expect(
      db.transaction(async (tx) => {
        await writeOutbox(tx, outbox, event(1));
        throw new Error('the state change failed');
      }),
    ).rejects.toThrow('the state change failed');
    expect(await rows()).toEqual([]);

    const id = await db.transaction((tx) => writeOutbox(tx, outbox, event(2)));
    const { rows: stored } = await pool.query('SELECT * FROM outbox_test.outbox');
    expect(stored).toEqual([
      expect.objectContaining({
        id,
        queue: 'outbox-test',
        name: 'thing.happened',
        payload: { n: 2 },
        published_at: null,
        attempts: 0,
        last_error: null,
      }),
    ]);
  });

  it('refuses a payload the contract forbids before storing it, and the transaction with it', async () => {
    await expect(
      db.transaction(async (tx) => {
        await writeOutbox(tx, outbox, event(1));
        // @ts-expect-error: the payload type already says no
        await writeOutbox(tx, outbox, { ...event(1), payload: { n: -1, extra: true } });
      }),
    ).rejects.toThrow(InvalidJobPayloadError);
    expect(await rows()).toEqual([]);
  });

  it('uses the id it is given: the event id a payload can carry too', async () => {
    const id = '6f1c1c0e-8a4b-4c5e-9d2f-0a1b2c3d4e5f';
    expect(await db.transaction((tx) => writeOutbox(tx, outbox, { ...event(1), id }))).toBe(id);
  });
});

describe('the relay', () => {
  it('delivers a committed event to a real worker, with the row id as job id, then marks the row', async () => {
    const received = worker();
    const id = await db.transaction((tx) => writeOutbox(tx, outbox, event(7)));

    expect(await relay().drain()).toEqual({ claimed: 1, published: 1, failed: 0 });

    await until(() => received.length === 1);
    expect(received[0]).toMatchObject({ id, name: 'thing.happened', data: { n: 7 } });
    expect(await rows()).toEqual([
      { id, published: true, attempts: 1, last_error: null, due: expect.any(Boolean) },
    ]);
  });

  it('two relays draining at once publish every row once: 200 rows, 200 adds, 200 jobs', async () => {
    const queue = inspect();
    await db.transaction(async (tx) => {
      for (let n = 0; n < 200; n++) await writeOutbox(tx, outbox, event(n));
    });
    const registry = new Registry();
    const a = relay({ batchSize: 15, registry });
    const b = relay({ batchSize: 15, registry: new Registry() });

    const [ra, rb] = await Promise.all([a.drain(), b.drain()]);

    expect(ra.published + rb.published).toBe(200);
    expect(ra.published).toBeGreaterThan(0);
    expect(rb.published).toBeGreaterThan(0);
    expect(await queue.getJobCountByTypes('waiting', 'active', 'completed')).toBe(200);
    const stored = await rows();
    expect(stored.every((r) => r.published && r.attempts === 1)).toBe(true);
  });

  it('a row published again (a crash before it was marked) is still one job', async () => {
    const queue = inspect();
    const id = await db.transaction((tx) => writeOutbox(tx, outbox, event(1)));
    const r = relay();
    await r.drain();
    // As if the relay died after Redis took the job but before the UPDATE committed.
    await pool.query(
      'UPDATE outbox_test.outbox SET published_at = NULL, available_at = now() WHERE id = $1',
      [id],
    );

    expect(await r.drain()).toMatchObject({ published: 1 });
    expect(await queue.getJobCountByTypes('waiting', 'active', 'completed')).toBe(1);
    expect(await rows()).toMatchObject([{ id, published: true, attempts: 2 }]);
  });

  describe('when Redis is down', () => {
    let proxy: TcpProxy;
    beforeEach(async () => {
      proxy = await createTcpProxy({ host: '127.0.0.1', port: Number(new URL(REDIS_URL).port) });
      cleanups.push(() => proxy.close());
    });

    it('keeps the rows with their error and a backoff, and delivers them once Redis is back', async () => {
      const received = worker(); // the worker talks to Redis directly, the relay through the proxy
      // A backoff long enough that a loaded machine cannot reach the checks below after it.
      const r = relay({
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
        publishTimeoutMs: 500,
        retryBaseMs: 1_500,
        retryMaxMs: 3_000,
      });
      await proxy.cut();
      await db.transaction(async (tx) => {
        for (const n of [1, 2, 3]) await writeOutbox(tx, outbox, event(n));
      });

      expect(await r.drain()).toEqual({ claimed: 3, published: 0, failed: 3 });
      const failed = await rows();
      expect(failed).toHaveLength(3);
      for (const row of failed) {
        expect(row).toMatchObject({ published: false, attempts: 1, due: false });
        expect(row.last_error).toMatch(/took longer than 500 ms|max retries|ECONNREFUSED/i);
      }
      // Backed off: a drain right away finds nothing due and does not hammer Redis.
      expect(await r.drain()).toEqual({ claimed: 0, published: 0, failed: 0 });

      await proxy.restore();
      await until(async () => (await rows()).every((row) => row.due));
      // The relay's connection may still be reconnecting: drain until it has gone through.
      await until(async () => {
        await r.drain();
        return (await rows()).every((row) => row.published);
      });
      await until(() => received.length === 3);
      expect(received.map((j) => j.data.n).sort()).toEqual([1, 2, 3]);
      for (const row of await rows()) expect(row.attempts).toBeGreaterThanOrEqual(2);
    });

    it('stop() waits for the batch in flight, then closes without hanging', async () => {
      const r = relay({
        redisUrl: `redis://127.0.0.1:${proxy.port}`,
        publishTimeoutMs: 800,
        intervalMs: 20,
      });
      await proxy.cut();
      await db.transaction((tx) => writeOutbox(tx, outbox, event(1)));
      r.start();
      await until(async () => (await rows())[0]?.attempts === 1); // claimed: publishing now

      const started = Date.now();
      await r.stop();
      // The batch ran to its end (the failure recorded) before stop() resolved.
      expect((await rows())[0]).toMatchObject({ published: false, last_error: expect.any(String) });
      expect(Date.now() - started).toBeLessThan(5_000);
    });
  });

  it('polls on its own once started', async () => {
    const received = worker();
    relay({ intervalMs: 20 }).start();
    await db.transaction((tx) => writeOutbox(tx, outbox, event(42)));
    await until(() => received.length === 1);
    expect(received[0]?.data).toEqual({ n: 42 });
  });

  it('retries a row for a queue it has no contract for, rather than losing it', async () => {
    await pool.query(
      "INSERT INTO outbox_test.outbox (queue, name, payload) VALUES ('elsewhere', 'x', '{}')",
    );
    expect(await relay().drain()).toMatchObject({ published: 0, failed: 1 });
    expect(await rows()).toEqual([
      expect.objectContaining({
        published: false,
        last_error: 'no contract for queue "elsewhere" in this relay',
      }),
    ]);
  });

  it('prunes published rows older than the retention, and nothing else', async () => {
    await pool.query(
      `INSERT INTO outbox_test.outbox (queue, name, payload, published_at) VALUES
         ('outbox-test', 'thing.happened', '{"n":1}', now() - interval '8 days'),
         ('outbox-test', 'thing.happened', '{"n":2}', now() - interval '1 day'),
         ('outbox-test', 'thing.happened', '{"n":3}', NULL)`,
    );
    await pool.query(
      "UPDATE outbox_test.outbox SET created_at = now() - interval '30 days', available_at = now() + interval '1 hour'",
    );
    expect(await relay({ retentionMs: 7 * 24 * 3_600_000 }).prune()).toBe(1);
    const { rows: left } = await pool.query<{ n: number }>(
      "SELECT (payload->>'n')::int AS n FROM outbox_test.outbox ORDER BY 1",
    );
    expect(left.map((r) => r.n)).toEqual([2, 3]);
  });

  it('reports published events and the backlog on the registry it is given', async () => {
    inspect();
    const registry = new Registry();
    const r = relay({ registry });
    await db.transaction(async (tx) => {
      for (const n of [1, 2]) await writeOutbox(tx, outbox, event(n));
    });
    const before = await registry.metrics();
    expect(before).toContain('outbox_pending_events{outbox="test"} 2');
    expect(before).toMatch(/outbox_oldest_pending_seconds\{outbox="test"\} \d/);

    await r.drain();
    const after = await registry.metrics();
    expect(after).toContain('outbox_published_total{outbox="test"} 2');
    expect(after).toContain('outbox_pending_events{outbox="test"} 0');
  });
});
