// Shipping method reads and writes. Plain rows in and out; takes a Db or a transaction.
import { asc, eq, getTableColumns, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type ShippingMethodRow, shippingMethods } from '../../db/schema/index.ts';

export async function findActiveShippingMethods(db: DbOrTx): Promise<ShippingMethodRow[]> {
  return db
    .select()
    .from(shippingMethods)
    .where(eq(shippingMethods.active, true))
    .orderBy(asc(shippingMethods.priceMinor));
}

export type ShippingMethodValues = Omit<ShippingMethodRow, 'id' | 'createdAt'>;

/** Insert or update by code; `created` tells which (xmax is 0 only for a fresh insert). */
export async function upsertShippingMethod(
  db: DbOrTx,
  values: ShippingMethodValues,
): Promise<{ row: ShippingMethodRow; created: boolean }> {
  const { code: _code, ...changes } = values;
  const [result] = await db
    .insert(shippingMethods)
    .values(values)
    .onConflictDoUpdate({ target: shippingMethods.code, set: changes })
    .returning({ ...getTableColumns(shippingMethods), created: sql<boolean>`(xmax = 0)` });
  if (!result) throw new Error('upsert returned no row');
  const { created, ...row } = result;
  return { row, created };
}
