// The typed drizzle client for the orders schema, and the Db-or-transaction type
// repositories accept (the service decides whether a call runs inside a transaction).
import { fileURLToPath } from 'node:url';
import { createDb } from '@meridian/db';
import type pg from 'pg';
import * as schema from './schema/index.ts';

export const DB_SCHEMA = 'orders';
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../../migrations', import.meta.url));

export const createOrdersDb = (pool: pg.Pool) => createDb(pool, schema);
export type OrdersDb = ReturnType<typeof createOrdersDb>;
export type OrdersTx = Parameters<Parameters<OrdersDb['transaction']>[0]>[0];
export type DbOrTx = OrdersDb | OrdersTx;
