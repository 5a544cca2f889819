// Category rows. Plain rows in and out; takes a Db or a transaction, never opens one.
import { asc, eq } from 'drizzle-orm';
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
