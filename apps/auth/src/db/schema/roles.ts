// Roles a user can hold. Permissions per role, and user↔role links, arrive with RBAC (#3).
import { text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authSchema } from './schema.ts';

export const roles = authSchema.table('roles', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull().unique(),
  description: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});

export type RoleRow = typeof roles.$inferSelect;
