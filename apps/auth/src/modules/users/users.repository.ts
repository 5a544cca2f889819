// Account rows. Plain rows in and out; takes a Db or a transaction.
import { asc, eq, gt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type UserRow, users } from '../../db/schema/index.ts';

export async function insertUser(
  db: DbOrTx,
  values: { email: string; displayName: string; passwordHash: string },
): Promise<UserRow | null> {
  // ON CONFLICT instead of catching 23505: a duplicate is an expected outcome, not an error.
  const [row] = await db.insert(users).values(values).onConflictDoNothing().returning();
  return row ?? null;
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.email, email));
  return row ?? null;
}

export async function findUserById(db: DbOrTx, id: string): Promise<UserRow | null> {
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row ?? null;
}

export async function updateDisplayName(db: DbOrTx, id: string, displayName: string) {
  const [row] = await db
    .update(users)
    .set({ displayName, updatedAt: sql`now()` })
    .where(eq(users.id, id))
    .returning();
  return row ?? null;
}

export async function updatePasswordHash(
  db: DbOrTx,
  id: string,
  passwordHash: string,
  opts: { changed: boolean },
): Promise<void> {
  await db
    .update(users)
    .set({
      passwordHash,
      updatedAt: sql`now()`,
      // A rehash on login is not a password change.
      ...(opts.changed ? { passwordChangedAt: sql`now()` } : {}),
    })
    .where(eq(users.id, id));
}

/** Keyset page ordered by email (unique), so page N costs the same as page 1. */
export async function listUsersAfter(
  db: DbOrTx,
  opts: { limit: number; afterEmail?: string },
): Promise<UserRow[]> {
  return db
    .select()
    .from(users)
    .where(opts.afterEmail !== undefined ? gt(users.email, opts.afterEmail) : undefined)
    .orderBy(asc(users.email))
    .limit(opts.limit);
}
