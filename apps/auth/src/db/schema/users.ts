// Accounts. The email is stored normalized (trimmed, NFC, lower-case), so the unique
// constraint is case-insensitive; the CHECK keeps any other writer honest.
import { sql } from 'drizzle-orm';
import { check, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authSchema } from './schema.ts';

export const users = authSchema.table(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    email: text().notNull().unique(),
    displayName: text().notNull(),
    // argon2id PHC string ($argon2id$v=19$m=…,t=…,p=…$salt$hash). Never leaves this service.
    passwordHash: text().notNull(),
    passwordChangedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('users_email_normalized', sql`${t.email} = lower(btrim(${t.email}))`)],
);

export type UserRow = typeof users.$inferSelect;
