// Order timeline rows. Plain rows in and out; takes a Db or a transaction.
import type { DbOrTx } from '../../db/client.ts';
import { type NewOrderTimelineRow, orderTimeline } from '../../db/schema/index.ts';

export async function insertTimelineEntry(db: DbOrTx, row: NewOrderTimelineRow): Promise<void> {
  await db.insert(orderTimeline).values(row);
}
