// Category rows. Plain rows in and out; takes a Db or a transaction, never opens one.
import { asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type CategoryRow, categories, type NewCategoryRow } from '../../db/schema/index.ts';

export async function findAllCategories(db: DbOrTx): Promise<CategoryRow[]> {
  return db.select().from(categories).orderBy(asc(categories.name));
}

export async function findCategoryById(db: DbOrTx, id: string): Promise<CategoryRow | undefined> {
  const [row] = await db.select().from(categories).where(eq(categories.id, id)).limit(1);
  return row;
}

/** The new row, or null when the slug is taken (an expected outcome, not an error). */
export async function insertCategory(
  db: DbOrTx,
  values: Pick<NewCategoryRow, 'name' | 'slug' | 'parentId'>,
): Promise<CategoryRow | null> {
  const [row] = await db
    .insert(categories)
    .values(values)
    .onConflictDoNothing({ target: categories.slug })
    .returning();
  return row ?? null;
}

/** Longest path the breadcrumb walks: deeper than any real tree, and a stop if one ever loops. */
export const MAX_CATEGORY_DEPTH = 32;

/**
 * The path from the root down to the category, in one recursive query; empty when there is
 * no such category.
 */
export async function findCategoryPath(db: DbOrTx, id: string): Promise<CategoryRow[]> {
  const { rows } = await db.execute<{
    id: string;
    parent_id: string | null;
    slug: string;
    name: string;
    created_at: string;
  }>(sql`
    WITH RECURSIVE path AS (
      SELECT id, parent_id, slug, name, created_at, 0 AS depth
        FROM ${categories} WHERE id = ${id}
      UNION ALL
      SELECT c.id, c.parent_id, c.slug, c.name, c.created_at, p.depth + 1
        FROM ${categories} c JOIN path p ON c.id = p.parent_id
       WHERE p.depth < ${MAX_CATEGORY_DEPTH}
    )
    SELECT id, parent_id, slug, name, created_at FROM path ORDER BY depth DESC`);
  // db.execute returns the driver's rows: snake_case names, timestamps as Postgres text.
  return rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    slug: r.slug,
    name: r.name,
    createdAt: new Date(r.created_at),
  }));
}
