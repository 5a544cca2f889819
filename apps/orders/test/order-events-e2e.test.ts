// The whole real-time path across two instances: an order is placed on instance B, the sandbox
// pays it by webhook to B, B processes the event, and a customer's SSE stream open on
// instance A shows `paid` within a second. Nothing here is stubbed: checkout, sandbox, inbox,
// catalog confirm, Redis pub/sub and the SSE route are the production ones.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createOrdersHarness,
  customer,
  fillCart,
  type OrdersApp,
  type OrdersHarness,
} from './helpers.ts';
import { connectSse } from './sse-client.ts';

let h: OrdersHarness;
let b: { app: OrdersApp; url: string };
beforeAll(async () => {
  h = await createOrdersHarness({
    // pm_card_delayed reports after 40 × 25 ms = 1 s: time enough to open the stream first.
    SANDBOX_OUTCOME_DELAY_MS: '25',
    // No polling: an instance processes the inbox only when its own webhook route pokes it,
    // so the event is processed on the instance that received it, B, never on A.
    PAYMENT_EVENTS_INTERVAL_MS: '0',
  });
  b = await h.replica();
});
afterAll(async () => {
  await h?.close();
});

async function webhooksAnswered(app: OrdersApp): Promise<number> {
  const metric = app.metrics.registry.getSingleMetric('http_request_duration_seconds');
  const { values } = await (metric as NonNullable<typeof metric>).get();
  return values
    .filter(
      (v) =>
        (v as { metricName?: string }).metricName === 'http_request_duration_seconds_count' &&
        v.labels.route === '/v1/payments/webhook' &&
        String(v.labels.status_code) === '200',
    )
    .reduce((sum, v) => sum + v.value, 0);
}

describe('GET /v1/orders/:id/events across instances', () => {
  it('a stream on instance A shows `paid` within a second of instance B processing the webhook', async () => {
    const productId = await h.catalog.product({ sku: 'RT-1', priceMinor: 5_000, onHand: 2 });
    const ann = await customer(h.issuer);
    await fillCart(h.t, ann.userId, [{ productId, quantity: 1 }]);

    // Checkout on B: B's sandbox makes the payment and will deliver its webhook to B.
    const placed = await fetch(`${b.url}/v1/orders`, {
      method: 'POST',
      headers: {
        ...ann.headers,
        'content-type': 'application/json',
        'idempotency-key': 'rt-1',
      },
      body: JSON.stringify({ shippingMethod: 'standard', paymentMethod: 'pm_card_delayed' }),
    });
    expect(placed.status).toBe(201);
    const order = (await placed.json()) as { id: string; status: string };
    expect(order.status).toBe('awaiting_payment');

    const stream = await connectSse(`${h.url}/v1/orders/${order.id}/events`, ann.headers);
    expect(stream.response.status).toBe(200);
    expect(stream.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    try {
      const first = await stream.nextStatus(2_000);
      expect(first.data).toMatchObject({ status: 'awaiting_payment', previousStatus: null });

      const paid = await stream.nextStatus(5_000);
      expect(paid.data).toMatchObject({
        orderId: order.id,
        status: 'paid',
        previousStatus: 'awaiting_payment',
      });

      // The webhook went to B and only B; A learnt of the change through Redis alone.
      expect(await webhooksAnswered(b.app)).toBe(1);
      expect(await webhooksAnswered(h.t.app)).toBe(0);

      const { rows } = await h.t.app.pg.query<{
        updated_at: Date;
        status: string;
        received_at: Date;
      }>(
        `SELECT o.updated_at, o.status, e.received_at FROM orders.orders o
         JOIN orders.payment_events e ON e.payload->>'orderId' = o.id::text WHERE o.id = $1`,
        [order.id],
      );
      expect(rows).toHaveLength(1);
      const row = rows[0] as { updated_at: Date; status: string; received_at: Date };
      expect(row.status).toBe('paid');
      // The event carries the paid UPDATE's own updated_at, and is its SSE id.
      expect(paid.data.occurredAt).toBe(row.updated_at.toISOString());
      expect(paid.id).toBe(String(row.updated_at.getTime()));

      // Same process, same clock: from the paid UPDATE to the client, and from the webhook
      // being stored on B (confirm in catalog included) to the client.
      const sinceUpdate = paid.receivedAt - row.updated_at.getTime();
      const sinceWebhook = paid.receivedAt - row.received_at.getTime();
      expect(sinceUpdate).toBeGreaterThanOrEqual(0);
      expect(sinceUpdate).toBeLessThan(1_000);
      expect(sinceWebhook).toBeLessThan(1_000);
    } finally {
      stream.close();
    }
  });
});
