// POST /v1/payments/webhook as an attacker and as a flaky processor would call it: a bad
// signature is a 400 that changes nothing; the same event delivered twice (or at once) moves
// the order once. Events are built and signed here exactly as the sandbox builds them.
import { randomBytes } from 'node:crypto';
import { SANDBOX_SIGNATURE_HEADER, signWebhookPayload } from '@meridian/payments';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_PAYMENT_WEBHOOK_SECRET } from '../src/config.ts';
import {
  createOrdersHarness,
  customer,
  eventually,
  fillCart,
  type OrdersHarness,
} from './helpers.ts';

let h: OrdersHarness;
beforeAll(async () => {
  // pm_card_delayed reports after 40 × 500 ms = 20 s: the sandbox's own webhook for it does not
  // arrive while these tests run, so every event the order sees is one sent here.
  h = await createOrdersHarness({ SANDBOX_OUTCOME_DELAY_MS: '500' });
});
afterAll(async () => {
  await h?.close();
});

interface PlacedOrder {
  id: string;
  productId: string;
  providerPaymentId: string;
  amount: number;
  currency: string;
}

/** A checkout with pm_card_delayed: the order waits in awaiting_payment, stock held. */
async function placeOrder(sku: string, card = 'pm_card_delayed'): Promise<PlacedOrder> {
  const productId = await h.catalog.product({ sku, priceMinor: 2_000, onHand: 5 });
  const buyer = await customer(h.issuer);
  await fillCart(h.t, buyer.userId, [{ productId, quantity: 2 }]);
  const res = await h.t.app.inject({
    method: 'POST',
    url: '/v1/orders',
    headers: { ...buyer.headers, 'idempotency-key': `wh-${sku}` },
    payload: { shippingMethod: 'standard', paymentMethod: card },
  });
  expect(res.statusCode).toBe(201);
  const order = res.json<{ id: string; status: string; total: { amountMinor: number } }>();
  expect(order.status).toBe('awaiting_payment');
  const { rows } = await h.t.app.pg.query<{ provider_payment_id: string; currency: string }>(
    'SELECT provider_payment_id, currency FROM orders.payments WHERE order_id = $1',
    [order.id],
  );
  const payment = rows[0] as { provider_payment_id: string; currency: string };
  return {
    id: order.id,
    productId,
    providerPaymentId: payment.provider_payment_id,
    amount: order.total.amountMinor,
    currency: payment.currency,
  };
}

/** The body the sandbox would send (packages/payments/src/sandbox.ts, emit()), serialized. */
function sandboxEvent(
  order: PlacedOrder,
  type: 'payment.succeeded' | 'payment.failed' | 'payment.canceled',
  extra: Record<string, unknown> = {},
): { id: string; body: string } {
  const id = `evt_sbx_${randomBytes(12).toString('hex')}`;
  const event = {
    id,
    type,
    providerPaymentId: order.providerPaymentId,
    orderId: order.id,
    amount: order.amount,
    currency: order.currency,
    ...extra,
    occurredAt: new Date().toISOString(),
  };
  return { id, body: JSON.stringify(event) };
}

const sign = (body: string, secret = DEV_PAYMENT_WEBHOOK_SECRET, timestamp?: number) =>
  signWebhookPayload(body, secret, timestamp);

/** Over real HTTP, as a processor sends it. */
async function deliver(
  body: string,
  headers: Record<string, string>,
): Promise<{ status: number; contentType: string; json: Record<string, unknown> }> {
  const res = await fetch(`${h.url}/v1/payments/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    // asserted through status
  }
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', json };
}

async function orderRow(id: string) {
  const { rows } = await h.t.app.pg.query<{
    status: string;
    status_reason: string | null;
    payment_status: string;
    failure_code: string | null;
  }>(
    `SELECT o.status, o.status_reason, p.status AS payment_status, p.failure_code
     FROM orders.orders o JOIN orders.payments p ON p.order_id = o.id WHERE o.id = $1`,
    [id],
  );
  return rows[0];
}

async function paymentEvents(providerPaymentId: string) {
  const { rows } = await h.t.app.pg.query<{
    id: string;
    type: string;
    processed_at: Date | null;
    attempts: number;
  }>(
    'SELECT id, type, processed_at, attempts FROM orders.payment_events WHERE provider_payment_id = $1 ORDER BY received_at',
    [providerPaymentId],
  );
  return rows;
}

async function statusEvents(orderId: string) {
  const { rows } = await h.t.app.pg.query<{ payload: { from: string; to: string } }>(
    `SELECT payload FROM orders.outbox
     WHERE payload->>'orderId' = $1 AND name = 'order.status-changed' ORDER BY created_at`,
    [orderId],
  );
  return rows.map((r) => `${r.payload.from}->${r.payload.to}`);
}

/** Nothing moved: awaiting payment, the payment pending, the stock still held, no event kept. */
async function expectUntouched(order: PlacedOrder) {
  // Give a wrongly accepted event the time the inbox processor (200 ms) needs to act on it.
  await new Promise((r) => setTimeout(r, 400));
  expect(await orderRow(order.id)).toMatchObject({
    status: 'awaiting_payment',
    payment_status: 'pending',
  });
  expect(await paymentEvents(order.providerPaymentId)).toEqual([]);
  expect(await h.catalog.stock(order.productId)).toMatchObject({ onHand: 5, reserved: 2 });
  expect(await statusEvents(order.id)).toEqual(['pending->awaiting_payment']);
}

describe('POST /v1/payments/webhook, refused', () => {
  let order: PlacedOrder;
  beforeAll(async () => {
    order = await placeOrder('WH-REFUSED');
  });

  it('signed with the wrong secret: 400 invalid-signature, and nothing changes', async () => {
    const { body } = sandboxEvent(order, 'payment.succeeded');
    const res = await deliver(body, {
      [SANDBOX_SIGNATURE_HEADER]: sign(body, 'not-the-webhook-secret-at-all'),
    });
    expect(res.status).toBe(400);
    expect(res.contentType).toContain('application/problem+json');
    expect(res.json.code).toBe('invalid-signature');
    await expectUntouched(order);
  });

  it('a body changed after signing: 400', async () => {
    const { body } = sandboxEvent(order, 'payment.failed', { failureCode: 'generic_decline' });
    const header = sign(body);
    const tampered = body.replace('payment.failed', 'payment.succeeded');
    expect(tampered).not.toBe(body);
    const res = await deliver(tampered, { [SANDBOX_SIGNATURE_HEADER]: header });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('invalid-signature');
    // Re-serialized JSON (same object, other bytes) is just as much a different body.
    const reserialized = JSON.stringify(JSON.parse(body), null, 1);
    const res2 = await deliver(reserialized, { [SANDBOX_SIGNATURE_HEADER]: header });
    expect(res2.status).toBe(400);
    await expectUntouched(order);
  });

  it('a correct signature older than 300 s (a replay): 400', async () => {
    const { body } = sandboxEvent(order, 'payment.succeeded');
    const old = Math.floor(Date.now() / 1000) - 301;
    const res = await deliver(body, { [SANDBOX_SIGNATURE_HEADER]: sign(body, undefined, old) });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe('invalid-signature');
    await expectUntouched(order);
  });

  it('no signature header, an empty one, or a malformed one: 400', async () => {
    const { body } = sandboxEvent(order, 'payment.succeeded');
    const cases: Record<string, string>[] = [
      {},
      { [SANDBOX_SIGNATURE_HEADER]: '' },
      { [SANDBOX_SIGNATURE_HEADER]: 'garbage' },
      { [SANDBOX_SIGNATURE_HEADER]: `t=${Math.floor(Date.now() / 1000)}` },
    ];
    for (const headers of cases) {
      const res = await deliver(body, headers);
      expect(res.status, JSON.stringify(headers)).toBe(400);
      expect(res.json.code).toBe('invalid-signature');
    }
    await expectUntouched(order);
  });

  it('another content type, or a signed body that is not an event: 4xx, never 5xx', async () => {
    const { body } = sandboxEvent(order, 'payment.succeeded');
    const signed = { [SANDBOX_SIGNATURE_HEADER]: sign(body) };
    const answers: Record<string, number> = {};
    for (const contentType of [
      'application/x-www-form-urlencoded',
      'text/html',
      'application/xml',
    ]) {
      const res = await deliver(body, { ...signed, 'content-type': contentType });
      answers[contentType] = res.status;
    }
    for (const raw of ['not json at all', 'null', '"a string"', '{"type":"payment.succeeded"}']) {
      const res = await deliver(raw, { [SANDBOX_SIGNATURE_HEADER]: sign(raw) });
      answers[raw] = res.status;
    }
    const unsigned = await deliver('{', {});
    answers['{ unsigned'] = unsigned.status;
    for (const [what, status] of Object.entries(answers)) {
      expect(status, what).toBeGreaterThanOrEqual(400);
      expect(status, what).toBeLessThan(500);
    }
    await expectUntouched(order);
  });
  // Fastify parses text/plain by default: the route must refuse it, not verify and act on it.
  it('a correctly signed event sent as text/plain: 415, and nothing changes', async () => {
    const plain = await placeOrder('WH-PLAIN');
    const { body } = sandboxEvent(plain, 'payment.succeeded');
    const res = await deliver(body, {
      [SANDBOX_SIGNATURE_HEADER]: sign(body),
      'content-type': 'text/plain',
    });
    expect(res.status).toBe(415);
    expect(res.json.code).toBe('unsupported-media-type');
    await expectUntouched(plain);
  });
});

describe('POST /v1/payments/webhook, a valid event', () => {
  it('moves the order to paid once, however often the same event is delivered', async () => {
    const order = await placeOrder('WH-ONCE');
    const { id: eventId, body } = sandboxEvent(order, 'payment.succeeded');
    const header = sign(body);

    const first = await deliver(body, { [SANDBOX_SIGNATURE_HEADER]: header });
    expect(first.status).toBe(200);
    expect(first.json).toEqual({ received: true, duplicate: false, ignored: false });

    await eventually(async () => (await orderRow(order.id))?.status === 'paid');
    expect(await orderRow(order.id)).toMatchObject({ payment_status: 'succeeded' });
    // The hold was confirmed: the units left stock for good.
    expect(await h.catalog.stock(order.productId)).toMatchObject({
      onHand: 3,
      reserved: 0,
      available: 3,
    });

    // The very same bytes and header again, as a processor retrying after a lost 200 would.
    const again = await deliver(body, { [SANDBOX_SIGNATURE_HEADER]: header });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({ received: true, duplicate: true, ignored: false });
    // And re-signed later, as the sandbox's duplicate deliveries are.
    const resigned = await deliver(body, { [SANDBOX_SIGNATURE_HEADER]: sign(body) });
    expect(resigned.json).toMatchObject({ duplicate: true });

    await new Promise((r) => setTimeout(r, 400)); // two inbox polls
    const events = await paymentEvents(order.providerPaymentId);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ id: eventId, type: 'payment.succeeded', attempts: 1 });
    expect(events[0]?.processed_at).toBeInstanceOf(Date);
    expect(await statusEvents(order.id)).toEqual([
      'pending->awaiting_payment',
      'awaiting_payment->paid',
    ]);
    expect(await h.catalog.stock(order.productId)).toMatchObject({ onHand: 3, reserved: 0 });
  });

  it('five identical deliveries at once: one is new, four are duplicates, one state change', async () => {
    const order = await placeOrder('WH-RACE');
    const { body } = sandboxEvent(order, 'payment.succeeded');
    const header = sign(body);
    const answers = await Promise.all(
      Array.from({ length: 5 }, () => deliver(body, { [SANDBOX_SIGNATURE_HEADER]: header })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.filter((a) => a.json.duplicate === false)).toHaveLength(1);
    await eventually(async () => (await orderRow(order.id))?.status === 'paid');
    await new Promise((r) => setTimeout(r, 400));
    expect(await paymentEvents(order.providerPaymentId)).toHaveLength(1);
    expect(await statusEvents(order.id)).toEqual([
      'pending->awaiting_payment',
      'awaiting_payment->paid',
    ]);
  });

  it('a payment.failed event for an order already paid changes nothing', async () => {
    const order = await placeOrder('WH-LATE-FAIL');
    const paid = sandboxEvent(order, 'payment.succeeded');
    await deliver(paid.body, { [SANDBOX_SIGNATURE_HEADER]: sign(paid.body) });
    await eventually(async () => (await orderRow(order.id))?.status === 'paid');

    const failed = sandboxEvent(order, 'payment.failed', { failureCode: 'generic_decline' });
    const res = await deliver(failed.body, { [SANDBOX_SIGNATURE_HEADER]: sign(failed.body) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: true, duplicate: false, ignored: false });
    // Wait until the inbox has processed it, then look.
    await eventually(async () => {
      const events = await paymentEvents(order.providerPaymentId);
      return events.length === 2 && events.every((e) => e.processed_at !== null);
    });
    expect(await orderRow(order.id)).toMatchObject({
      status: 'paid',
      status_reason: null,
      payment_status: 'succeeded',
      failure_code: null,
    });
    expect(await statusEvents(order.id)).toEqual([
      'pending->awaiting_payment',
      'awaiting_payment->paid',
    ]);
    expect(await h.catalog.stock(order.productId)).toMatchObject({ onHand: 3, reserved: 0 });
  });

  it('an event type orders does not act on: 200 ignored, nothing stored', async () => {
    const order = await placeOrder('WH-OTHER');
    const { body } = sandboxEvent(order, 'payment.succeeded');
    const other = body.replace('"payment.succeeded"', '"charge.dispute.created"');
    const res = await deliver(other, { [SANDBOX_SIGNATURE_HEADER]: sign(other) });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ received: true, duplicate: false, ignored: true });
    await expectUntouched(order);
  });
});

describe('a declined card, through the sandbox’s own webhook', () => {
  it('ends payment_failed with the decline code, and the hold is released', async () => {
    const order = await placeOrder('WH-DECLINED', 'pm_card_chargeDeclined');
    // The sandbox reports after 500 ms, over HTTP, signed with the dev secret.
    const failed = await eventually(async () => {
      const row = await orderRow(order.id);
      return row?.status === 'payment_failed' ? row : null;
    }, 5_000);
    expect(failed).toMatchObject({
      status_reason: 'payment-generic_decline',
      payment_status: 'failed',
      failure_code: 'generic_decline',
    });
    expect(await h.catalog.stock(order.productId)).toMatchObject({
      onHand: 5,
      reserved: 0,
      available: 5,
    });
    expect(await h.catalog.reservationStatus(order.id)).toBe('released');
    const events = await paymentEvents(order.providerPaymentId);
    expect(events.map((e) => e.type)).toEqual(['payment.failed']);
    expect(await statusEvents(order.id)).toEqual([
      'pending->awaiting_payment',
      'awaiting_payment->payment_failed',
    ]);
  });
});
