// How an order can be shipped, and what it costs. Money is integer minor units + currency.
import { sql } from 'drizzle-orm';
import { boolean, char, check, integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { ordersSchema } from './schema.ts';

export const shippingMethods = ordersSchema.table(
  'shipping_methods',
  {
    id: uuid().primaryKey().defaultRandom(),
    code: text().notNull().unique(),
    name: text().notNull(),
    priceMinor: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    minDays: integer().notNull(),
    maxDays: integer().notNull(),
    active: boolean().notNull().default(true),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    check('shipping_methods_price_check', sql`${t.priceMinor} >= 0`),
    check('shipping_methods_days_check', sql`${t.minDays} >= 0 AND ${t.maxDays} >= ${t.minDays}`),
  ],
);

export type ShippingMethodRow = typeof shippingMethods.$inferSelect;
