// Stock per product and the reservations that hold it. The CHECKs are the last line of
// defence: whatever the code does, on_hand and reserved cannot go negative and no more can be
// reserved than is on hand (see the inventory module for how requests stay within them).
import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  primaryKey,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { products } from './products.ts';
import { catalogSchema } from './schema.ts';

/** The column default: a product without a threshold of its own warns below 5 available. */
export const DEFAULT_LOW_STOCK_THRESHOLD = 5;

// A product without a row has nothing in stock; the row appears with the first stock count.
export const inventory = catalogSchema.table(
  'inventory',
  {
    // Cascade: the row is part of the product, and products are soft-deleted anyway.
    productId: uuid()
      .primaryKey()
      .references(() => products.id, { onDelete: 'cascade' }),
    onHand: integer().notNull().default(0),
    reserved: integer().notNull().default(0),
    // Available (on_hand - reserved) falling below this emits inventory.low-stock once per
    // crossing; 0 turns the event off for the product. See docs/inventory.md.
    lowStockThreshold: integer().notNull().default(DEFAULT_LOW_STOCK_THRESHOLD),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('inventory_on_hand_check', sql`${t.onHand} >= 0`),
    check('inventory_reserved_check', sql`${t.reserved} >= 0`),
    check('inventory_reserved_on_hand_check', sql`${t.reserved} <= ${t.onHand}`),
    check('inventory_low_stock_threshold_check', sql`${t.lowStockThreshold} >= 0`),
  ],
);

export type InventoryRow = typeof inventory.$inferSelect;

export const RESERVATION_STATUSES = ['held', 'confirmed', 'released', 'expired'] as const;
export type ReservationStatus = (typeof RESERVATION_STATUSES)[number];

export const reservations = catalogSchema.table(
  'reservations',
  {
    id: uuid().primaryKey().defaultRandom(),
    // The caller's idempotency key, unique per client (below): a retried or doubled request
    // finds the first one instead of reserving twice, and one client's keys can neither
    // collide with nor reveal another's.
    reservationKey: text().notNull(),
    // Who reserved (a service client id): only they may read, confirm or release it.
    clientId: text().notNull(),
    // text + CHECK rather than a Postgres enum: a CHECK can be changed in one transaction.
    status: text({ enum: RESERVATION_STATUSES }).notNull().default('held'),
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    unique('reservations_client_key_unique').on(t.clientId, t.reservationKey),
    check(
      'reservations_status_check',
      sql`${t.status} IN ('held', 'confirmed', 'released', 'expired')`,
    ),
    // The expiry sweep reads held rows past their deadline, oldest first; every other status
    // is final, so the partial index stays as small as the number of open holds.
    index('reservations_expiry_idx').on(t.expiresAt).where(sql`status = 'held'`),
  ],
);

export type ReservationRow = typeof reservations.$inferSelect;

export const reservationLines = catalogSchema.table(
  'reservation_lines',
  {
    reservationId: uuid()
      .notNull()
      .references(() => reservations.id, { onDelete: 'cascade' }),
    // Restrict: a product that was ever reserved keeps its history (products are soft-deleted).
    productId: uuid()
      .notNull()
      .references(() => products.id, { onDelete: 'restrict' }),
    quantity: integer().notNull(),
  },
  (t) => [
    // One line per product in a reservation; also "the lines of reservation X" and the cascade.
    primaryKey({ columns: [t.reservationId, t.productId] }),
    check('reservation_lines_quantity_check', sql`${t.quantity} > 0`),
    // The restrict check when a product row is deleted; Postgres does not index foreign keys.
    index('reservation_lines_product_id_idx').on(t.productId),
  ],
);

export type ReservationLineRow = typeof reservationLines.$inferSelect;
