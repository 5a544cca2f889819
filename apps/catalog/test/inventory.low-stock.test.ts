// Low-stock events (issue #4, item 4): a change that takes available stock below a product's
// threshold writes inventory.low-stock to the catalog outbox in its own transaction, and the
// relay in the app delivers it to a real BullMQ worker on the test's Redis prefix. Once per
// crossing; nothing from a refused change; the threshold is the staff's to set.
import { catalogEvents, LOW_STOCK, parseJob, queuePrefix } from '@meridian/queues';
import { closeRedis, createRedis } from '@meridian/redis';
import { type Job, Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../src/config.ts';
import {
  act,
  createInventoryFixture,
  type InventoryFixture,
  newKey,
  reserve,
  reserved,
  seedProduct,
  stockOf,
} from './inventory.helpers.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean> | boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await sleep(25);
  }
}

/** The outbox rows about one product, oldest first. */
async function outboxOf(f: InventoryFixture, productId: string) {
  const { rows } = await f.t.app.pg.query<{
    id: string;
    queue: string;
    name: string;
    payload: Record<string, unknown>;
    published: boolean;
  }>(
    `SELECT id, queue, name, payload, published_at IS NOT NULL AS published
       FROM catalog.outbox WHERE payload->>'productId' = $1 ORDER BY created_at, id`,
    [productId],
  );
  return rows;
}

const putStock = (f: InventoryFixture, productId: string, payload: object) =>
  f.t.app.inject({
    method: 'PUT',
    url: `/v1/products/${productId}/inventory`,
    headers: f.staff,
    payload,
  });

describe('with the relay running', () => {
  let f: InventoryFixture;
  let queue: Queue;
  let close: () => Promise<void>;
  const received: Job[] = [];
  /** The low-stock jobs the worker has processed for one product. */
  const jobsFor = (productId: string) => received.filter((j) => j.data.productId === productId);

  beforeAll(async () => {
    f = await createInventoryFixture({ OUTBOX_RELAY_INTERVAL_MS: '25' });
    // The jobs service's side, reduced to a worker on the same prefix.
    const prefix = queuePrefix((f.t.config as Config).REDIS_PREFIX);
    const connection = createRedis({ url: 'redis://127.0.0.1:6379', role: 'worker', name: 't' });
    const producer = createRedis({ url: 'redis://127.0.0.1:6379', role: 'producer', name: 't' });
    const worker = new Worker(
      catalogEvents.queue,
      async (job) => {
        parseJob(catalogEvents, job); // what a real consumer does first
        received.push(job);
      },
      { connection, prefix },
    );
    queue = new Queue(catalogEvents.queue, { connection: producer, prefix });
    close = async () => {
      await worker.close();
      await queue.obliterate({ force: true });
      await queue.close();
      await closeRedis(connection);
      await closeRedis(producer);
      await f.close();
    };
  });
  afterAll(() => close());

  /** Every event committed so far has been published, and the worker has processed it. */
  async function settled() {
    await until(async () => {
      const { rows } = await f.t.app.pg.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM catalog.outbox WHERE published_at IS NULL',
      );
      const busy = await queue.getJobCountByTypes('waiting', 'active', 'delayed');
      return rows[0]?.n === 0 && busy === 0;
    });
  }

  it('a reservation that takes available below the threshold delivers one inventory.low-stock job', async () => {
    const productId = await seedProduct(f, { onHand: 10 }); // threshold: the default, 5
    await reserved(f, [{ productId, quantity: 6 }]); // available 10 → 4

    await until(() => jobsFor(productId).length === 1);
    const [job] = jobsFor(productId);
    const { rows } = await f.t.app.pg.query<{ sku: string }>(
      'SELECT sku FROM catalog.products WHERE id = $1',
      [productId],
    );
    expect(job?.name).toBe(LOW_STOCK);
    expect(job?.data).toEqual({
      eventId: expect.stringMatching(UUID),
      productId,
      sku: rows[0]?.sku,
      available: 4,
      threshold: 5,
      occurredAt: expect.stringMatching(ISO),
    });
    // The event id is the job id and the outbox row id: one id to drop a duplicate by.
    expect(job?.id).toBe(job?.data.eventId);
    expect(await outboxOf(f, productId)).toEqual([
      expect.objectContaining({ id: job?.id, queue: 'catalog-events', published: true }),
    ]);
    const metrics = (await f.t.app.inject({ url: '/metrics' })).body;
    expect(metrics).toMatch(/outbox_published_total\{outbox="catalog",service="catalog"\} [1-9]/);
  });

  it('while it stays low, further reservations emit nothing', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await reserved(f, [{ productId, quantity: 6 }]); // 4: below 5, the one event
    await reserved(f, [{ productId, quantity: 1 }]); // 3
    await reserved(f, [{ productId, quantity: 3 }]); // 0
    await settled();
    expect(jobsFor(productId).map((j) => j.data.available)).toEqual([4]);
    expect(await outboxOf(f, productId)).toHaveLength(1);
  });

  it('back above the threshold re-arms it: restocked, or released, the next drop emits again', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await reserved(f, [{ productId, quantity: 6 }]); // 4: event 1
    expect((await putStock(f, productId, { onHand: 20 })).statusCode).toBe(200); // 14: re-armed
    const r = await reserved(f, [{ productId, quantity: 12 }]); // 2: event 2
    expect((await act(f, r.id, 'release')).statusCode).toBe(200); // 14 again: re-armed
    await reserved(f, [{ productId, quantity: 10 }]); // 4: event 3
    await settled();
    expect(jobsFor(productId).map((j) => j.data.available)).toEqual([4, 2, 4]);
    expect(new Set(jobsFor(productId).map((j) => j.id)).size).toBe(3);
  });

  it('a reservation refused for stock emits nothing, not even for the line that had enough', async () => {
    const plenty = await seedProduct(f, { onHand: 10 });
    const short = await seedProduct(f, { onHand: 1 });
    const res = await reserve(f, {
      reservationKey: newKey(),
      lines: [
        { productId: plenty, quantity: 6 }, // would cross (10 → 4) if the reservation held
        { productId: short, quantity: 5 },
      ],
    });
    expect(res.statusCode).toBe(409);
    await settled();
    expect(await outboxOf(f, plenty)).toEqual([]);
    expect(jobsFor(plenty)).toEqual([]);
    expect(await stockOf(f, plenty)).toEqual({ onHand: 10, reserved: 0 });
  });

  it('one reservation crossing for two products emits one event for each', async () => {
    const a = await seedProduct(f, { onHand: 6 });
    const b = await seedProduct(f, { onHand: 7 });
    const c = await seedProduct(f, { onHand: 50 });
    await reserved(f, [
      { productId: a, quantity: 2 },
      { productId: b, quantity: 7 },
      { productId: c, quantity: 7 },
    ]);
    await until(() => jobsFor(a).length === 1 && jobsFor(b).length === 1);
    expect(jobsFor(a)[0]?.data).toMatchObject({ available: 4, threshold: 5 });
    expect(jobsFor(b)[0]?.data).toMatchObject({ available: 0, threshold: 5 });
    await settled();
    expect(jobsFor(c)).toEqual([]);
  });

  it('confirming emits nothing: on hand and reserved drop together, available does not move', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const r = await reserved(f, [{ productId, quantity: 3 }]); // 7: not low
    expect((await act(f, r.id, 'confirm')).statusCode).toBe(200);
    expect(await stockOf(f, productId)).toEqual({ onHand: 7, reserved: 0 });
    await settled();
    expect(await outboxOf(f, productId)).toEqual([]);
  });

  describe('PUT /v1/products/:id/inventory', () => {
    it('a count that takes available below the threshold emits; a lower count while low does not', async () => {
      const productId = await seedProduct(f, { onHand: 10 });
      const res = await putStock(f, productId, { onHand: 3 });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ onHand: 3, available: 3, lowStockThreshold: 5 });
      expect((await putStock(f, productId, { onHand: 1 })).statusCode).toBe(200);
      await settled();
      expect(jobsFor(productId).map((j) => j.data)).toEqual([
        expect.objectContaining({ productId, available: 3, threshold: 5 }),
      ]);
    });

    it('sets the threshold, reads it back, and raising it above available is a crossing too', async () => {
      const productId = await seedProduct(f, { onHand: 10 });
      const url = `/v1/products/${productId}/inventory`;
      expect((await f.t.app.inject({ url, headers: f.staff })).json()).toMatchObject({
        available: 10,
        lowStockThreshold: 5,
      });
      const res = await putStock(f, productId, { onHand: 10, lowStockThreshold: 12 });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ available: 10, lowStockThreshold: 12 });
      // Absent: unchanged.
      expect((await putStock(f, productId, { onHand: 9 })).json().lowStockThreshold).toBe(12);
      expect((await f.t.app.inject({ url, headers: f.staff })).json().lowStockThreshold).toBe(12);
      await settled();
      expect(jobsFor(productId).map((j) => j.data)).toEqual([
        expect.objectContaining({ available: 10, threshold: 12 }),
      ]);
    });

    it('a threshold of 0 turns the event off for that product', async () => {
      const productId = await seedProduct(f, { onHand: 10 });
      expect((await putStock(f, productId, { onHand: 10, lowStockThreshold: 0 })).statusCode).toBe(
        200,
      );
      await reserved(f, [{ productId, quantity: 10 }]); // available 0, not below 0
      await settled();
      expect(await outboxOf(f, productId)).toEqual([]);
    });

    it('the first count of a never-counted product is not a drop, whatever it is', async () => {
      const productId = await seedProduct(f, { onHand: null });
      const res = await putStock(f, productId, { onHand: 2 });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toMatchObject({ onHand: 2, lowStockThreshold: 5 });
      await settled();
      expect(await outboxOf(f, productId)).toEqual([]);
    });

    it.each([
      ['a negative threshold', { onHand: 1, lowStockThreshold: -1 }],
      ['a fractional threshold', { onHand: 1, lowStockThreshold: 1.5 }],
      ['a threshold beyond the integer column', { onHand: 1, lowStockThreshold: 2_147_483_648 }],
    ])('refuses %s with 400 naming the field, and changes nothing', async (_case, body) => {
      const productId = await seedProduct(f, { onHand: 10 });
      const res = await putStock(f, productId, body);
      expect(res.statusCode).toBe(400);
      expect(res.json().errors).toContainEqual(
        expect.objectContaining({ in: 'body', pointer: '/lowStockThreshold' }),
      );
      expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 0 });
    });
  });

  it('the database refuses a negative threshold, whatever the code does', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await expect(
      f.t.app.pg.query(
        'UPDATE catalog.inventory SET low_stock_threshold = -1 WHERE product_id = $1',
        [productId],
      ),
    ).rejects.toMatchObject({ code: '23514', constraint: 'inventory_low_stock_threshold_check' });
  });
});

describe('with the relay off: the event and the stock change commit together', () => {
  let f: InventoryFixture;
  beforeAll(async () => {
    f = await createInventoryFixture({ OUTBOX_RELAY_INTERVAL_MS: '0' });
  });
  afterAll(() => f.close());

  it('the outbox row exists exactly when the reservation committed', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const short = await seedProduct(f, { onHand: 0 });
    const refused = await reserve(f, {
      reservationKey: newKey(),
      lines: [
        { productId, quantity: 6 },
        { productId: short, quantity: 1 },
      ],
    });
    expect(refused.statusCode).toBe(409);
    expect(await outboxOf(f, productId)).toEqual([]);

    await reserved(f, [{ productId, quantity: 6 }]);
    expect(await outboxOf(f, productId)).toEqual([
      {
        id: expect.stringMatching(UUID),
        queue: 'catalog-events',
        name: 'inventory.low-stock',
        payload: expect.objectContaining({ productId, available: 4, threshold: 5 }),
        published: false, // nobody relays: it waits in the table, safe
      },
    ]);
  });

  it('20 buyers at once cross the threshold once: one event, at available 4', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        reserve(f, { reservationKey: newKey(), lines: [{ productId, quantity: 1 }] }),
      ),
    );
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(10);
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 10 });
    const events = await outboxOf(f, productId);
    expect(events.map((e) => e.payload.available)).toEqual([4]);
  });
});
