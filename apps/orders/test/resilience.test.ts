// Orders when catalog fails: a checkout answers 503 within its time budget and writes
// nothing; repeated failures open the breaker, which then refuses at once and half-opens
// after its reset timeout; catalog failing between the price read and the reservation leaves
// a cancelled order whose hold the compensator releases, retrying while catalog is away.
// Catalog is a real one behind a TCP proxy the tests cut, black-hole or tamper with.
import net from 'node:net';
import { createTcpProxy, type TcpProxy } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalogLink } from './catalog-link.ts';
import {
  createOrdersHarness,
  customer,
  eventually,
  fillCart,
  type OrdersHarness,
} from './helpers.ts';

type Headers = Record<string, string>;

const checkout = (h: OrdersHarness, headers: Headers, key: string, card = 'pm_card_visa') =>
  h.t.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...headers, 'idempotency-key': key },
    payload: { shippingMethod: 'standard', paymentMethod: card },
  });

async function ordersOf(h: OrdersHarness, userId: string) {
  const { rows } = await h.t.app.pg.query<{
    id: string;
    status: string;
    status_reason: string | null;
    compensation_due_at: Date | null;
  }>(
    'SELECT id, status, status_reason, compensation_due_at FROM orders.orders WHERE user_id = $1',
    [userId],
  );
  return rows;
}

async function cartSize(h: OrdersHarness, userId: string) {
  const { rows } = await h.t.app.pg.query('SELECT 1 FROM orders.cart_items WHERE user_id = $1', [
    userId,
  ]);
  return rows.length;
}

/** The orders breaker's state as /metrics shows it: 0 closed, 1 half-open, 2 open. */
async function breakerState(h: OrdersHarness): Promise<number> {
  const res = await h.t.app.inject({ url: '/metrics' });
  const line = res.body
    .split('\n')
    .find((l) => l.startsWith('service_client_breaker_state{') && l.includes('callee="catalog"'));
  if (!line) throw new Error('no service_client_breaker_state for catalog in /metrics');
  return Number(line.slice(line.lastIndexOf(' ') + 1));
}

/**
 * Catalog stops answering: the proxy's port accepts connections and never replies, as a
 * catalog stuck on its database would. Returns how to bring catalog back, and a count of the
 * connections the black hole took (calls that reached "catalog").
 */
async function blackHole(proxy: TcpProxy) {
  await proxy.cut();
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(proxy.port, '127.0.0.1', () => resolve());
  });
  const close = async () => {
    for (const s of sockets) s.destroy();
    if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return {
    accepted: () => accepted,
    close,
    async restore() {
      await close();
      await proxy.restore();
    },
  };
}

describe('catalog unavailable at checkout', () => {
  const TIMEOUT_MS = 200;
  const ATTEMPTS = 3;
  let h: OrdersHarness;
  let proxy: TcpProxy;
  let productId: string;
  let hole: Awaited<ReturnType<typeof blackHole>>;

  beforeAll(async () => {
    h = await createOrdersHarness(
      {
        CATALOG_TIMEOUT_MS: String(TIMEOUT_MS),
        CATALOG_RETRIES: String(ATTEMPTS),
        CATALOG_BREAKER_RESET_MS: '6000',
      },
      {
        catalogVia: async (target) => {
          proxy = await createTcpProxy(target);
          return proxy;
        },
      },
    );
    productId = await h.catalog.product({ sku: 'RES-1', priceMinor: 1_000, onHand: 10 });
  });
  afterAll(async () => {
    await h?.close();
    await hole?.close();
    await proxy?.close();
  });

  it('when catalog does not answer: 503 dependency-unavailable with Retry-After, within timeout × attempts, and no order', async () => {
    const amy = await customer(h.issuer);
    await fillCart(h.t, amy.userId, [{ productId, quantity: 1 }]);
    hole = await blackHole(proxy);

    const started = performance.now();
    const res = await checkout(h, amy.headers, 'hang-1');
    const elapsed = performance.now() - started;

    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'dependency-unavailable', dependency: 'catalog' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // Every attempt waited out its timeout (so it was a hang, not a refusal)…
    expect(elapsed).toBeGreaterThanOrEqual(TIMEOUT_MS * ATTEMPTS);
    // …and not much longer: the backoff between attempts is under 150 ms here, plus slack
    // for a loaded machine (the default settings would take 3 × 2 s).
    expect(elapsed).toBeLessThan(TIMEOUT_MS * ATTEMPTS + 150 + 1_000);
    expect(hole.accepted()).toBeGreaterThanOrEqual(1);
    expect(await ordersOf(h, amy.userId)).toEqual([]);
    expect(await cartSize(h, amy.userId)).toBe(1);
  });

  it('after repeated failures the breaker opens: checkouts are refused at once, catalog is not called', async () => {
    const ben = await customer(h.issuer);
    await fillCart(h.t, ben.userId, [{ productId, quantity: 1 }]);
    // At least 10 attempts in the window, all failed: the breaker's volume threshold.
    for (let round = 0; round < 5 && (await breakerState(h)) !== 2; round++) {
      const answers = await Promise.all(
        [1, 2, 3].map((i) => checkout(h, ben.headers, `open-${round}-${i}`)),
      );
      expect(answers.map((a) => a.statusCode)).toEqual([503, 503, 503]);
    }
    expect(await breakerState(h)).toBe(2);

    // Connections from the failed attempts may still be in the accept queue on a loaded
    // machine: count once the number has stopped moving.
    let calls = hole.accepted();
    for (let settled = 0; settled < 4; ) {
      await new Promise((r) => setTimeout(r, 50));
      const now = hole.accepted();
      settled = now === calls ? settled + 1 : 0;
      calls = now;
    }
    const started = performance.now();
    const res = await checkout(h, ben.headers, 'while-open');
    const elapsed = performance.now() - started;
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'dependency-unavailable', dependency: 'catalog' });
    expect(res.json().detail).toMatch(/not being called/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(6);
    // No attempt was made: catalog took no connection, and the answer did not wait for the
    // attempts' timeouts.
    expect(hole.accepted()).toBe(calls);
    expect(elapsed).toBeLessThan(TIMEOUT_MS * ATTEMPTS);
    expect(await ordersOf(h, ben.userId)).toEqual([]);
    expect(await cartSize(h, ben.userId)).toBe(1);
  });

  it('after the reset timeout, with catalog back, the breaker half-opens and a checkout succeeds and closes it', {
    timeout: 40_000,
  }, async () => {
    await hole.restore();
    // CATALOG_BREAKER_RESET_MS is 6 s (long enough that a loaded machine cannot half-open it mid-test); the trial call is the next one made.
    await eventually(async () => (await breakerState(h)) === 1, 15_000);
    const cy = await customer(h.issuer);
    await fillCart(h.t, cy.userId, [{ productId, quantity: 2 }]);
    const res = await checkout(h, cy.headers, 'after-reset');
    expect(res.statusCode).toBe(201);
    expect(res.json().status).toBe('awaiting_payment');
    expect(await breakerState(h)).toBe(0);
    await eventually(async () => (await ordersOf(h, cy.userId))[0]?.status === 'paid');
    expect(await h.catalog.stock(productId)).toMatchObject({ onHand: 8, reserved: 0 });
  });
});

describe('catalog failing between the price read and the reservation', () => {
  // Two attempts per call: a lost reservation is retried once (the retry finds the same hold
  // by its key), and the failures of these tests stay under the breaker's threshold, which
  // would otherwise delay the compensations by its reset timeout.
  const ATTEMPTS = 2;
  let h: OrdersHarness;
  let link: Awaited<ReturnType<typeof createCatalogLink>>;

  beforeAll(async () => {
    h = await createOrdersHarness(
      {
        CATALOG_RETRIES: String(ATTEMPTS),
        CATALOG_BREAKER_RESET_MS: '500',
        // pm_card_delayed reports after 10 s: an order paid with it stays awaiting_payment.
        SANDBOX_OUTCOME_DELAY_MS: '250',
        // The compensator's poll, for the compensations these tests make due by hand.
        COMPENSATION_INTERVAL_MS: '200',
      },
      {
        catalogVia: async (target) => {
          link = await createCatalogLink(target);
          return link;
        },
      },
    );
  });
  afterAll(async () => {
    await h?.close();
    await link?.close();
  });

  async function dueIn(orderId: string): Promise<number | null> {
    const { rows } = await h.t.app.pg.query<{ secs: number | null }>(
      'SELECT extract(epoch FROM compensation_due_at - now())::float AS secs FROM orders.orders WHERE id = $1',
      [orderId],
    );
    return rows[0]?.secs ?? null;
  }

  it.each([
    ['its request is lost: nothing was held', 'request' as const],
    ['its answer is lost: catalog holds the stock', 'answer' as const],
  ])('the reservation fails (%s): 503, the order cancelled, no hold left', async (_what, mode) => {
    const productId = await h.catalog.product({
      sku: `RES-LOST-${mode.toUpperCase()}`,
      priceMinor: 1_200,
      onHand: 5,
    });
    const dee = await customer(h.issuer);
    await fillCart(h.t, dee.userId, [{ productId, quantity: 2 }]);
    link.intercept(mode, ATTEMPTS);

    const res = await checkout(h, dee.headers, `lost-${mode}`);
    expect(res.statusCode).toBe(503);
    expect(res.json()).toMatchObject({ code: 'dependency-unavailable', dependency: 'catalog' });
    expect(link.intercepted()).toBe(true);

    const [order] = await ordersOf(h, dee.userId);
    expect(order).toMatchObject({ status: 'cancelled', status_reason: 'catalog-unavailable' });
    const orderId = (order as { id: string }).id;
    // The compensator asks catalog for the hold by the order id and releases it.
    await eventually(async () => (await ordersOf(h, dee.userId))[0]?.compensation_due_at === null);
    expect(await h.catalog.reservationStatus(orderId)).toBe('released');
    expect(await h.catalog.stock(productId)).toMatchObject({
      onHand: 5,
      reserved: 0,
      available: 5,
    });
    // The customer still has the cart, to try again.
    expect(await cartSize(h, dee.userId)).toBe(1);
  });

  /** A cancelled order with a hold under its id in catalog, as a failed reserve leaves it. */
  async function cancelledOrderWithHold(sku: string, hold: boolean) {
    const productId = await h.catalog.product({ sku, priceMinor: 900, onHand: 4 });
    const eve = await customer(h.issuer);
    const { rows } = await h.t.app.pg.query<{ id: string }>(
      `INSERT INTO orders.orders (user_id, currency, items_total_minor, shipping_method, shipping_minor, total_minor)
       VALUES ($1, 'EUR', 2700, 'standard', 499, 3199) RETURNING id`,
      [eve.userId],
    );
    const orderId = (rows[0] as { id: string }).id;
    await h.t.app.pg.query(
      `INSERT INTO orders.order_lines (order_id, product_id, sku, name, unit_price_minor, currency, quantity, line_total_minor)
       VALUES ($1, $2, $3, $3, 900, 'EUR', 3, 2700)`,
      [orderId, productId, sku],
    );
    if (hold) await h.catalog.reserve(orderId, [{ productId, quantity: 3 }]);
    await h.t.app.pg.query(
      "UPDATE orders.orders SET status = 'cancelled', status_reason = 'catalog-unavailable' WHERE id = $1",
      [orderId],
    );
    return { orderId, productId };
  }

  it('the compensator releases a hold left under the order id, and clears the compensation', async () => {
    const { orderId, productId } = await cancelledOrderWithHold('RES-COMP-1', true);
    expect(await h.catalog.stock(productId)).toMatchObject({ reserved: 3, available: 1 });
    await h.t.app.pg.query('UPDATE orders.orders SET compensation_due_at = now() WHERE id = $1', [
      orderId,
    ]);
    await eventually(async () => (await dueIn(orderId)) === null);
    expect(await h.catalog.reservationStatus(orderId)).toBe('released');
    expect(await h.catalog.stock(productId)).toMatchObject({ reserved: 0, available: 4 });
  });

  it('with nothing held, the compensation leaves nothing held either', async () => {
    const { orderId, productId } = await cancelledOrderWithHold('RES-COMP-0', false);
    await h.t.app.pg.query('UPDATE orders.orders SET compensation_due_at = now() WHERE id = $1', [
      orderId,
    ]);
    await eventually(async () => (await dueIn(orderId)) === null);
    expect(await h.catalog.reservationStatus(orderId)).toBe('released');
    expect(await h.catalog.stock(productId)).toMatchObject({ onHand: 4, reserved: 0 });
  });

  it('never releases the hold of an order still awaiting payment', async () => {
    const productId = await h.catalog.product({ sku: 'RES-AWAIT', priceMinor: 900, onHand: 4 });
    const fin = await customer(h.issuer);
    await fillCart(h.t, fin.userId, [{ productId, quantity: 1 }]);
    const res = await checkout(h, fin.headers, 'await-1', 'pm_card_delayed');
    expect(res.statusCode).toBe(201);
    const orderId = res.json<{ id: string }>().id;
    await h.t.app.pg.query('UPDATE orders.orders SET compensation_due_at = now() WHERE id = $1', [
      orderId,
    ]);
    await eventually(async () => (await dueIn(orderId)) === null);
    expect(await h.catalog.reservationStatus(orderId)).toBe('held');
    expect((await ordersOf(h, fin.userId))[0]?.status).toBe('awaiting_payment');
  });

  it('while catalog is down, the compensation is retried later; once it is back, the hold is released', async () => {
    const { orderId, productId } = await cancelledOrderWithHold('RES-COMP-DOWN', true);
    await link.cut();
    try {
      await h.t.app.pg.query('UPDATE orders.orders SET compensation_due_at = now() WHERE id = $1', [
        orderId,
      ]);
      // Claimed (a 30 s lease), tried, failed: due again in 5 s.
      const due = await eventually(async () => {
        const secs = await dueIn(orderId);
        return secs !== null && secs > 3 && secs <= 5 ? secs : null;
      });
      expect(due).toBeGreaterThan(3);
      expect(await h.catalog.reservationStatus(orderId)).toBe('held');
    } finally {
      await link.restore();
    }
    await eventually(async () => (await dueIn(orderId)) === null, 8_000);
    expect(await h.catalog.reservationStatus(orderId)).toBe('released');
    expect(await h.catalog.stock(productId)).toMatchObject({ reserved: 0, available: 4 });
  });
});
