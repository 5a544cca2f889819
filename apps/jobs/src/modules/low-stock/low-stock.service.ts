// Consumes the catalog's low-stock events (catalog-events queue): one alert row per event,
// written exactly once whatever the number of deliveries. Free of HTTP and of BullMQ.
import { type catalogEvents, LOW_STOCK } from '@meridian/queues';
import type { JobsDb } from '../../db/client.ts';
import { onceForEvent } from '../../db/once-for-event.ts';
import type { JobHandlers } from '../../queues/runtime.ts';
import { insertLowStockAlert } from './low-stock.repository.ts';

export function lowStockService(db: JobsDb) {
  const handlers: JobHandlers<typeof catalogEvents> = {
    async [LOW_STOCK](data, ctx) {
      const outcome = await db.transaction((tx) =>
        onceForEvent(tx, { eventId: data.eventId, queue: ctx.queue, jobName: LOW_STOCK }, (t) =>
          insertLowStockAlert(t, {
            eventId: data.eventId,
            productId: data.productId,
            sku: data.sku,
            available: data.available,
            threshold: data.threshold,
            occurredAt: new Date(data.occurredAt),
          }),
        ),
      );
      ctx.log.info({ sku: data.sku, applied: outcome.applied }, 'low-stock event handled');
      return { applied: outcome.applied };
    },
  };
  return { handlers };
}
