// Reading a failed query's Postgres error, for services that turn a constraint's refusal into
// a client error (a taken SKU → 409) instead of checking first and racing the check.

/** SQLSTATEs a service maps to client errors (https://www.postgresql.org/docs/current/errcodes-appendix.html). */
export const PG_FOREIGN_KEY_VIOLATION = '23503';
export const PG_UNIQUE_VIOLATION = '23505';

/** The Postgres error behind a failed query (drizzle wraps the driver's error in `cause`). */
export function pgError(err: unknown): { code?: unknown; constraint?: unknown } {
  const e = err as { code?: unknown; constraint?: unknown; cause?: object } | null;
  return (e?.cause as typeof e) ?? e ?? {};
}
