// Orders and their lines. Lines snapshot what the customer saw at checkout (sku, name, unit
// price), so a later price change in catalog never rewrites an order. Money is integer minor
// units; one currency per order, checked against every line.
import { sql } from 'drizzle-orm';
import {
  char,
  check,
  index,
  integer,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';
import { ORDER_STATUSES } from '../../modules/orders/order-status.ts';
import { ordersSchema } from './schema.ts';

export const orderStatus = ordersSchema.enum('order_status', ORDER_STATUSES);

export const orders = ordersSchema.table(
  'orders',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid().notNull(),
    status: orderStatus().notNull().default('pending'),
    currency: char({ length: 3 }).notNull(),
    itemsTotalMinor: integer().notNull(),
    shippingMethod: text().notNull(),
    shippingMinor: integer().notNull(),
    totalMinor: integer().notNull(),
    /** Catalog's reservation: its key is this order's id, so a retried reserve is one hold. */
    reservationId: uuid(),
    /**
     * The Idempotency-Key the order was created with. Unique per user, so even a retry that
     * slips past the key store (a crash between commit and storing the response) finds this
     * order instead of making a second one.
     */
    idempotencyKey: text(),
    /**
     * Set when a hold in catalog may exist that nothing else will release: a reserve call
     * that failed without an answer (timeout, catalog down), or a release that failed. The
     * compensator retries until catalog confirms nothing is held for this order, then clears it.
     */
    compensationDueAt: timestamp({ withTimezone: true }),
    /** Why the order ended where it did (out-of-stock, payment-declined, …), for people. */
    statusReason: text(),
    // Milliseconds, not Postgres' microseconds: the keyset cursor carries created_at as a JS
    // Date, which would otherwise round and skip or repeat orders at a page boundary.
    createdAt: timestamp({ withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // The history list: a user's orders newest first, keyset on (created_at, id).
    index('orders_user_created_idx').on(t.userId, t.createdAt.desc(), t.id.desc()),
    uniqueIndex('orders_user_idempotency_key_idx').on(t.userId, t.idempotencyKey),
    // The compensator's queue: normally empty.
    index('orders_compensation_due_idx')
      .on(t.compensationDueAt)
      .where(sql`compensation_due_at IS NOT NULL`),
    // Staff's list across users, same order.
    index('orders_created_idx').on(t.createdAt.desc(), t.id.desc()),
    check(
      'orders_totals_check',
      sql`${t.itemsTotalMinor} >= 0 AND ${t.shippingMinor} >= 0 AND ${t.totalMinor} = ${t.itemsTotalMinor} + ${t.shippingMinor}`,
    ),
    check('orders_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
  ],
);

export const orderLines = ordersSchema.table(
  'order_lines',
  {
    orderId: uuid()
      .notNull()
      .references(() => orders.id, { onDelete: 'cascade' }),
    productId: uuid().notNull(),
    sku: text().notNull(),
    name: text().notNull(),
    unitPriceMinor: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    quantity: integer().notNull(),
    lineTotalMinor: integer().notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.orderId, t.productId] }),
    check(
      'order_lines_amounts_check',
      sql`${t.unitPriceMinor} >= 0 AND ${t.quantity} BETWEEN 1 AND 1000 AND ${t.lineTotalMinor} = ${t.unitPriceMinor} * ${t.quantity}`,
    ),
  ],
);

/** The allowed status changes, as data; a trigger on orders refuses every other change. */
export const orderStatusTransitions = ordersSchema.table(
  'order_status_transitions',
  {
    fromStatus: orderStatus().notNull(),
    toStatus: orderStatus().notNull(),
  },
  (t) => [primaryKey({ columns: [t.fromStatus, t.toStatus] })],
);

export type OrderRow = typeof orders.$inferSelect;
export type OrderLineRow = typeof orderLines.$inferSelect;
