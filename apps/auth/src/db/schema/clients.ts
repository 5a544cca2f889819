// Service clients for the client-credentials grant: a service's own identity and the
// scopes it may ask for. The secret is stored as an argon2id hash, like a password.
import { text, timestamp } from 'drizzle-orm/pg-core';
import { authSchema } from './schema.ts';

export const serviceClients = authSchema.table('service_clients', {
  id: text().primaryKey(),
  description: text().notNull(),
  secretHash: text().notNull(),
  scopes: text().array().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  disabledAt: timestamp({ withTimezone: true }),
});

export type ServiceClientRow = typeof serviceClients.$inferSelect;
