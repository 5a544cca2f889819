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

/** A category as the tree reads it: what a node shows, and the link to place it. */
export type CategoryTreeRow = Pick<CategoryRow, 'id' | 'parentId' | 'slug' | 'name'>;

/**
 * Every category reachable from a root, in one recursive query, parents before their children
 * (by depth) and siblings by name, then slug (unique, so the order is total and stable).
 * Walking down from the roots rather than reading the table flat means a row caught in a
 * parent cycle (only possible by hand-written SQL) is never reached, so the tree built from
 * these rows cannot loop. Nodes deeper than MAX_CATEGORY_DEPTH are left out: the same stop the
 * breadcrumb uses, and a bound on how deep the response nests.
 */
export async function findCategoryTree(db: DbOrTx): Promise<CategoryTreeRow[]> {
  const { rows } = await db.execute<{
    id: string;
    parent_id: string | null;
    slug: string;
    name: string;
  }>(sql`
    WITH RECURSIVE tree AS (
      SELECT id, parent_id, slug, name, 0 AS depth
        FROM ${categories} WHERE parent_id IS NULL
      UNION ALL
      SELECT c.id, c.parent_id, c.slug, c.name, t.depth + 1
        FROM ${categories} c JOIN tree t ON c.parent_id = t.id
       WHERE t.depth < ${MAX_CATEGORY_DEPTH}
    )
    SELECT id, parent_id, slug, name FROM tree ORDER BY depth, name, slug`);
  return rows.map((r) => ({
    id: r.id,
    parentId: r.parent_id,
    slug: r.slug,
    name: r.name,
  }));
}
