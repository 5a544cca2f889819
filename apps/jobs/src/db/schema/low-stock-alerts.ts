// One row per low-stock event the catalog published: the operator's restock list.
// event_id is unique, a second guard behind processed_events.
import { integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { jobsSchema } from './schema.ts';

export const lowStockAlerts = jobsSchema.table('low_stock_alerts', {
  id: uuid().primaryKey().defaultRandom(),
  eventId: uuid().notNull().unique(),
  productId: uuid().notNull(),
  sku: text().notNull(),
  available: integer().notNull(),
  threshold: integer().notNull(),
  occurredAt: timestamp({ withTimezone: true }).notNull(),
  recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type LowStockAlertRow = typeof lowStockAlerts.$inferSelect;
export type NewLowStockAlertRow = typeof lowStockAlerts.$inferInsert;
