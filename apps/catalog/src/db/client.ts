// The typed drizzle client for the catalog schema, and the Db-or-transaction type
// repositories accept (the service decides whether a call runs inside a transaction).
import { fileURLToPath } from 'node:url';
import { createDb } from '@meridian/db';
import type pg from 'pg';
import * as schema from './schema/index.ts';

export const DB_SCHEMA = 'catalog';
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export const createCatalogDb = (pool: pg.Pool) => createDb(pool, schema);
export type CatalogDb = ReturnType<typeof createCatalogDb>;
export type CatalogTx = Parameters<Parameters<CatalogDb['transaction']>[0]>[0];
export type DbOrTx = CatalogDb | CatalogTx;
