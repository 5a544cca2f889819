// writeOutbox: the producer's half. Called inside the business transaction, so the event is
// committed or rolled back with the state change it describes; nothing talks to Redis here.
import { randomUUID } from 'node:crypto';
import { checkPayload, type JobName, type JobPayload, type QueueContract } from '@meridian/queues';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { OutboxTable } from './table.ts';

/**
 * A drizzle database or transaction of any service. The schema type is erased on purpose: the
 * outbox needs only its own table.
 */
// biome-ignore lint/suspicious/noExplicitAny: any service's schema (see above)
export type OutboxDb = PgDatabase<PgQueryResultHKT, any, any>;

export interface OutboxEvent<C extends QueueContract, N extends JobName<C>> {
  contract: C;
  name: N;
  payload: JobPayload<C, N>;
  /** The event id (and BullMQ job id); a new UUID when omitted. Put it in the payload too. */
  id?: string;
}

/**
 * Stores the event in the caller's transaction and returns its id. The payload is checked
 * against the contract first: an invalid event throws InvalidJobPayloadError and, thrown
 * inside the transaction, rolls the state change back with it.
 */
export async function writeOutbox<C extends QueueContract, N extends JobName<C>>(
  tx: OutboxDb,
  table: OutboxTable,
  event: OutboxEvent<C, N>,
): Promise<string> {
  const payload = checkPayload(event.contract, event.name, event.payload);
  const id = event.id ?? randomUUID();
  await tx.insert(table).values({ id, queue: event.contract.queue, name: event.name, payload });
  return id;
}
