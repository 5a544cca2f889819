// One row per job a worker finished: an audit trail that outlives BullMQ's own retention,
// and the proof a job really ran. job_id is unique, so a redelivered job is recorded once.
import { integer, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { jobsSchema } from './schema.ts';

export const jobRuns = jobsSchema.table('job_runs', {
  id: uuid().primaryKey().defaultRandom(),
  queue: text().notNull(),
  jobId: text().notNull().unique(),
  name: text().notNull(),
  payload: jsonb().notNull(),
  result: jsonb(),
  attempts: integer().notNull(),
  finishedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type JobRunRow = typeof jobRuns.$inferSelect;
export type NewJobRunRow = typeof jobRuns.$inferInsert;
