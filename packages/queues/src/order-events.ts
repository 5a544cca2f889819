// The orders service's events for other services (the jobs service: confirmation and
// payment-failure emails, fulfilment), produced through the orders outbox, one per status
// change. At least once: eventId is also the BullMQ job id, and consumers drop duplicates by it.
import { type Static, Type } from 'typebox';
import { defineQueue, type JobPayload } from './contract.ts';

export const ORDER_CREATED = 'order.created';
export const ORDER_STATUS_CHANGED = 'order.status-changed';

/** Every status an order can have; the orders service's state machine is built on this list. */
export const ORDER_STATUSES = [
  'pending',
  'awaiting_payment',
  'paid',
  'payment_failed',
  'cancelled',
  'refunded',
] as const;

const OrderStatusSchema = Type.Enum([...ORDER_STATUSES]);

const common = {
  eventId: Type.String({ format: 'uuid', description: 'Unique per event; consumers dedupe by it' }),
  orderId: Type.String({ format: 'uuid' }),
  userId: Type.String({ format: 'uuid' }),
  occurredAt: Type.String({ format: 'date-time' }),
  requestId: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 200,
      description: 'The HTTP request that caused the change, when one did: job logs carry it',
    }),
  ),
};

export const OrderCreatedPayloadSchema = Type.Object(
  {
    ...common,
    currency: Type.String({ pattern: '^[A-Z]{3}$' }),
    totalMinor: Type.Integer({ minimum: 0 }),
    lines: Type.Array(
      Type.Object(
        {
          productId: Type.String({ format: 'uuid' }),
          sku: Type.String(),
          name: Type.String(),
          quantity: Type.Integer({ minimum: 1 }),
          unitPriceMinor: Type.Integer({ minimum: 0 }),
        },
        { additionalProperties: false },
      ),
      { minItems: 1 },
    ),
  },
  { additionalProperties: false },
);

export const OrderStatusChangedPayloadSchema = Type.Object(
  {
    ...common,
    from: OrderStatusSchema,
    to: OrderStatusSchema,
    reason: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const orderEvents = defineQueue(
  'order-events',
  {
    [ORDER_CREATED]: OrderCreatedPayloadSchema,
    [ORDER_STATUS_CHANGED]: OrderStatusChangedPayloadSchema,
  },
  {
    attempts: 8,
    backoff: { type: 'exponential', delay: 1_000 },
    // The job id deduplicates a re-published outbox row only while the job is kept.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
);

export type OrderEventStatus = Static<typeof OrderStatusSchema>;
export type OrderCreatedPayload = JobPayload<typeof orderEvents, typeof ORDER_CREATED>;
export type OrderStatusChangedPayload = JobPayload<typeof orderEvents, typeof ORDER_STATUS_CHANGED>;
