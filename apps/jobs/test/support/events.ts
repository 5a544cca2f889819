// Valid events as the other services produce them, with fresh ids.
import { randomUUID } from 'node:crypto';
import type { OrderCreatedPayload } from '@meridian/queues';

export function orderCreated(overrides: Partial<OrderCreatedPayload> = {}): OrderCreatedPayload {
  return {
    eventId: randomUUID(),
    orderId: randomUUID(),
    userId: randomUUID(),
    occurredAt: new Date().toISOString(),
    currency: 'EUR',
    totalMinor: 4_200,
    lines: [
      { productId: randomUUID(), sku: 'SKU-1', name: 'Mug', quantity: 2, unitPriceMinor: 2_100 },
    ],
    ...overrides,
  };
}
