// Categories form a tree: parent_id points at another category (null for a root).
import { type AnyPgColumn, index, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { catalogSchema } from './schema.ts';

export const categories = catalogSchema.table(
  'categories',
  {
    id: uuid().primaryKey().defaultRandom(),
    parentId: uuid().references((): AnyPgColumn => categories.id, { onDelete: 'restrict' }),
    slug: text().notNull().unique(),
    name: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // Children of a category are looked up by parent: the FK alone gives no index in Postgres.
  (t) => [index('categories_parent_id_idx').on(t.parentId)],
);

export type CategoryRow = typeof categories.$inferSelect;
export type NewCategoryRow = typeof categories.$inferInsert;
