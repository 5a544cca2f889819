// Category rows. Plain rows in and out; takes a Db or a transaction, never opens one.
import { asc, eq, sql } from 'drizzle-orm';
import type { CatalogTx, DbOrTx } from '../../db/client.ts';
import {
  type CategoryRow,
  categories,
  type NewCategoryRow,
  products,
} from '../../db/schema/index.ts';

export async function findAllCategories(db: DbOrTx): Promise<CategoryRow[]> {
  // slug breaks ties between equal names, so every replica sends the same bytes (and ETag).
  return db.select().from(categories).orderBy(asc(categories.name), asc(categories.slug));
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

/**
 * The new row, or undefined when there is no such category. Throws the driver's error on a
 * taken slug (23505) or a missing parent (23503); the service maps them.
 */
export async function updateCategory(
  db: DbOrTx,
  id: string,
  changes: Partial<Pick<NewCategoryRow, 'name' | 'slug' | 'parentId'>>,
): Promise<CategoryRow | undefined> {
  const [row] = await db.update(categories).set(changes).where(eq(categories.id, id)).returning();
  return row;
}

/** True when a row was deleted. Throws 23503 if a child or a product still references it. */
export async function deleteCategory(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db
    .delete(categories)
    .where(eq(categories.id, id))
    .returning({ id: categories.id });
  return rows.length > 0;
}

/**
 * Serialises every change to the tree's shape (create under a parent, move, delete) behind
 * one transaction-level advisory lock, released at commit or rollback. A move's checks read
 * the tree (is the new parent below the category? how deep would its subtree go?) and then
 * write; two concurrent moves (A under B, B under A) could each pass their check against the
 * tree as it was and together make a cycle. Holding the lock from the check to the commit
 * makes each check see every earlier move. One lock for the whole tree: category writes are
 * rare staff edits, and a single lock cannot deadlock (row locks on two paths could).
 */
export async function lockCategoryTree(tx: CatalogTx): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtextextended('catalog.categories', 0))`);
}

/**
 * How many levels the category's subtree spans below it: 0 for a leaf, null when there is no
 * such category. Stops one level past MAX_CATEGORY_DEPTH, enough to tell it is too deep.
 */
export async function findSubtreeHeight(db: DbOrTx, id: string): Promise<number | null> {
  const { rows } = await db.execute<{ height: number | null }>(sql`
    WITH RECURSIVE sub AS (
      SELECT id, 0 AS depth FROM ${categories} WHERE id = ${id}
      UNION ALL
      SELECT c.id, s.depth + 1
        FROM ${categories} c JOIN sub s ON c.parent_id = s.id
       WHERE s.depth <= ${MAX_CATEGORY_DEPTH}
    )
    SELECT max(depth)::int AS height FROM sub`);
  return rows[0]?.height ?? null;
}

/** What still points at a category: child categories, and products live or soft-deleted. */
export async function countCategoryDependents(
  db: DbOrTx,
  id: string,
): Promise<{ children: number; liveProducts: number; deletedProducts: number }> {
  const { rows } = await db.execute<{
    children: number;
    live_products: number;
    deleted_products: number;
  }>(sql`
    SELECT (SELECT count(*)::int FROM ${categories} WHERE parent_id = ${id}) AS children,
           count(*) FILTER (WHERE deleted_at IS NULL)::int AS live_products,
           count(*) FILTER (WHERE deleted_at IS NOT NULL)::int AS deleted_products
      FROM ${products} WHERE category_id = ${id}`);
  const r = rows[0];
  return {
    children: r?.children ?? 0,
    liveProducts: r?.live_products ?? 0,
    deletedProducts: r?.deleted_products ?? 0,
  };
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

/**
 * The categories with these ids, in one statement whatever their number: what GraphQL's
 * Product.category batches each page's lookups into (a DataLoader, src/graphql/). One array
 * parameter, not one parameter per id, so the statement text is the same for any page size.
 * Unknown ids are simply absent from the result.
 */
export async function findCategoriesByIds(db: DbOrTx, ids: string[]): Promise<CategoryRow[]> {
  if (ids.length === 0) return [];
  return db
    .select()
    .from(categories)
    .where(sql`${categories.id} = ANY(${sql.param(ids)}::uuid[])`);
}
