// The typed drizzle client for the auth schema, and the Db-or-transaction type
// repositories accept (the service decides whether a call runs inside a transaction).
import { fileURLToPath } from 'node:url';
import { createDb } from '@meridian/db';
import type pg from 'pg';
import * as schema from './schema/index.ts';

export const DB_SCHEMA = 'auth';
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export const createAuthDb = (pool: pg.Pool) => createDb(pool, schema);
export type AuthDb = ReturnType<typeof createAuthDb>;
export type AuthTx = Parameters<Parameters<AuthDb['transaction']>[0]>[0];
export type DbOrTx = AuthDb | AuthTx;
