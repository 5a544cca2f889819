// The order-events and catalog-events consumers: each event becomes one row, exactly once,
// however many times it is delivered (at-least-once delivery, idempotent effect).
import { randomUUID } from 'node:crypto';
import {
  catalogEvents,
  enqueue,
  LOW_STOCK,
  ORDER_CREATED,
  ORDER_STATUS_CHANGED,
  orderEvents,
} from '@meridian/queues';
import { createTestApp, type TestApp } from '@meridian/testing';
import type { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import type { JobQueues } from '../src/queues/queues.plugin.ts';
import { orderCreated } from './support/events.ts';
import { jobsAppWith, query, waitFor } from './support/helpers.ts';

let t: TestApp<Awaited<ReturnType<ReturnType<typeof jobsAppWith>>>, unknown>;
let queues: JobQueues;

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp: jobsAppWith((q) => {
      queues = q;
    }),
  });
});
afterAll(async () => {
  await t.close();
});

const completed = (queue: Queue, id: string) =>
  waitFor(
    async () => ({ state: await queue.getJobState(id), job: await queue.getJob(id) }),
    (s) => s.state === 'completed',
    { what: `${id} completed` },
  );

describe('order-events consumer', () => {
  it('records each event of an order as one timeline row', async () => {
    const queue = queues.get(orderEvents.queue)?.queue as Queue;
    const created = orderCreated();
    const changed = {
      eventId: randomUUID(),
      orderId: created.orderId,
      userId: created.userId,
      occurredAt: new Date(Date.now() + 1_000).toISOString(),
      from: 'pending' as const,
      to: 'awaiting_payment' as const,
    };
    await enqueue(queue, orderEvents, ORDER_CREATED, created, { jobId: created.eventId });
    await enqueue(queue, orderEvents, ORDER_STATUS_CHANGED, changed, { jobId: changed.eventId });
    await completed(queue, created.eventId);
    await completed(queue, changed.eventId);

    const rows = await query(
      t.db.url,
      'SELECT type, from_status, to_status, currency, total_minor FROM jobs.order_timeline WHERE order_id = $1 ORDER BY occurred_at',
      [created.orderId],
    );
    expect(rows).toEqual([
      {
        type: 'order.created',
        from_status: null,
        to_status: 'pending',
        currency: 'EUR',
        total_minor: 4_200,
      },
      {
        type: 'order.status-changed',
        from_status: 'pending',
        to_status: 'awaiting_payment',
        currency: null,
        total_minor: null,
      },
    ]);
  });

  it('a duplicate delivery (same eventId, different job ids, at the same time) leaves one row and applies once', async () => {
    const queue = queues.get(orderEvents.queue)?.queue as Queue;
    const event = orderCreated();
    const ids = [randomUUID(), randomUUID(), randomUUID()];
    await Promise.all(
      ids.map((jobId) => enqueue(queue, orderEvents, ORDER_CREATED, event, { jobId })),
    );
    const results = await Promise.all(ids.map((id) => completed(queue, id)));

    // Every delivery completes (none is retried or dead-lettered); exactly one applied.
    expect(results.map((r) => r.job?.returnvalue.applied).sort()).toEqual([false, false, true]);
    const rows = await query(t.db.url, 'SELECT 1 FROM jobs.order_timeline WHERE event_id = $1', [
      event.eventId,
    ]);
    expect(rows).toHaveLength(1);
    const processed = await query(
      t.db.url,
      'SELECT queue, job_name FROM jobs.processed_events WHERE event_id = $1',
      [event.eventId],
    );
    expect(processed).toEqual([{ queue: 'order-events', job_name: 'order.created' }]);
  });
});

describe('catalog-events consumer', () => {
  it('records a low-stock alert once, however often the event arrives', async () => {
    const queue = queues.get(catalogEvents.queue)?.queue as Queue;
    const event = {
      eventId: randomUUID(),
      productId: randomUUID(),
      sku: 'MUG-RED',
      available: 2,
      threshold: 5,
      occurredAt: new Date().toISOString(),
    };
    const ids = [randomUUID(), randomUUID()];
    for (const jobId of ids) await enqueue(queue, catalogEvents, LOW_STOCK, event, { jobId });
    for (const id of ids) await completed(queue, id);
    const rows = await query(
      t.db.url,
      'SELECT sku, available, threshold FROM jobs.low_stock_alerts WHERE event_id = $1',
      [event.eventId],
    );
    expect(rows).toEqual([{ sku: 'MUG-RED', available: 2, threshold: 5 }]);
  });
});
