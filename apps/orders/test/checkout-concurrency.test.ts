// The acceptance tests for money and stock under concurrency: many customers racing for a few
// units, and one customer's retries racing each other with one Idempotency-Key.
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
  // These tests are about consistency under contention, not latency: on a CI machine running
  // every suite at once a reservation can take seconds, so the catalog timeout is generous
  // here (timeouts and the breaker have their own tests in resilience.test.ts).
  h = await createOrdersHarness({ CATALOG_TIMEOUT_MS: '15000' });
});
afterAll(async () => {
  await h?.close();
});

const body = { shippingMethod: 'standard', paymentMethod: 'pm_card_visa' };

async function statusCounts(where = 'TRUE', params: unknown[] = []) {
  const { rows } = await h.t.app.pg.query<{ status: string; n: number }>(
    `SELECT status, count(*)::int AS n FROM orders.orders WHERE ${where} GROUP BY status`,
    params,
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

describe('100 customers, 10 units', () => {
  it('exactly 10 orders are paid, 90 refused cleanly, stock never negative, no hold left', {
    timeout: 90_000,
  }, async () => {
    const product = await h.catalog.product({ sku: 'RACE-10', priceMinor: 1_000, onHand: 10 });
    const replica = await h.replica();
    const buyers = await Promise.all(Array.from({ length: 100 }, () => customer(h.issuer)));
    for (const b of buyers) await fillCart(h.t, b.userId, [{ productId: product, quantity: 1 }]);

    const answers = await Promise.all(
      buyers.map((b, i) =>
        fetch(`${i % 2 ? replica.url : h.url}/v1/orders`, {
          method: 'POST',
          headers: {
            ...b.headers,
            'content-type': 'application/json',
            'idempotency-key': `race-${i}`,
          },
          body: JSON.stringify(body),
        }).then(async (r) => ({ status: r.status, body: (await r.json()) as { code?: string } })),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    const refused = answers.filter((a) => a.status === 409);
    const others = answers.filter((a) => a.status !== 201 && a.status !== 409);
    expect(others.map((a) => `${a.status} ${a.body.code}`)).toEqual([]);
    expect(created).toHaveLength(10);
    expect(refused).toHaveLength(90);
    expect(new Set(refused.map((r) => r.body.code))).toEqual(new Set(['insufficient-stock']));

    const ids = buyers.map((b) => b.userId);
    await eventually(
      async () => (await statusCounts('user_id = ANY($1)', [ids])).paid === 10,
      10_000,
    );
    expect(await statusCounts('user_id = ANY($1)', [ids])).toEqual({ paid: 10, cancelled: 90 });
    expect(await h.catalog.stock(product)).toEqual(
      expect.objectContaining({ onHand: 0, reserved: 0, available: 0 }),
    );
    // Every hold this race made was confirmed (10) or never made: none held, none dangling.
    const holds = await h.catalog.reservationsByStatus();
    expect(holds.held ?? 0).toBe(0);
  });
});

describe('one Idempotency-Key, 50 concurrent requests', () => {
  it('one order, one reservation, one payment; the rest replay it or get 409', {
    timeout: 60_000,
  }, async () => {
    const product = await h.catalog.product({ sku: 'IDEM-50', priceMinor: 2_000, onHand: 100 });
    const ivy = await customer(h.issuer);
    await fillCart(h.t, ivy.userId, [{ productId: product, quantity: 3 }]);

    const answers = await Promise.all(
      Array.from({ length: 50 }, () =>
        fetch(`${h.url}/v1/orders`, {
          method: 'POST',
          headers: {
            ...ivy.headers,
            'content-type': 'application/json',
            'idempotency-key': 'ivy-1',
          },
          body: JSON.stringify(body),
        }).then(async (r) => ({
          status: r.status,
          replayed: r.headers.get('idempotent-replayed'),
          body: (await r.json()) as { id?: string; code?: string },
        })),
      ),
    );
    const created = answers.filter((a) => a.status === 201);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    expect(created.filter((a) => a.replayed !== 'true')).toHaveLength(1);
    for (const a of answers.filter((x) => x.status !== 201)) {
      expect(a.status).toBe(409);
      expect(a.body.code).toBe('idempotency-key-in-flight');
    }

    const { rows: orders } = await h.t.app.pg.query<{ id: string; reservation_id: string }>(
      'SELECT id, reservation_id FROM orders.orders WHERE user_id = $1',
      [ivy.userId],
    );
    expect(orders).toHaveLength(1);
    const { rows: pays } = await h.t.app.pg.query(
      'SELECT 1 FROM orders.payments WHERE order_id = $1',
      [orders[0]?.id],
    );
    expect(pays).toHaveLength(1);
    // Exactly 3 units left stock: one reservation of 3, not two.
    await eventually(async () => (await h.catalog.stock(product)).onHand === 97, 30_000);
    expect(await h.catalog.stock(product)).toMatchObject({ onHand: 97, reserved: 0 });

    // After the race, a retry replays the first answer byte for byte.
    const retry = await fetch(`${h.url}/v1/orders`, {
      method: 'POST',
      headers: { ...ivy.headers, 'content-type': 'application/json', 'idempotency-key': 'ivy-1' },
      body: JSON.stringify(body),
    });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    expect(((await retry.json()) as { id: string }).id).toBe(orders[0]?.id);

    // The same key with another body is refused and changes nothing.
    const other = await fetch(`${h.url}/v1/orders`, {
      method: 'POST',
      headers: { ...ivy.headers, 'content-type': 'application/json', 'idempotency-key': 'ivy-1' },
      body: JSON.stringify({ ...body, shippingMethod: 'dollar' }),
    });
    expect(other.status).toBe(422);
    expect(((await other.json()) as { code: string }).code).toBe('idempotency-key-reused');
  });
});
