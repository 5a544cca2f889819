// The outbox table, made by a factory so each service keeps its own in its own Postgres
// schema (and its own migrations). Column names are spelled out, so the SQL is the same
// whatever casing the service's drizzle config uses.
import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  type PgSchema,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

export function outboxTable(schema: PgSchema<string>, name = 'outbox') {
  return schema.table(
    name,
    {
      // The event's id: also the BullMQ job id, so a row published twice is one job.
      id: uuid('id').primaryKey().defaultRandom(),
      queue: text('queue').notNull(),
      name: text('name').notNull(),
      payload: jsonb('payload').$type<unknown>().notNull(),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      // When a relay may take the row: now for a new row, later while a relay holds it (a
      // lease) or after a failed publish (backoff).
      availableAt: timestamp('available_at', { withTimezone: true }).notNull().defaultNow(),
      // Null until the job is in Redis; then kept for the retention period only.
      publishedAt: timestamp('published_at', { withTimezone: true }),
      // Times a relay claimed the row: 1 when all went well.
      attempts: integer('attempts').notNull().default(0),
      lastError: text('last_error'),
    },
    (t) => [
      // The relay's claim: unpublished rows that are due, oldest first. Partial, so it holds
      // only the backlog (normally empty) however many published rows are kept.
      index(`${name}_pending_idx`).on(t.availableAt).where(sql`published_at IS NULL`),
      // The prune: published rows older than the retention period.
      index(`${name}_published_idx`).on(t.publishedAt).where(sql`published_at IS NOT NULL`),
      check(`${name}_attempts_check`, sql`${t.attempts} >= 0`),
    ],
  );
}

export type OutboxTable = ReturnType<typeof outboxTable>;
export type OutboxRow = OutboxTable['$inferSelect'];
