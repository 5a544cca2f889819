// Job-run records. Plain rows in and out; takes a Db or a transaction.
import { desc } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type JobRunRow, jobRuns, type NewJobRunRow } from '../../db/schema/index.ts';

/** Inserts once per job id: a redelivered job leaves the first record in place. */
export async function insertJobRun(db: DbOrTx, run: NewJobRunRow): Promise<boolean> {
  const inserted = await db
    .insert(jobRuns)
    .values(run)
    .onConflictDoNothing({ target: jobRuns.jobId })
    .returning({ id: jobRuns.id });
  return inserted.length > 0;
}

export async function findRecentJobRuns(db: DbOrTx, limit: number): Promise<JobRunRow[]> {
  return db.select().from(jobRuns).orderBy(desc(jobRuns.finishedAt)).limit(limit);
}
