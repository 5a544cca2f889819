// The key's life in SQL: claim, look up, take over, complete, release, prune. Every function
// is one autocommit statement (no transaction spans the handler), and every decision that
// races is made by Postgres in a single conditional statement, so there is exactly one
// winner however many requests carry the same key. Times are the database's now(), so
// replicas with drifting clocks agree.
import { and, eq, sql } from 'drizzle-orm';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import type { IdempotencyTable, KeyState, StoredHeaders } from './table.ts';

/**
 * A drizzle database of any service (the pool, not a transaction: a claim must be committed,
 * and so visible to other requests, before the handler runs).
 */
// biome-ignore lint/suspicious/noExplicitAny: any service's schema (the table is all we need)
export type IdempotencyDb = PgDatabase<PgQueryResultHKT, any, any>;

export interface ClaimInput {
  owner: string;
  key: string;
  fingerprint: string;
  /** Identifies this claim; only its holder may complete or release the key. */
  lockId: string;
  leaseMs: number;
  windowMs: number;
}

export interface StoredKey {
  fingerprint: string;
  state: KeyState;
  /** Past its window: counts as absent. */
  expired: boolean;
  /** In flight with a lease that has not run out: someone is working on it. */
  leased: boolean;
  responseStatus: number | null;
  responseHeaders: StoredHeaders | null;
  responseBody: string | null;
}

export interface StoredResponse {
  status: number;
  headers: StoredHeaders;
  body: string;
}

const millis = (ms: number) => sql`make_interval(secs => ${ms / 1000})`;

/**
 * One INSERT … ON CONFLICT: a new key is inserted in flight; an existing key is overwritten
 * only when it is past its window and nobody holds it (completed, or its lease ran out).
 * Postgres locks the conflicting row and re-checks the WHERE on its latest version, so of
 * any number of concurrent claims exactly one gets a row back. True when this one did.
 */
export async function claimKey(db: IdempotencyDb, table: IdempotencyTable, c: ClaimInput) {
  const lockedUntil = sql`now() + ${millis(c.leaseMs)}`;
  const expiresAt = sql`now() + ${millis(c.windowMs)}`;
  const rows = await db
    .insert(table)
    .values({
      owner: c.owner,
      key: c.key,
      fingerprint: c.fingerprint,
      state: 'in_flight',
      lockId: c.lockId,
      lockedUntil,
      expiresAt,
    })
    .onConflictDoUpdate({
      target: [table.owner, table.key],
      set: {
        fingerprint: c.fingerprint,
        state: 'in_flight',
        lockId: c.lockId,
        lockedUntil,
        responseStatus: null,
        responseHeaders: null,
        responseBody: null,
        createdAt: sql`now()`,
        expiresAt,
      },
      setWhere: sql`${table.expiresAt} <= now() AND (${table.state} = 'completed' OR ${table.lockedUntil} <= now())`,
    })
    .returning({ owner: table.owner });
  return rows.length === 1;
}

/** The key as it is now, with the time comparisons made by the database; null if absent. */
export async function findKey(
  db: IdempotencyDb,
  table: IdempotencyTable,
  owner: string,
  key: string,
): Promise<StoredKey | null> {
  const [row] = await db
    .select({
      fingerprint: table.fingerprint,
      state: table.state,
      expired: sql<boolean>`${table.expiresAt} <= now()`,
      leased: sql<boolean>`${table.state} = 'in_flight' AND ${table.lockedUntil} > now()`,
      responseStatus: table.responseStatus,
      responseHeaders: table.responseHeaders,
      responseBody: table.responseBody,
    })
    .from(table)
    .where(and(eq(table.owner, owner), eq(table.key, key)));
  return row ?? null;
}

/**
 * Takes over an in-flight key whose holder's lease ran out (the process died, most likely).
 * Conditional UPDATE: of several requests trying at once, one matches and the rest find the
 * new lease. Only for the same request (fingerprint). True when this one took it.
 */
export async function takeOverKey(
  db: IdempotencyDb,
  table: IdempotencyTable,
  c: Omit<ClaimInput, 'windowMs'>,
) {
  const rows = await db
    .update(table)
    .set({ lockId: c.lockId, lockedUntil: sql`now() + ${millis(c.leaseMs)}` })
    .where(
      and(
        eq(table.owner, c.owner),
        eq(table.key, c.key),
        eq(table.fingerprint, c.fingerprint),
        eq(table.state, 'in_flight'),
        sql`${table.lockedUntil} <= now()`,
      ),
    )
    .returning({ owner: table.owner });
  return rows.length === 1;
}

/** Stores the response of the claim that holds the key. False if it no longer holds it. */
export async function completeKey(
  db: IdempotencyDb,
  table: IdempotencyTable,
  held: { owner: string; key: string; lockId: string },
  response: StoredResponse,
) {
  const rows = await db
    .update(table)
    .set({
      state: 'completed',
      lockId: null,
      lockedUntil: null,
      responseStatus: response.status,
      responseHeaders: response.headers,
      responseBody: response.body,
    })
    .where(and(eq(table.owner, held.owner), eq(table.key, held.key), eq(table.lockId, held.lockId)))
    .returning({ owner: table.owner });
  return rows.length === 1;
}

/** Deletes the key if this claim still holds it, so the next request with it runs afresh. */
export async function releaseKey(
  db: IdempotencyDb,
  table: IdempotencyTable,
  held: { owner: string; key: string; lockId: string },
) {
  const rows = await db
    .delete(table)
    .where(and(eq(table.owner, held.owner), eq(table.key, held.key), eq(table.lockId, held.lockId)))
    .returning({ owner: table.owner });
  return rows.length === 1;
}

export interface PruneOptions {
  /** Rows per DELETE (1,000): each statement stays short. */
  batchSize?: number;
}

/**
 * Deletes keys past their window, in batches, and returns how many. A key still held by a
 * live lease is left alone even if its window has passed. SKIP LOCKED lets two pruners (or a
 * pruner and a claim overwriting an expired key) run at once without waiting on each other.
 */
export async function pruneIdempotencyKeys(
  db: IdempotencyDb,
  table: IdempotencyTable,
  opts: PruneOptions = {},
): Promise<number> {
  const batchSize = opts.batchSize ?? 1_000;
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new RangeError('batchSize must be a positive integer');
  }
  let deleted = 0;
  for (;;) {
    const expired = db
      .select({ owner: table.owner, key: table.key })
      .from(table)
      .where(
        sql`${table.expiresAt} <= now() AND (${table.state} = 'completed' OR ${table.lockedUntil} <= now())`,
      )
      .limit(batchSize)
      .for('update', { skipLocked: true });
    const rows = await db
      .delete(table)
      .where(sql`(${table.owner}, ${table.key}) IN ${expired}`)
      .returning({ owner: table.owner });
    deleted += rows.length;
    if (rows.length < batchSize) return deleted;
  }
}
