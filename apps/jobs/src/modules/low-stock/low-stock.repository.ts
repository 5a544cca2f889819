// Low-stock alert rows. Plain rows in and out; takes a Db or a transaction.
import type { DbOrTx } from '../../db/client.ts';
import { lowStockAlerts, type NewLowStockAlertRow } from '../../db/schema/index.ts';

export async function insertLowStockAlert(db: DbOrTx, row: NewLowStockAlertRow): Promise<void> {
  await db.insert(lowStockAlerts).values(row);
}
