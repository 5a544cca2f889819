// Category use cases. Knows nothing of HTTP, so a worker or a script can call it too.
import { notFound } from '@meridian/errors';
import type { CatalogDb } from '../../db/client.ts';
import type { CategoryRow } from '../../db/schema/index.ts';
import { findAllCategories, findCategoryById } from './categories.repository.ts';
import type { Category } from './categories.schemas.ts';

const toCategory = (row: CategoryRow): Category => ({
  id: row.id,
  parentId: row.parentId,
  slug: row.slug,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
});

export function categoryService(db: CatalogDb) {
  return {
    async list(): Promise<Category[]> {
      return (await findAllCategories(db)).map(toCategory);
    },
    async get(id: string): Promise<Category> {
      const row = await findCategoryById(db, id);
      if (!row) throw notFound(`Category ${id} does not exist.`);
      return toCategory(row);
    },
  };
}

export type CategoryService = ReturnType<typeof categoryService>;
