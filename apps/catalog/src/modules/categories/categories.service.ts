// Category use cases. Knows nothing of HTTP, so a worker or a script can call it too.
import { AppError, conflict, notFound } from '@meridian/errors';
import type { CatalogDb } from '../../db/client.ts';
import type { CategoryRow } from '../../db/schema/index.ts';
import {
  findAllCategories,
  findCategoryById,
  findCategoryPath,
  findCategoryTree,
  insertCategory,
} from './categories.repository.ts';
import type { Category, CategoryNode, NewCategory } from './categories.schemas.ts';

const toCategory = (row: CategoryRow): Category => ({
  id: row.id,
  parentId: row.parentId,
  slug: row.slug,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
});

/** The Postgres error code behind a failed query (drizzle wraps the driver's error in `cause`). */
function pgCode(err: unknown): unknown {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  return e?.cause?.code ?? e?.code;
}

const FOREIGN_KEY_VIOLATION = '23503';

const unknownParent = (parentId: string) =>
  new AppError({
    status: 422,
    code: 'unknown-parent',
    detail: `Parent category ${parentId} does not exist.`,
    errors: [{ in: 'body', pointer: '/parentId', detail: 'does not exist' }],
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
    /**
     * Every category as a tree of roots with nested children, from one query. The rows come
     * parents first and siblings in order, so one pass places each node under a parent that is
     * already built and children keep the query's order. Sized for a taxonomy (hundreds to a
     * few thousand categories, at most MAX_CATEGORY_DEPTH + 1 levels), not for unbounded data.
     */
    async tree(): Promise<CategoryNode[]> {
      const rows = await findCategoryTree(db);
      const byId = new Map<string, CategoryNode>();
      const roots: CategoryNode[] = [];
      for (const row of rows) {
        const node: CategoryNode = { id: row.id, slug: row.slug, name: row.name, children: [] };
        byId.set(row.id, node);
        if (row.parentId === null) roots.push(node);
        else byId.get(row.parentId)?.children.push(node);
      }
      return roots;
    },
    /** The categories from the root down to this one, itself included. */
    async breadcrumb(id: string): Promise<Category[]> {
      const path = await findCategoryPath(db, id);
      if (path.length === 0) throw notFound(`Category ${id} does not exist.`);
      return path.map(toCategory);
    },
    async create(input: NewCategory): Promise<Category> {
      const parentId = input.parentId ?? null;
      let row: CategoryRow | null;
      try {
        // The foreign key checks the parent in the same statement, so there is no window
        // between a lookup and the insert for the parent to disappear in.
        row = await insertCategory(db, { name: input.name, slug: input.slug, parentId });
      } catch (err) {
        if (parentId !== null && pgCode(err) === FOREIGN_KEY_VIOLATION) {
          throw unknownParent(parentId);
        }
        throw err;
      }
      if (!row) {
        throw conflict('slug-taken', `A category with slug "${input.slug}" already exists.`);
      }
      return toCategory(row);
    },
  };
}

export type CategoryService = ReturnType<typeof categoryService>;
