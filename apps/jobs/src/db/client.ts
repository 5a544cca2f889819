// The typed drizzle client for the jobs schema, and the Db-or-transaction type
// repositories accept (the service decides whether a call runs inside a transaction).
import { fileURLToPath } from 'node:url';
import { createDb } from '@meridian/db';
import type pg from 'pg';
import * as schema from './schema/index.ts';

export const DB_SCHEMA = 'jobs';
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export const createJobsDb = (pool: pg.Pool) => createDb(pool, schema);
export type JobsDb = ReturnType<typeof createJobsDb>;
export type JobsTx = Parameters<Parameters<JobsDb['transaction']>[0]>[0];
export type DbOrTx = JobsDb | JobsTx;
