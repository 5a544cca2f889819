// Refresh-token families and tokens, and service clients. Plain rows; Db or transaction.
import { and, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { refreshTokenFamilies, refreshTokens, serviceClients } from '../../db/schema/index.ts';

/**
 * A new family and its first token in one statement (a data-modifying CTE): atomic without
 * BEGIN/COMMIT, so a login costs one round trip here instead of four.
 */
export async function insertFamilyWithToken(
  db: DbOrTx,
  userId: string,
  expiresAt: Date,
  tokenHash: string,
): Promise<void> {
  await db.execute(sql`
    WITH family AS (
      INSERT INTO ${refreshTokenFamilies} (user_id, expires_at)
      VALUES (${userId}, ${expiresAt.toISOString()})
      RETURNING id
    )
    INSERT INTO ${refreshTokens} (family_id, token_hash)
    SELECT id, ${tokenHash} FROM family`);
}

export async function insertRefreshToken(db: DbOrTx, familyId: string, tokenHash: string) {
  await db.insert(refreshTokens).values({ familyId, tokenHash });
}

export interface PresentedToken {
  tokenId: string;
  usedAt: Date | null;
  familyId: string;
  userId: string;
  familyExpiresAt: Date;
  familyRevokedAt: Date | null;
}

export async function findByHash(db: DbOrTx, tokenHash: string): Promise<PresentedToken | null> {
  const [row] = await db
    .select({
      tokenId: refreshTokens.id,
      usedAt: refreshTokens.usedAt,
      familyId: refreshTokenFamilies.id,
      userId: refreshTokenFamilies.userId,
      familyExpiresAt: refreshTokenFamilies.expiresAt,
      familyRevokedAt: refreshTokenFamilies.revokedAt,
    })
    .from(refreshTokens)
    .innerJoin(refreshTokenFamilies, eq(refreshTokenFamilies.id, refreshTokens.familyId))
    .where(eq(refreshTokens.tokenHash, tokenHash));
  return row ?? null;
}

/**
 * Marks a token used. Conditional, so of two concurrent refreshes with one token exactly one
 * wins; the loser sees false and treats it as reuse.
 */
export async function markUsed(db: DbOrTx, tokenId: string): Promise<boolean> {
  const rows = await db
    .update(refreshTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(refreshTokens.id, tokenId), isNull(refreshTokens.usedAt)))
    .returning({ id: refreshTokens.id });
  return rows.length === 1;
}

export async function revokeFamily(db: DbOrTx, familyId: string, reason: string): Promise<void> {
  await db
    .update(refreshTokenFamilies)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(refreshTokenFamilies.id, familyId), isNull(refreshTokenFamilies.revokedAt)));
}

/** Revokes every live family of a user; returns how many. */
export async function revokeAllFamilies(db: DbOrTx, userId: string, reason: string) {
  const rows = await db
    .update(refreshTokenFamilies)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(refreshTokenFamilies.userId, userId), isNull(refreshTokenFamilies.revokedAt)))
    .returning({ id: refreshTokenFamilies.id });
  return rows.length;
}

export async function findServiceClient(db: DbOrTx, id: string) {
  const [row] = await db.select().from(serviceClients).where(eq(serviceClients.id, id));
  return row ?? null;
}
