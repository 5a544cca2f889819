// The catalog's events for other services, produced through catalog's outbox and consumed by
// the jobs service. Delivery is at least once: every event carries an eventId (also its
// BullMQ job id), so a consumer drops a duplicate by it.
import { Type } from 'typebox';
import { defineQueue, type JobPayload } from './contract.ts';

export const LOW_STOCK = 'inventory.low-stock';

export const LowStockPayloadSchema = Type.Object(
  {
    eventId: Type.String({
      format: 'uuid',
      description: 'Unique per event; consumers dedupe by it',
    }),
    productId: Type.String({ format: 'uuid' }),
    sku: Type.String({ minLength: 1 }),
    available: Type.Integer({
      minimum: 0,
      description: 'onHand - reserved right after the change that crossed the threshold',
    }),
    threshold: Type.Integer({
      minimum: 1,
      description: 'The product threshold at that moment; available is below it',
    }),
    occurredAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const catalogEvents = defineQueue(
  'catalog-events',
  { [LOW_STOCK]: LowStockPayloadSchema },
  {
    attempts: 5,
    backoff: { type: 'exponential', delay: 1_000 },
    // A job id is what deduplicates a re-published outbox row, and only while the job is
    // still in Redis: keep completed jobs a day, longer than any relay retry.
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600 },
  },
);

export type LowStockPayload = JobPayload<typeof catalogEvents, typeof LOW_STOCK>;
