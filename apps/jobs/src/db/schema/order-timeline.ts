// What happened to each order, one row per order event the orders service published: the
// record that customer emails and fulfilment will be driven from. event_id is unique, a
// second guard behind processed_events.
import { index, integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { jobsSchema } from './schema.ts';

export const orderTimeline = jobsSchema.table(
  'order_timeline',
  {
    id: uuid().primaryKey().defaultRandom(),
    eventId: uuid().notNull().unique(),
    orderId: uuid().notNull(),
    userId: uuid().notNull(),
    /** The event's job name: order.created or order.status-changed. */
    type: text().notNull(),
    fromStatus: text(),
    toStatus: text(),
    reason: text(),
    currency: text(),
    totalMinor: integer(),
    occurredAt: timestamp({ withTimezone: true }).notNull(),
    recordedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('order_timeline_order_idx').on(t.orderId, t.occurredAt)],
);

export type OrderTimelineRow = typeof orderTimeline.$inferSelect;
export type NewOrderTimelineRow = typeof orderTimeline.$inferInsert;
