// Consumes the orders service's events (order-events queue): each event becomes one row of
// the order's timeline, written exactly once whatever the number of deliveries. Free of
// HTTP and of BullMQ: the worker runtime calls these handlers with a parsed payload.
import {
  ORDER_CREATED,
  ORDER_STATUS_CHANGED,
  type OrderCreatedPayload,
  type OrderStatusChangedPayload,
  type orderEvents,
} from '@meridian/queues';
import type { JobsDb } from '../../db/client.ts';
import { onceForEvent } from '../../db/once-for-event.ts';
import type { JobContext, JobHandlers } from '../../queues/runtime.ts';
import { insertTimelineEntry } from './order-events.repository.ts';

export type OrderEvent =
  | { name: typeof ORDER_CREATED; data: OrderCreatedPayload }
  | { name: typeof ORDER_STATUS_CHANGED; data: OrderStatusChangedPayload };

/**
 * What happens after an event's timeline row is committed: the seam where the customer email
 * for the event will be enqueued (the email worker is a follow-up of #6). It runs on every
 * delivery, after the transaction, including duplicates whose row already existed, so it
 * must be idempotent itself: enqueue with a job id derived from the event id, which BullMQ
 * deduplicates. Called outside the transaction: no network call while a transaction is open.
 */
export type AfterOrderEvent = (event: OrderEvent, ctx: JobContext) => Promise<void>;

/** Today's follow-up: none. */
export const noFollowUp: AfterOrderEvent = async () => {};

export interface OrderEventResult {
  /** false when the event had been applied before (a duplicate or a re-run). */
  applied: boolean;
}

export function orderEventsService(db: JobsDb, afterEvent: AfterOrderEvent = noFollowUp) {
  async function record(event: OrderEvent, ctx: JobContext): Promise<OrderEventResult> {
    const { data } = event;
    const outcome = await db.transaction((tx) =>
      onceForEvent(tx, { eventId: data.eventId, queue: ctx.queue, jobName: event.name }, (t) =>
        insertTimelineEntry(t, {
          eventId: data.eventId,
          orderId: data.orderId,
          userId: data.userId,
          type: event.name,
          occurredAt: new Date(data.occurredAt),
          ...(event.name === ORDER_CREATED
            ? {
                toStatus: 'pending',
                currency: event.data.currency,
                totalMinor: event.data.totalMinor,
              }
            : { fromStatus: event.data.from, toStatus: event.data.to, reason: event.data.reason }),
        }),
      ),
    );
    if (outcome.applied)
      ctx.log.info({ orderId: data.orderId, eventId: data.eventId }, 'order event recorded');
    else ctx.log.info({ eventId: data.eventId }, 'order event already recorded: skipped');
    await afterEvent(event, ctx);
    return { applied: outcome.applied };
  }

  const handlers: JobHandlers<typeof orderEvents> = {
    [ORDER_CREATED]: (data, ctx) => record({ name: ORDER_CREATED, data }, ctx),
    [ORDER_STATUS_CHANGED]: (data, ctx) => record({ name: ORDER_STATUS_CHANGED, data }, ctx),
  };
  return { handlers, record };
}
