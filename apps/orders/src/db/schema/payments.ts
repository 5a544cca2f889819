// Payments as the provider reported them, and the webhook inbox: every verified event is
// stored once by the provider's event id (a redelivery is a no-op) and processed from the
// table, so the webhook answers at once and no event is lost if processing fails midway.
import { sql } from 'drizzle-orm';
import {
  char,
  check,
  index,
  integer,
  jsonb,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { orders } from './orders.ts';
import { ordersSchema } from './schema.ts';

export const paymentStatus = ordersSchema.enum('payment_status', [
  'pending',
  'succeeded',
  'failed',
  'canceled',
  'refunded',
]);

export const payments = ordersSchema.table(
  'payments',
  {
    id: uuid().primaryKey().defaultRandom(),
    orderId: uuid()
      .notNull()
      .references(() => orders.id),
    provider: text().notNull(),
    providerPaymentId: text().notNull().unique(),
    status: paymentStatus().notNull(),
    amountMinor: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    failureCode: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // One payment per order: a declined order ends payment_failed; the customer checks out again.
    uniqueIndex('payments_order_idx').on(t.orderId),
    check('payments_amount_check', sql`${t.amountMinor} > 0`),
  ],
);

export const paymentEvents = ordersSchema.table(
  'payment_events',
  {
    /** The provider's event id: the dedup key. */
    id: text().primaryKey(),
    provider: text().notNull(),
    type: text().notNull(),
    providerPaymentId: text().notNull(),
    payload: jsonb().$type<unknown>().notNull(),
    receivedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    /** When a processor may take it: now, later while one holds it, later again after a failure. */
    availableAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    processedAt: timestamp({ withTimezone: true }),
    attempts: integer().notNull().default(0),
    lastError: text(),
  },
  (t) => [index('payment_events_pending_idx').on(t.availableAt).where(sql`processed_at IS NULL`)],
);

export type PaymentRow = typeof payments.$inferSelect;
export type PaymentEventRow = typeof paymentEvents.$inferSelect;
