// Append-only record of security-relevant changes (role grants, revocations, password
// changes). Written in the same transaction as the change it records.
import { bigint, index, jsonb, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { authSchema } from './schema.ts';

export const auditLog = authSchema.table(
  'audit_log',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    // null when the system acted (seed, security automation).
    actorId: uuid(),
    action: text().notNull(),
    targetUserId: uuid(),
    details: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index().on(t.createdAt), index().on(t.targetUserId)],
);

export type AuditRow = typeof auditLog.$inferSelect;
