// One cart per user: product ids and quantities only. Names and prices belong to catalog and
// are read from it when the cart is shown and snapshotted into the order at checkout.
import { sql } from 'drizzle-orm';
import { check, integer, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { ordersSchema } from './schema.ts';

export const cartItems = ordersSchema.table(
  'cart_items',
  {
    // The cart is the user's: no cart row, no cart id to guess or leak.
    userId: uuid().notNull(),
    productId: uuid().notNull(),
    quantity: integer().notNull(),
    addedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.userId, t.productId] }),
    check('cart_items_quantity_check', sql`${t.quantity} BETWEEN 1 AND 1000`),
  ],
);

export type CartItemRow = typeof cartItems.$inferSelect;
