// Refresh tokens: opaque, stored only as SHA-256 hashes, grouped in families. Each login
// starts a family; each refresh marks its token used and adds the next one. A used token
// presented again means it was stolen (or replayed): the whole family is revoked.
import { sql } from 'drizzle-orm';
import { index, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authSchema } from './schema.ts';
import { users } from './users.ts';

export const refreshTokenFamilies = authSchema.table(
  'refresh_token_families',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Absolute end of the family: rotation never extends a login past it.
    expiresAt: timestamp({ withTimezone: true }).notNull(),
    revokedAt: timestamp({ withTimezone: true }),
    revokedReason: text(),
  },
  (t) => [index().on(t.userId).where(sql`${t.revokedAt} IS NULL`)],
);

export const refreshTokens = authSchema.table(
  'refresh_tokens',
  {
    id: uuid().primaryKey().defaultRandom(),
    familyId: uuid()
      .notNull()
      .references(() => refreshTokenFamilies.id, { onDelete: 'cascade' }),
    // hex SHA-256 of the 256-bit token: a fast hash is right for a random secret.
    tokenHash: text().notNull().unique(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    usedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index().on(t.familyId)],
);

export type RefreshFamilyRow = typeof refreshTokenFamilies.$inferSelect;
