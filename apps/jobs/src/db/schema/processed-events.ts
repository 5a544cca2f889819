// One row per event whose side effect has been applied. A handler inserts the event id in the
// same transaction as its effect (onceForEvent), so a redelivered or re-run event finds the
// row and skips the effect: at-least-once delivery, exactly-once effect. See
// docs/job-reliability.md.
import { text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { jobsSchema } from './schema.ts';

export const processedEvents = jobsSchema.table('processed_events', {
  eventId: uuid().primaryKey(),
  queue: text().notNull(),
  jobName: text().notNull(),
  processedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type ProcessedEventRow = typeof processedEvents.$inferSelect;
