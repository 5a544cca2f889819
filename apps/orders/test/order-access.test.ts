// Who may see and move which order: a customer sees only their own (someone else's is the
// same 404 as a missing one), staff with orders:read:any see all, orders:manage may refund.
// Also the order history's keyset pagination and filters, and cancel/refund by status.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrdersHarness,
  customer,
  eventually,
  fillCart,
  type OrdersHarness,
  staff,
} from './helpers.ts';

type Headers = Record<string, string>;
interface Order {
  id: string;
  status: string;
  statusReason: string | null;
  payment: { status: string; failureCode: string | null } | null;
  createdAt: string;
}

let h: OrdersHarness;
let staffHeaders: Headers;
beforeAll(async () => {
  // pm_card_visa reports after 750 ms; pm_card_delayed after 30 s, so an order placed with it
  // stays in awaiting_payment for the whole file.
  h = await createOrdersHarness({ SANDBOX_OUTCOME_DELAY_MS: '750' });
  staffHeaders = await staff(h.issuer);
});
afterAll(async () => {
  await h?.close();
});

let skus = 0;
/** A checkout of one unit of a fresh product; returns the order and the product. */
async function placeOrder(headers: Headers, userId: string, card = 'pm_card_delayed') {
  skus += 1;
  const productId = await h.catalog.product({ sku: `ACC-${skus}`, priceMinor: 1_500, onHand: 3 });
  await fillCart(h.t, userId, [{ productId, quantity: 1 }]);
  const res = await h.t.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...headers, 'idempotency-key': `acc-${skus}` },
    payload: { shippingMethod: 'standard', paymentMethod: card },
  });
  expect(res.statusCode).toBe(201);
  return { order: res.json<Order>(), productId };
}

async function paidOrder(headers: Headers, userId: string) {
  const placed = await placeOrder(headers, userId, 'pm_card_visa');
  await eventually(async () => (await get(staffHeaders, placed.order.id)).json().status === 'paid');
  return placed;
}

const get = (headers: Headers, id: string) => h.t.app.inject({ url: `/v1/orders/${id}`, headers });
const list = (headers: Headers, query: Record<string, string | number | boolean> = {}) =>
  h.t.app.inject({
    url: '/v1/orders',
    headers,
    query: Object.fromEntries(Object.entries(query).map(([k, v]) => [k, String(v)])),
  });
const post = (headers: Headers, id: string, action: 'cancel' | 'refund') =>
  h.t.app.inject({ method: 'POST', url: `/v1/orders/${id}/${action}`, headers });

const withoutRequestDetails = (body: Record<string, unknown>) => {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
};

async function statusEvents(orderId: string) {
  const { rows } = await h.t.app.pg.query<{ payload: { from: string; to: string } }>(
    `SELECT payload FROM orders.outbox
     WHERE payload->>'orderId' = $1 AND name = 'order.status-changed' ORDER BY created_at`,
    [orderId],
  );
  return rows.map((r) => `${r.payload.from}->${r.payload.to}`);
}

describe('GET /v1/orders/:id', () => {
  it("user B reading user A's order gets the same 404 as for an order that does not exist", async () => {
    const alice = await customer(h.issuer);
    const bob = await customer(h.issuer);
    const { order } = await placeOrder(alice.headers, alice.userId);

    expect((await get(alice.headers, order.id)).statusCode).toBe(200);
    const theirs = await get(bob.headers, order.id);
    const missing = await get(bob.headers, randomUUID());
    expect(theirs.statusCode).toBe(404);
    expect(missing.statusCode).toBe(404);
    expect(theirs.headers['content-type']).toContain('application/problem+json');
    expect(theirs.json().code).toBe('order-not-found');
    expect(withoutRequestDetails(theirs.json())).toEqual(withoutRequestDetails(missing.json()));
    expect(theirs.body).not.toContain(alice.userId);
  });

  it('staff with orders:read:any read any order; a malformed id is a 400, no token a 401', async () => {
    const carol = await customer(h.issuer);
    const { order } = await placeOrder(carol.headers, carol.userId);
    const res = await get(staffHeaders, order.id);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: order.id, status: 'awaiting_payment' });
    expect((await get(carol.headers, 'not-a-uuid')).statusCode).toBe(400);
    expect((await get({}, order.id)).statusCode).toBe(401);
  });
});

describe('GET /v1/orders', () => {
  const dan = { userId: '', headers: {} as Headers };
  /** Dan's five orders, newest first, with the created_at each was given. */
  let danOrders: { id: string; createdAt: string }[] = [];
  let cancelledId: string;

  beforeAll(async () => {
    Object.assign(dan, await customer(h.issuer));
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await placeOrder(dan.headers, dan.userId)).order.id);
    // Known times, so the order is ours to predict; ids[2] and ids[3] share a millisecond and,
    // newest first, straddle the first page boundary at limit 2: the (created_at, id) tiebreak.
    const times = [
      '2031-01-01T10:00:00.000Z',
      '2031-01-02T10:00:00.000Z',
      '2031-01-03T10:00:00.000Z',
      '2031-01-03T10:00:00.000Z',
      '2031-01-04T10:00:00.000Z',
    ];
    for (const [i, id] of ids.entries()) {
      await h.t.app.pg.query('UPDATE orders.orders SET created_at = $2 WHERE id = $1', [
        id,
        times[i],
      ]);
    }
    danOrders = ids
      .map((id, i) => ({ id, createdAt: times[i] as string }))
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id));
    cancelledId = ids[3] as string;
    expect((await post(dan.headers, cancelledId, 'cancel')).statusCode).toBe(200);
    // Someone else's orders, which Dan must never see.
    const erin = await customer(h.issuer);
    await placeOrder(erin.headers, erin.userId);
  });

  it('lists only your own orders, newest first', async () => {
    const res = await list(dan.headers);
    expect(res.statusCode).toBe(200);
    const body = res.json<{ items: Order[]; nextCursor: string | null }>();
    expect(body.items.map((o) => o.id)).toEqual(danOrders.map((o) => o.id));
    expect(body.items.map((o) => o.createdAt)).toEqual(danOrders.map((o) => o.createdAt));
    expect(body.nextCursor).toBeNull();
  });

  it('pages through five orders two at a time: no duplicate, no gap, a null cursor at the end', async () => {
    const seen: string[] = [];
    const pageSizes: number[] = [];
    let cursor: string | null = null;
    do {
      const res = await list(dan.headers, { limit: 2, ...(cursor ? { cursor } : {}) });
      expect(res.statusCode).toBe(200);
      const page = res.json<{ items: Order[]; nextCursor: string | null }>();
      pageSizes.push(page.items.length);
      seen.push(...page.items.map((o) => o.id));
      cursor = page.nextCursor;
    } while (cursor && pageSizes.length < 10);
    expect(pageSizes).toEqual([2, 2, 1]);
    expect(seen).toEqual(danOrders.map((o) => o.id));
  });

  it('filters by status', async () => {
    const cancelled = (await list(dan.headers, { status: 'cancelled' })).json<{ items: Order[] }>();
    expect(cancelled.items.map((o) => o.id)).toEqual([cancelledId]);
    const awaiting = (await list(dan.headers, { status: 'awaiting_payment' })).json<{
      items: Order[];
    }>();
    expect(awaiting.items.map((o) => o.id)).toEqual(
      danOrders.map((o) => o.id).filter((id) => id !== cancelledId),
    );
    expect((await list(dan.headers, { status: 'shipped' })).statusCode).toBe(400);
  });

  it('filters by createdFrom and createdTo, both inclusive', async () => {
    const res = await list(dan.headers, {
      createdFrom: '2031-01-02T10:00:00.000Z',
      createdTo: '2031-01-03T10:00:00.000Z',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json<{ items: Order[] }>().items.map((o) => o.id)).toEqual(
      danOrders
        .filter((o) => o.createdAt >= '2031-01-02' && o.createdAt <= '2031-01-03T10:00:00.000Z')
        .map((o) => o.id),
    );
    const onlyFrom = await list(dan.headers, { createdFrom: '2031-01-03T10:00:00.001Z' });
    expect(onlyFrom.json<{ items: Order[] }>().items.map((o) => o.id)).toEqual(
      danOrders.slice(0, 1).map((o) => o.id),
    );
    const onlyTo = await list(dan.headers, { createdTo: '2031-01-01T10:00:00.000Z' });
    expect(onlyTo.json<{ items: Order[] }>().items.map((o) => o.id)).toEqual(
      danOrders.slice(4).map((o) => o.id),
    );
    expect((await list(dan.headers, { createdFrom: 'yesterday' })).statusCode).toBe(400);
  });

  it('all=true lists every customer’s orders for orders:read:any, and is a 403 otherwise', async () => {
    const denied = await list(dan.headers, { all: true });
    expect(denied.statusCode).toBe(403);
    expect(denied.json().code).toBe('forbidden');

    const res = await list(staffHeaders, { all: true, limit: 100 });
    expect(res.statusCode).toBe(200);
    const items = res.json<{ items: Order[] }>().items;
    const { rows } = await h.t.app.pg.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM orders.orders',
    );
    expect(items).toHaveLength(rows[0]?.n as number);
    expect(items.map((o) => o.id)).toEqual(expect.arrayContaining(danOrders.map((o) => o.id)));
    // Staff without all=true: their own orders only, which are none.
    expect((await list(staffHeaders)).json<{ items: Order[] }>().items).toEqual([]);
  });

  it('a cursor it did not issue is a 400 invalid-cursor', async () => {
    const first = (await list(dan.headers, { limit: 2 })).json<{ nextCursor: string }>();
    const valid = first.nextCursor;
    const [t, id] = JSON.parse(Buffer.from(valid, 'base64url').toString()) as [string, string];
    const encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const flipped = `${valid.slice(0, 5)}${valid[5] === 'A' ? 'B' : 'A'}${valid.slice(6)}`;
    const tampered = [
      'not-a-cursor',
      flipped,
      `${valid}x`,
      encode([t, 'not-a-uuid']),
      encode([t, `${id}' OR '1'='1`]),
      encode(['not a date', id]),
      encode({ t, id }),
      encode([t]),
      encode([t.replace('.000Z', 'Z'), id]), // same instant, not the form the API writes
    ];
    for (const cursor of tampered) {
      const res = await list(dan.headers, { limit: 2, cursor });
      expect(res.statusCode, cursor).toBe(400);
      expect(res.json().code, cursor).toBe('invalid-cursor');
    }
  });
});

describe('POST /v1/orders/:id/cancel', () => {
  it('a customer cancels their own order awaiting payment: cancelled, hold released, payment canceled', async () => {
    const fay = await customer(h.issuer);
    const { order, productId } = await placeOrder(fay.headers, fay.userId);
    expect(await h.catalog.stock(productId)).toMatchObject({ reserved: 1, available: 2 });

    const res = await post(fay.headers, order.id, 'cancel');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: order.id,
      status: 'cancelled',
      statusReason: 'cancelled-by-request',
      payment: { status: 'canceled' },
    });
    expect(await h.catalog.stock(productId)).toMatchObject({
      onHand: 3,
      reserved: 0,
      available: 3,
    });
    expect(await h.catalog.reservationStatus(order.id)).toBe('released');
    expect(await statusEvents(order.id)).toEqual([
      'pending->awaiting_payment',
      'awaiting_payment->cancelled',
    ]);
    // The sandbox reports the cancellation by webhook; that changes nothing more.
    await eventually(async () => {
      const { rows } = await h.t.app.pg.query(
        "SELECT 1 FROM orders.payment_events WHERE payload->>'orderId' = $1 AND type = 'payment.canceled' AND processed_at IS NOT NULL",
        [order.id],
      );
      return rows.length === 1;
    });
    expect((await get(fay.headers, order.id)).json()).toMatchObject({
      status: 'cancelled',
      payment: { status: 'canceled' },
    });
    // Cancelling again: the order is no longer cancellable.
    expect((await post(fay.headers, order.id, 'cancel')).statusCode).toBe(409);
  });

  it('a paid order cannot be cancelled: 409, still paid', async () => {
    const gus = await customer(h.issuer);
    const { order } = await paidOrder(gus.headers, gus.userId);
    const res = await post(gus.headers, order.id, 'cancel');
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('order-not-cancellable');
    expect((await get(gus.headers, order.id)).json()).toMatchObject({
      status: 'paid',
      payment: { status: 'succeeded' },
    });
  });

  it("another customer's cancel is a 404 and changes nothing; staff with orders:manage may cancel it", async () => {
    const hal = await customer(h.issuer);
    const ivy = await customer(h.issuer);
    const { order, productId } = await placeOrder(hal.headers, hal.userId);
    const res = await post(ivy.headers, order.id, 'cancel');
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('order-not-found');
    expect((await get(hal.headers, order.id)).json().status).toBe('awaiting_payment');
    expect(await h.catalog.stock(productId)).toMatchObject({ reserved: 1 });

    const byStaff = await post(staffHeaders, order.id, 'cancel');
    expect(byStaff.statusCode).toBe(200);
    expect(byStaff.json().status).toBe('cancelled');
    expect(await h.catalog.stock(productId)).toMatchObject({ reserved: 0, available: 3 });
  });
});

describe('POST /v1/orders/:id/refund', () => {
  it('staff refund a paid order: refunded, the payment refunded', async () => {
    const jo = await customer(h.issuer);
    const { order } = await paidOrder(jo.headers, jo.userId);
    const res = await post(staffHeaders, order.id, 'refund');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      id: order.id,
      status: 'refunded',
      statusReason: 'refunded',
      payment: { status: 'refunded' },
    });
    expect(await statusEvents(order.id)).toEqual([
      'pending->awaiting_payment',
      'awaiting_payment->paid',
      'paid->refunded',
    ]);
    // Only once.
    const again = await post(staffHeaders, order.id, 'refund');
    expect(again.statusCode).toBe(409);
    expect(again.json().code).toBe('order-not-refundable');
  });

  it('a customer cannot refund, even their own order: 403', async () => {
    const kim = await customer(h.issuer);
    const { order } = await paidOrder(kim.headers, kim.userId);
    const res = await post(kim.headers, order.id, 'refund');
    expect(res.statusCode).toBe(403);
    expect((await get(kim.headers, order.id)).json()).toMatchObject({
      status: 'paid',
      payment: { status: 'succeeded' },
    });
  });

  it('a cancelled order cannot be refunded: 409; a missing one is a 404', async () => {
    const lou = await customer(h.issuer);
    const { order } = await placeOrder(lou.headers, lou.userId);
    expect((await post(lou.headers, order.id, 'cancel')).statusCode).toBe(200);
    const res = await post(staffHeaders, order.id, 'refund');
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('order-not-refundable');
    expect((await get(lou.headers, order.id)).json().status).toBe('cancelled');
    expect((await post(staffHeaders, randomUUID(), 'refund')).statusCode).toBe(404);
  });
});
