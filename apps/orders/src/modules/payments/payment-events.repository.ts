// The payment-event inbox: verified webhook events stored once by the provider's event id,
// then claimed by a processor with SKIP LOCKED under a lease, like the outbox relay's claim.
import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { DbOrTx, OrdersDb } from '../../db/client.ts';
import { type PaymentEventRow, paymentEvents } from '../../db/schema/index.ts';

const millis = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/** True when the event is new; false for a redelivery of one already stored. */
export async function recordEvent(
  db: DbOrTx,
  row: Pick<PaymentEventRow, 'id' | 'provider' | 'type' | 'providerPaymentId' | 'payload'>,
): Promise<boolean> {
  const inserted = await db
    .insert(paymentEvents)
    .values(row)
    .onConflictDoNothing({ target: paymentEvents.id })
    .returning({ id: paymentEvents.id });
  return inserted.length > 0;
}

/**
 * Due, unprocessed events, hidden from other processors for `leaseMs`. One statement: the
 * subquery locks the due rows, skipping those another processor is claiming right now.
 */
export async function claimEvents(
  db: OrdersDb,
  limit: number,
  leaseMs: number,
): Promise<PaymentEventRow[]> {
  const due = db
    .select({ id: paymentEvents.id })
    .from(paymentEvents)
    .where(and(isNull(paymentEvents.processedAt), lte(paymentEvents.availableAt, sql`now()`)))
    .orderBy(asc(paymentEvents.availableAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(paymentEvents)
    .set({
      availableAt: sql`now() + ${millis(leaseMs)}`,
      attempts: sql`${paymentEvents.attempts} + 1`,
    })
    .where(inArray(paymentEvents.id, due))
    .returning();
}

export async function markProcessed(db: DbOrTx, id: string): Promise<void> {
  await db
    .update(paymentEvents)
    .set({ processedAt: sql`now()`, lastError: null })
    .where(eq(paymentEvents.id, id));
}

/** After this many failed attempts an event is set aside (a poison message), not retried. */
export const MAX_EVENT_ATTEMPTS = 12;

/**
 * Back off 1 s, 2 s, 4 s … up to a minute, and keep the error for whoever looks. After
 * MAX_EVENT_ATTEMPTS the event is set aside for good (available_at = infinity, the error kept,
 * processed_at still null): a poison message must not loop for ever, and an operator can
 * find it (`WHERE processed_at IS NULL AND available_at = 'infinity'`) and replay it.
 */
export async function markFailed(db: DbOrTx, id: string, err: unknown): Promise<void> {
  const backoff = sql`least(power(2, ${paymentEvents.attempts} - 1), 60)`;
  const message = String((err as Error)?.message ?? err).slice(0, 1000);
  await db
    .update(paymentEvents)
    .set({
      availableAt: sql`CASE WHEN ${paymentEvents.attempts} >= ${MAX_EVENT_ATTEMPTS}
        THEN 'infinity'::timestamptz
        ELSE now() + make_interval(secs => ${backoff}) END`,
      lastError: sql`CASE WHEN ${paymentEvents.attempts} >= ${MAX_EVENT_ATTEMPTS}
        THEN ${`gave up after ${MAX_EVENT_ATTEMPTS} attempts: ${message}`}
        ELSE ${message} END`,
    })
    .where(eq(paymentEvents.id, id));
}
