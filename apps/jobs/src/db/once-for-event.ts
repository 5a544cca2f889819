// Exactly-once effects on top of at-least-once delivery: the event id goes into
// jobs.processed_events in the same transaction as the handler's effect. The first run
// inserts it and applies the effect; a redelivery, a duplicate job or a re-run after a crash
// finds the id and skips the effect. If the transaction rolls back, neither happened, and the
// retry starts from scratch. A concurrent duplicate blocks on the primary key until the first
// commits (then skips) or rolls back (then applies). See docs/job-reliability.md.
import type { JobsTx } from './client.ts';
import { processedEvents } from './schema/index.ts';

export interface EventKey {
  eventId: string;
  queue: string;
  jobName: string;
}

export type OnceResult<T> = { applied: true; result: T } | { applied: false };

/** Runs `effect` inside `tx` unless this event's effect was already committed. */
export async function onceForEvent<T>(
  tx: JobsTx,
  event: EventKey,
  effect: (tx: JobsTx) => Promise<T>,
): Promise<OnceResult<T>> {
  const claimed = await tx
    .insert(processedEvents)
    .values(event)
    .onConflictDoNothing({ target: processedEvents.eventId })
    .returning({ eventId: processedEvents.eventId });
  if (claimed.length === 0) return { applied: false };
  return { applied: true, result: await effect(tx) };
}
