// Low-stock events: when a change takes a product's available stock (on hand − reserved) from
// at or above its threshold to below it, the change's own transaction writes an
// inventory.low-stock event to the catalog outbox; the relay takes it to the jobs service.
// Stateless: the crossing is read off the levels before and after one locked change, so
// staying low emits nothing and climbing back above the threshold re-arms it.
import { randomUUID } from 'node:crypto';
import { writeOutbox } from '@meridian/outbox';
import { catalogEvents, LOW_STOCK } from '@meridian/queues';
import type { CatalogTx } from '../../db/client.ts';
import { outbox } from '../../db/schema/index.ts';

export interface StockLevel {
  available: number;
  threshold: number;
}

const isLow = (level: StockLevel) => level.available < level.threshold;

/** Not low before, low after: the one change per crossing that emits. */
export const crossedIntoLow = (before: StockLevel, after: StockLevel) =>
  !isLow(before) && isLow(after);

/** Writes the event in `tx`: it commits or rolls back with the stock change. */
export async function emitLowStock(
  tx: CatalogTx,
  event: { productId: string; sku: string; available: number; threshold: number },
): Promise<string> {
  const eventId = randomUUID();
  return writeOutbox(tx, outbox, {
    contract: catalogEvents,
    name: LOW_STOCK,
    id: eventId,
    payload: { eventId, ...event, occurredAt: new Date().toISOString() },
  });
}
