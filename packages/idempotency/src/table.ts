// The idempotency-key table, made by a factory so each service keeps its own in its own
// Postgres schema (and its own migrations), like the outbox. Column names are spelled out, so
// the SQL is the same whatever casing the service's drizzle config uses. See
// docs/idempotency.md for the states a row goes through.
import { sql } from 'drizzle-orm';
import {
  check,
  index,
  integer,
  jsonb,
  type PgSchema,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/** The response headers kept with a completed key, by lower-case name. */
export type StoredHeaders = Record<string, string | string[]>;

export const KEY_STATES = ['in_flight', 'completed'] as const;
export type KeyState = (typeof KEY_STATES)[number];

export function idempotencyTable(schema: PgSchema<string>, name = 'idempotency_keys') {
  return schema.table(
    name,
    {
      // Whose key it is (the caller's principal subject): keys are scoped per caller, so one
      // caller's key never replays another caller's response.
      owner: text('owner').notNull(),
      key: text('key').notNull(),
      // Hex SHA-256 of the request (method, route, params, query, body): see fingerprint.ts.
      fingerprint: text('fingerprint').notNull(),
      state: text('state').$type<KeyState>().notNull(),
      // Which claim holds an in-flight key: only that request may complete or release it,
      // so a request whose lease ran out cannot overwrite the response of the one that
      // took over. Null once completed.
      lockId: uuid('lock_id'),
      // The lease: until then another request with the key gets 409; after it (the holder
      // died) the next one takes the key over. Null once completed.
      lockedUntil: timestamp('locked_until', { withTimezone: true }),
      responseStatus: integer('response_status'),
      responseHeaders: jsonb('response_headers').$type<StoredHeaders>(),
      // Text, not jsonb: a replay sends back the exact bytes first sent, key order included.
      responseBody: text('response_body'),
      createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
      // After this the key counts as unused: the next request with it starts afresh, and
      // pruneIdempotencyKeys may delete the row.
      expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    },
    (t) => [
      primaryKey({ name: `${name}_pkey`, columns: [t.owner, t.key] }),
      // The prune: rows past their window.
      index(`${name}_expires_idx`).on(t.expiresAt),
      check(`${name}_state_check`, sql`${t.state} IN ('in_flight', 'completed')`),
      check(`${name}_key_check`, sql`char_length(${t.key}) BETWEEN 1 AND 255`),
      check(`${name}_fingerprint_check`, sql`${t.fingerprint} ~ '^[0-9a-f]{64}$'`),
      check(
        `${name}_response_status_check`,
        sql`${t.responseStatus} IS NULL OR ${t.responseStatus} BETWEEN 100 AND 599`,
      ),
      // An in-flight key has a holder and a lease; a completed one has a whole response.
      check(
        `${name}_in_flight_check`,
        sql`${t.state} <> 'in_flight' OR (${t.lockId} IS NOT NULL AND ${t.lockedUntil} IS NOT NULL)`,
      ),
      check(
        `${name}_completed_check`,
        sql`${t.state} <> 'completed' OR (${t.responseStatus} IS NOT NULL AND ${t.responseHeaders} IS NOT NULL AND ${t.responseBody} IS NOT NULL)`,
      ),
      check(`${name}_expires_check`, sql`${t.expiresAt} > ${t.createdAt}`),
    ],
  );
}

export type IdempotencyTable = ReturnType<typeof idempotencyTable>;
export type IdempotencyRow = IdempotencyTable['$inferSelect'];
