// Processes the payment-event inbox: each stored webhook event becomes the order's next step
// (confirm and paid, or release and payment_failed). Runs right after a webhook is stored and
// on an interval, so an event whose processing failed (catalog down) is retried with backoff
// and one stored just before a crash is picked up by any replica. Processing the same event
// twice is harmless: the order's compare-and-set status change lets only the first through.
import type { PaymentEvent } from '@meridian/payments';
import type { OrdersDb } from '../../db/client.ts';
import { createPoller } from '../../poller.ts';
import { claimEvents, markFailed, markProcessed } from './payment-events.repository.ts';

export interface PaymentEventProcessorOptions {
  db: OrdersDb;
  apply: (event: PaymentEvent) => Promise<unknown>;
  intervalMs: number;
  batchSize?: number;
  leaseMs?: number;
  log: { error(obj: object, msg: string): void };
}

export function createPaymentEventProcessor(o: PaymentEventProcessorOptions) {
  const batchSize = o.batchSize ?? 20;
  const leaseMs = o.leaseMs ?? 30_000;
  return createPoller({
    name: 'payment-events',
    batchSize,
    intervalMs: o.intervalMs,
    log: o.log,
    async runOnce() {
      const rows = await claimEvents(o.db, batchSize, leaseMs);
      for (const row of rows) {
        const payload = row.payload as PaymentEvent & { occurredAt: string };
        try {
          await o.apply({ ...payload, occurredAt: new Date(payload.occurredAt) });
          await markProcessed(o.db, row.id);
        } catch (err) {
          o.log.error({ err, eventId: row.id }, 'payment event not processed; will retry');
          await markFailed(o.db, row.id, err).catch(() => {});
        }
      }
      return rows.length;
    },
  });
}

export type PaymentEventProcessor = ReturnType<typeof createPaymentEventProcessor>;
