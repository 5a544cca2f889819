// The checkout saga end to end: a real catalog over HTTP, the sandbox processor delivering
// signed webhooks over HTTP, the orders database. Happy path, decline, compensation, and the
// answers a customer gets when stock or catalog is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrdersHarness,
  customer,
  eventually,
  fillCart,
  type OrdersHarness,
} from './helpers.ts';

let h: OrdersHarness;
beforeAll(async () => {
  h = await createOrdersHarness();
});
afterAll(async () => {
  await h?.close();
});

const checkout = (
  headers: Record<string, string>,
  key: string,
  body: Record<string, unknown> = { shippingMethod: 'standard', paymentMethod: 'pm_card_visa' },
) =>
  h.t.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...headers, 'idempotency-key': key },
    payload: body,
  });

const getOrder = async (headers: Record<string, string>, id: string) =>
  (await h.t.app.inject({ url: `/v1/orders/${id}`, headers })).json();

async function outboxEvents(orderId: string) {
  const { rows } = await h.t.app.pg.query<{
    name: string;
    payload: { from?: string; to?: string };
  }>(
    "SELECT name, payload FROM orders.outbox WHERE payload->>'orderId' = $1 ORDER BY created_at, name",
    [orderId],
  );
  return rows.map((r) => (r.payload.to ? `${r.payload.from}->${r.payload.to}` : r.name));
}

describe('checkout, happy path', () => {
  it('snapshots the lines, holds stock, is paid by webhook, and confirms the hold', async () => {
    const laptop = await h.catalog.product({ sku: 'HP-LAPTOP', priceMinor: 129_900, onHand: 5 });
    const mouse = await h.catalog.product({ sku: 'HP-MOUSE', priceMinor: 2_500, onHand: 10 });
    const alice = await customer(h.issuer);
    await fillCart(h.t, alice.userId, [
      { productId: laptop, quantity: 1 },
      { productId: mouse, quantity: 2 },
    ]);

    const res = await checkout(alice.headers, 'happy-1');
    expect(res.statusCode).toBe(201);
    const order = res.json();
    expect(res.headers.location).toBe(`/v1/orders/${order.id}`);
    expect(order).toMatchObject({
      status: 'awaiting_payment',
      itemsTotal: { amountMinor: 134_900, currency: 'EUR' },
      shipping: { method: 'standard', price: { amountMinor: 499, currency: 'EUR' } },
      total: { amountMinor: 135_399, currency: 'EUR' },
      payment: { status: 'pending', failureCode: null },
    });
    expect(order.lines).toEqual([
      {
        productId: laptop,
        sku: 'HP-LAPTOP',
        name: 'HP-LAPTOP',
        unitPrice: { amountMinor: 129_900, currency: 'EUR' },
        quantity: 1,
        lineTotal: { amountMinor: 129_900, currency: 'EUR' },
      },
      {
        productId: mouse,
        sku: 'HP-MOUSE',
        name: 'HP-MOUSE',
        unitPrice: { amountMinor: 2_500, currency: 'EUR' },
        quantity: 2,
        lineTotal: { amountMinor: 5_000, currency: 'EUR' },
      },
    ]);
    // The cart became the order.
    const { rows: cart } = await h.t.app.pg.query(
      'SELECT 1 FROM orders.cart_items WHERE user_id = $1',
      [alice.userId],
    );
    expect(cart).toHaveLength(0);

    const paid = await eventually(async () => {
      const o = await getOrder(alice.headers, order.id);
      return o.status === 'paid' ? o : null;
    });
    expect(paid.payment).toEqual({ status: 'succeeded', failureCode: null });
    // Confirmed: the units left stock for good, nothing is still held.
    expect(await h.catalog.stock(laptop)).toMatchObject({ onHand: 4, reserved: 0, available: 4 });
    expect(await h.catalog.stock(mouse)).toMatchObject({ onHand: 8, reserved: 0, available: 8 });
    // Every step wrote its event in the same transaction.
    expect(await outboxEvents(order.id)).toEqual([
      'order.created',
      'pending->awaiting_payment',
      'awaiting_payment->paid',
    ]);
    // The events the checkout request caused carry its request id (the jobs service logs it);
    // the move to paid came from the webhook's processing, which had no request of its own.
    const { rows: ids } = await h.t.app.pg.query<{ rid: string | null }>(
      "SELECT payload->>'requestId' AS rid FROM orders.outbox WHERE payload->>'orderId' = $1 ORDER BY created_at, name",
      [order.id],
    );
    const requestId = res.headers['x-request-id'];
    expect(requestId).toBeTruthy();
    expect(ids.map((r) => r.rid)).toEqual([requestId, requestId, null]);
  });

  it('a price change in catalog after checkout does not touch the order', async () => {
    const lamp = await h.catalog.product({ sku: 'HP-LAMP', priceMinor: 4_000, onHand: 3 });
    const bob = await customer(h.issuer);
    await fillCart(h.t, bob.userId, [{ productId: lamp, quantity: 1 }]);
    const order = (await checkout(bob.headers, 'price-1')).json();
    await h.catalog.setPrice(lamp, 9_999);
    const again = await getOrder(bob.headers, order.id);
    expect(again.lines[0].unitPrice.amountMinor).toBe(4_000);
  });
});

describe('checkout, payment declined', () => {
  it.each([
    ['pm_card_chargeDeclined', 'payment-generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'payment-insufficient_funds'],
  ])('%s: payment_failed, the hold released, stock whole again', async (card, reason) => {
    const kettle = await h.catalog.product({
      sku: `HP-KETTLE-${reason.length}`,
      priceMinor: 3_000,
      onHand: 2,
    });
    const carol = await customer(h.issuer);
    await fillCart(h.t, carol.userId, [{ productId: kettle, quantity: 2 }]);
    const res = await checkout(carol.headers, `decline-${card}`, {
      shippingMethod: 'standard',
      paymentMethod: card,
    });
    expect(res.statusCode).toBe(201);
    const failed = await eventually(async () => {
      const o = await getOrder(carol.headers, res.json().id);
      return o.status === 'payment_failed' ? o : null;
    });
    expect(failed.statusReason).toBe(reason);
    expect(failed.payment.status).toBe('failed');
    expect(await h.catalog.stock(kettle)).toMatchObject({ onHand: 2, reserved: 0, available: 2 });
  });
});

describe('checkout refused, nothing left behind', () => {
  it('out of stock: 409 insufficient-stock, the order cancelled, nothing held', async () => {
    const rare = await h.catalog.product({ sku: 'HP-RARE', priceMinor: 100, onHand: 1 });
    const dave = await customer(h.issuer);
    await fillCart(h.t, dave.userId, [{ productId: rare, quantity: 2 }]);
    const res = await checkout(dave.headers, 'oos-1');
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toContain('application/problem+json');
    const problem = res.json();
    expect(problem.code).toBe('insufficient-stock');
    expect((await getOrder(dave.headers, problem.orderId)).status).toBe('cancelled');
    expect(await h.catalog.stock(rare)).toMatchObject({ reserved: 0, available: 1 });
    // The cart is kept, so the customer can change it and try again.
    const { rows } = await h.t.app.pg.query('SELECT 1 FROM orders.cart_items WHERE user_id = $1', [
      dave.userId,
    ]);
    expect(rows).toHaveLength(1);
  });

  it('a retry with the same key after out-of-stock runs a new checkout once stock is back', async () => {
    const scarce = await h.catalog.product({ sku: 'HP-SCARCE', priceMinor: 700, onHand: 1 });
    const zoe = await customer(h.issuer);
    await fillCart(h.t, zoe.userId, [{ productId: scarce, quantity: 2 }]);
    const first = await checkout(zoe.headers, 'zoe-1');
    expect(first.statusCode).toBe(409);
    await h.catalog.restock(scarce, 5);
    const retry = await checkout(zoe.headers, 'zoe-1');
    expect(retry.statusCode).toBe(201);
    expect(retry.json().id).not.toBe(first.json().orderId);
    const { rows } = await h.t.app.pg.query<{ status: string }>(
      'SELECT status FROM orders.orders WHERE user_id = $1 ORDER BY created_at',
      [zoe.userId],
    );
    expect(rows).toHaveLength(2);
    expect(rows[0]?.status).toBe('cancelled');
    expect(['awaiting_payment', 'paid']).toContain(rows[1]?.status);
  });

  it('an empty cart: 422 cart-empty and no order', async () => {
    const erin = await customer(h.issuer);
    const res = await checkout(erin.headers, 'empty-1');
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('cart-empty');
    const { rows } = await h.t.app.pg.query('SELECT 1 FROM orders.orders WHERE user_id = $1', [
      erin.userId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('a product no longer for sale, another currency, an unknown shipping method: 422, no order', async () => {
    const usd = await h.catalog.product({
      sku: 'HP-USD',
      priceMinor: 100,
      currency: 'USD',
      onHand: 5,
    });
    const gone = await h.catalog.product({ sku: 'HP-GONE', priceMinor: 100, onHand: 5 });
    await h.catalog.remove(gone);
    const frank = await customer(h.issuer);
    await fillCart(h.t, frank.userId, [{ productId: usd, quantity: 1 }]);
    expect((await checkout(frank.headers, 'cur-1')).json().code).toBe('currency-mismatch');
    expect(
      (
        await checkout(frank.headers, 'ship-1', {
          shippingMethod: 'teleport',
          paymentMethod: 'pm_card_visa',
        })
      ).json().code,
    ).toBe('unknown-shipping-method');
    await fillCart(h.t, frank.userId, [{ productId: gone, quantity: 1 }]);
    const res = await checkout(frank.headers, 'gone-1', {
      shippingMethod: 'dollar',
      paymentMethod: 'pm_card_visa',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'product-unavailable', productIds: [gone] });
    const { rows } = await h.t.app.pg.query('SELECT 1 FROM orders.orders WHERE user_id = $1', [
      frank.userId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('an unknown payment method: 422, the hold released, the order cancelled', async () => {
    const cup = await h.catalog.product({ sku: 'HP-CUP', priceMinor: 800, onHand: 4 });
    const gina = await customer(h.issuer);
    await fillCart(h.t, gina.userId, [{ productId: cup, quantity: 1 }]);
    const res = await checkout(gina.headers, 'pm-1', {
      shippingMethod: 'standard',
      paymentMethod: 'pm_card_nonsense',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json().code).toBe('invalid-payment-method');
    expect(await h.catalog.stock(cup)).toMatchObject({ reserved: 0, available: 4 });
    const { rows } = await h.t.app.pg.query<{ status: string; status_reason: string }>(
      'SELECT status, status_reason FROM orders.orders WHERE user_id = $1',
      [gina.userId],
    );
    expect(rows).toEqual([{ status: 'cancelled', status_reason: 'invalid-payment-method' }]);
  });

  it('refuses a card number, a missing key and unknown fields with 400, nothing written', async () => {
    const hank = await customer(h.issuer);
    const cases = [
      checkout(hank.headers, 'bad-1', {
        shippingMethod: 'standard',
        paymentMethod: '4242424242424242',
      }),
      checkout(hank.headers, 'bad-2', {
        shippingMethod: 'standard',
        paymentMethod: 'pm_card_visa',
        total: 1,
      }),
      h.t.app.inject({
        method: 'POST',
        url: '/v1/orders',
        headers: hank.headers,
        payload: { shippingMethod: 'standard', paymentMethod: 'pm_card_visa' },
      }),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    const { rows } = await h.t.app.pg.query('SELECT 1 FROM orders.orders WHERE user_id = $1', [
      hank.userId,
    ]);
    expect(rows).toHaveLength(0);
  });

  it('a service token cannot place orders: 403; no token: 401', async () => {
    const svc = await h.issuer.sign({
      sub: 'service:jobs',
      client_id: 'jobs',
      roles: [],
      permissions: [],
    });
    expect((await checkout({ authorization: `Bearer ${svc}` }, 'svc-1')).statusCode).toBe(403);
    expect((await checkout({}, 'anon-1')).statusCode).toBe(401);
  });
});
