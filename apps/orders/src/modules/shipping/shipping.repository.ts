// Shipping method reads. Plain rows in and out; takes a Db or a transaction.
import { asc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type ShippingMethodRow, shippingMethods } from '../../db/schema/index.ts';

export async function findActiveShippingMethods(db: DbOrTx): Promise<ShippingMethodRow[]> {
  return db
    .select()
    .from(shippingMethods)
    .where(eq(shippingMethods.active, true))
    .orderBy(asc(shippingMethods.priceMinor));
}
