// The orders outbox end to end: a checkout commits its events while no relay runs (killed,
// or the process gone after commit and before publish); a relay started later delivers every
// one of them to the 'order-events' queue; a relay that dies after publishing but before
// marking the rows publishes them again, and BullMQ keeps one job per event, so a consumer
// sees each event once.
import { createOutboxRelay, type OutboxRelay } from '@meridian/outbox';
import { orderEvents, parseJob, queuePrefix } from '@meridian/queues';
import { closeRedis, createRedis, type Redis } from '@meridian/redis';
import { type Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersDb } from '../src/db/client.ts';
import { outbox } from '../src/db/schema/index.ts';
import {
  createOrdersHarness,
  customer,
  eventually,
  fillCart,
  type OrdersHarness,
} from './helpers.ts';

let h: OrdersHarness;
let prefix: string;
let producer: Redis;
let queue: Queue;
const closers: Array<() => Promise<unknown>> = [];

beforeAll(async () => {
  // The harness runs orders with OUTBOX_RELAY_INTERVAL_MS=0: no relay, as if it were dead.
  h = await createOrdersHarness();
  expect(h.t.config.OUTBOX_RELAY_INTERVAL_MS).toBe(0);
  prefix = queuePrefix(h.t.config.REDIS_PREFIX);
  producer = createRedis({ url: h.t.config.REDIS_URL, role: 'producer', name: 'outbox-test' });
  queue = new Queue(orderEvents.queue, { connection: producer, prefix });
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  // This file's keys only: its prefix is unique to it.
  await queue?.obliterate({ force: true }).catch(() => {});
  await queue?.close();
  if (producer) await closeRedis(producer);
  await h?.close();
});

/** A relay like the one orders runs, on the same outbox and the same BullMQ prefix. */
function startRelay(): OutboxRelay {
  const relay = createOutboxRelay({
    db: createOrdersDb(h.t.app.pg),
    table: outbox,
    contracts: [orderEvents],
    redisUrl: h.t.config.REDIS_URL,
    prefix,
    name: 'orders-test',
    leaseMs: 30_000,
  });
  closers.push(() => relay.stop());
  return relay;
}

interface OutboxRow {
  id: string;
  name: string;
  payload: Record<string, unknown>;
  published_at: Date | null;
}

async function outboxRows(orderId: string): Promise<OutboxRow[]> {
  const { rows } = await h.t.app.pg.query<OutboxRow>(
    `SELECT id, name, payload, published_at FROM orders.outbox
     WHERE payload->>'orderId' = $1 ORDER BY created_at, name`,
    [orderId],
  );
  return rows;
}

async function paidOrder(sku: string): Promise<string> {
  const productId = await h.catalog.product({ sku, priceMinor: 700, onHand: 5 });
  const buyer = await customer(h.issuer);
  await fillCart(h.t, buyer.userId, [{ productId, quantity: 1 }]);
  const res = await h.t.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...buyer.headers, 'idempotency-key': sku },
    payload: { shippingMethod: 'standard', paymentMethod: 'pm_card_visa' },
  });
  expect(res.statusCode).toBe(201);
  const orderId = res.json<{ id: string }>().id;
  await eventually(async () => (await outboxRows(orderId)).length === 3);
  return orderId;
}

const allJobs = () =>
  queue.getJobs(['waiting', 'active', 'delayed', 'prioritized', 'completed', 'failed']);

describe('the orders outbox and its relay', () => {
  let orderId: string;
  let rows: OutboxRow[];

  it('with no relay running, a checkout’s events wait in the outbox, unpublished', async () => {
    orderId = await paidOrder('OBX-1');
    rows = await outboxRows(orderId);
    expect(rows.map((r) => (r.payload.to ? `${r.payload.from}->${r.payload.to}` : r.name))).toEqual(
      ['order.created', 'pending->awaiting_payment', 'awaiting_payment->paid'],
    );
    expect(rows.every((r) => r.published_at === null)).toBe(true);
    expect(await queue.getJobCounts()).toMatchObject({ waiting: 0 });
  });

  it('a relay started later delivers each as a job: job id = event id, payload valid by the contract', async () => {
    const relay = startRelay();
    const result = await relay.drain();
    expect(result).toMatchObject({ published: rows.length, failed: 0 });

    const jobs = await allJobs();
    expect(jobs.map((j) => j.id).sort()).toEqual(rows.map((r) => r.id).sort());
    for (const row of rows) {
      const job = jobs.find((j) => j.id === row.id) as Job;
      expect(job.name).toBe(row.name);
      expect(job.data).toEqual(row.payload);
      expect(job.data.eventId).toBe(row.id);
      // What the consumer will run on it: throws if the payload breaks the contract.
      expect(parseJob(orderEvents, job)).toEqual({ name: row.name, data: row.payload });
      expect(job.opts.attempts).toBe(orderEvents.jobOptions.attempts);
    }
    expect((await outboxRows(orderId)).every((r) => r.published_at !== null)).toBe(true);
  });

  it('published again after a crash before the mark, each event is still one job', async () => {
    // What a relay leaves when it dies between queue.addBulk and the UPDATE … published_at.
    await h.t.app.pg.query(
      'UPDATE orders.outbox SET published_at = NULL, available_at = now() WHERE id = ANY($1)',
      [rows.map((r) => r.id)],
    );
    const relay = startRelay();
    const result = await relay.drain();
    expect(result).toMatchObject({ published: rows.length, failed: 0 });
    const jobs = await allJobs();
    expect(jobs).toHaveLength(rows.length);
    expect(new Set(jobs.map((j) => j.id))).toEqual(new Set(rows.map((r) => r.id)));
  });

  it('a relay that died after claiming comes back for the rows once their lease runs out', async () => {
    const second = await paidOrder('OBX-2');
    const fresh = await outboxRows(second);
    // What a relay leaves when it dies after its claim and before publishing: the rows
    // hidden for the lease, one attempt counted.
    await h.t.app.pg.query(
      `UPDATE orders.outbox SET available_at = now() + interval '700 milliseconds', attempts = attempts + 1
       WHERE id = ANY($1)`,
      [fresh.map((r) => r.id)],
    );
    const relay = startRelay();
    expect(await relay.drain()).toMatchObject({ published: 0 });
    await new Promise((r) => setTimeout(r, 800));
    expect(await relay.drain()).toMatchObject({ published: fresh.length, failed: 0 });
    const ids = new Set((await allJobs()).map((j) => j.id));
    for (const r of fresh) expect(ids.has(r.id)).toBe(true);
  });

  it('a consumer processes each event once, even when it is published again after completion', async () => {
    const seen: string[] = [];
    const connection = createRedis({
      url: h.t.config.REDIS_URL,
      role: 'worker',
      name: 'outbox-test-worker',
    });
    const worker = new Worker(
      orderEvents.queue,
      async (job) => {
        seen.push(parseJob(orderEvents, job).data.eventId);
      },
      { connection, prefix, concurrency: 4 },
    );
    closers.push(async () => {
      await worker.close();
      await closeRedis(connection);
    });
    const expected = (await h.t.app.pg.query<{ id: string }>('SELECT id FROM orders.outbox')).rows
      .map((r) => r.id)
      .sort();
    await eventually(async () => seen.length >= expected.length, 10_000);

    // Everything published once more, after the jobs completed: kept completed jobs keep
    // their ids, so nothing runs again.
    await h.t.app.pg.query('UPDATE orders.outbox SET published_at = NULL, available_at = now()');
    const relay = startRelay();
    expect(await relay.drain()).toMatchObject({ published: expected.length, failed: 0 });
    await new Promise((r) => setTimeout(r, 500));
    expect([...seen].sort()).toEqual(expected);
    expect(await queue.getJobCounts('completed', 'waiting', 'failed')).toEqual({
      completed: expected.length,
      waiting: 0,
      failed: 0,
    });
  });
});
