// Category use cases. Knows nothing of HTTP, so a worker or a script can call it too.
import type { Cache } from '@meridian/cache';
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgError } from '@meridian/db';
import { AppError, conflict, notFound } from '@meridian/errors';
import type { CatalogDb, CatalogTx } from '../../db/client.ts';
import type { CategoryRow } from '../../db/schema/index.ts';
import { CATEGORY_CACHE_KEYS, invalidateCategories } from './categories.cache.ts';
import {
  countCategoryDependents,
  deleteCategory,
  findAllCategories,
  findCategoryPath,
  findCategoryTree,
  findSubtreeHeight,
  insertCategory,
  lockCategoryTree,
  MAX_CATEGORY_DEPTH,
  updateCategory,
} from './categories.repository.ts';
import type { Category, CategoryChanges, CategoryNode, NewCategory } from './categories.schemas.ts';

const toCategory = (row: CategoryRow): Category => ({
  id: row.id,
  parentId: row.parentId,
  slug: row.slug,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
});

const PRODUCTS_CATEGORY_FK = 'products_category_id_categories_id_fk';

// --- the module's problems ----------------------------------------------------------------
// A bad parentId is a 422 whatever the reason (missing, a cycle, too deep): the request is
// well-formed, the field it points at names a parent this category cannot have, and the
// client fixes it by choosing another. 409 is kept for clashes with other resources that the
// client cannot fix in this request: a slug someone else holds, a category that still has
// children or products.

const parentProblem = (code: string, detail: string, fieldDetail: string) =>
  new AppError({
    status: 422,
    code,
    detail,
    errors: [{ in: 'body', pointer: '/parentId', detail: fieldDetail }],
  });

const unknownParent = (parentId: string) =>
  parentProblem('unknown-parent', `Parent category ${parentId} does not exist.`, 'does not exist');

const cycle = (id: string, parentId: string) =>
  parentProblem(
    'category-cycle',
    parentId === id
      ? `Category ${id} cannot be its own parent.`
      : `Category ${parentId} is below ${id}: moving ${id} under it would make a cycle.`,
    'is the category itself or one of its descendants',
  );

const tooDeep = (deepest: number) =>
  parentProblem(
    'category-too-deep',
    `This would put a category ${deepest} levels below its root; the limit is ${MAX_CATEGORY_DEPTH}.`,
    `would nest categories deeper than ${MAX_CATEGORY_DEPTH} levels`,
  );

const slugTaken = (slug: string) =>
  conflict('slug-taken', `A category with slug "${slug}" already exists.`);

const categoryNotFound = (id: string) => notFound(`Category ${id} does not exist.`);

const hasChildren = (id: string, children: number) =>
  new AppError({
    status: 409,
    code: 'category-has-children',
    detail: `Category ${id} has ${children} subcategor${children === 1 ? 'y' : 'ies'}; move or delete them first.`,
    extensions: { children },
  });

const hasProducts = (id: string, live: number, deleted: number) =>
  new AppError({
    status: 409,
    code: 'category-has-products',
    detail:
      `Category ${id} still holds ${live + deleted} product(s)` +
      (deleted > 0 ? `, ${deleted} of them deleted` : '') +
      '; move them to another category first. Deleted products keep their category, so ' +
      'orders and links that name them still resolve.',
    extensions: { products: live, deletedProducts: deleted },
  });

/**
 * The depth a category placed under `parentId` would have (a root's is 0), checked under the
 * tree lock: throws if the parent does not exist, if it is `id` or below it (a cycle), or if
 * the category's subtree (`height` levels below it) would end deeper than MAX_CATEGORY_DEPTH.
 */
async function checkParent(
  tx: CatalogTx,
  parentId: string,
  moving?: { id: string; height: number },
): Promise<void> {
  // Root first, the parent last; at most MAX_CATEGORY_DEPTH + 1 rows (the walk's stop).
  const path = await findCategoryPath(tx, parentId);
  if (path.length === 0) throw unknownParent(parentId);
  if (moving && path.some((c) => c.id === moving.id)) throw cycle(moving.id, parentId);
  const deepest = path.length + (moving?.height ?? 0);
  if (deepest > MAX_CATEGORY_DEPTH) throw tooDeep(deepest);
}

export interface CategoryServiceOptions {
  /**
   * Cache-aside for the list, the tree and the breadcrumbs (see categories.cache.ts). Every
   * write below invalidates it; a writer that bypasses this service (a script, raw SQL) must
   * call invalidateCategories too, or readers see the old tree for up to the cache's TTL.
   */
  cache?: Cache;
}

export function categoryService(db: CatalogDb, { cache }: CategoryServiceOptions = {}) {
  const loadList = async (): Promise<Category[]> => (await findAllCategories(db)).map(toCategory);

  /**
   * Every category as a tree of roots with nested children, from one query. The rows come
   * parents first and siblings in order, so one pass places each node under a parent that is
   * already built and children keep the query's order. Sized for a taxonomy (hundreds to a
   * few thousand categories, at most MAX_CATEGORY_DEPTH + 1 levels), not for unbounded data.
   */
  const loadTree = async (): Promise<CategoryNode[]> => {
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
  };

  const readList = () => (cache ? cache.get(CATEGORY_CACHE_KEYS.list, loadList) : loadList());

  // Breadcrumbs are walked from the cached list, indexed once per list value: a local-tier
  // hit hands back the same array, so the index is built once per cached copy, not per request.
  const indexes = new WeakMap<Category[], Map<string, Category>>();
  const indexOf = (list: Category[]): Map<string, Category> => {
    let index = indexes.get(list);
    if (!index) {
      index = new Map(list.map((c) => [c.id, c]));
      indexes.set(list, index);
    }
    return index;
  };

  // After the write has committed and before the caller gets its answer: once a write
  // returns, no instance serves the old tree. A failed invalidation (Redis down) is logged by
  // the cache and does not fail the write; the TTLs bound how long a stale copy can live.
  const invalidate = async (): Promise<void> => {
    if (cache) await invalidateCategories(cache);
  };

  return {
    /** Every category, flat, by name (then slug). A cached value: read-only. */
    async list(): Promise<Category[]> {
      return readList();
    },
    /** One category, from the cached list (the whole taxonomy is one cached value). */
    async get(id: string): Promise<Category> {
      const category = indexOf(await readList()).get(id);
      if (!category) throw categoryNotFound(id);
      return category;
    },
    /** The whole tree, roots by name with their subtrees nested. A cached value: read-only. */
    async tree(): Promise<CategoryNode[]> {
      return cache ? cache.get(CATEGORY_CACHE_KEYS.tree, loadTree) : loadTree();
    },
    /**
     * The categories from the root down to this one, itself included. Walks up the cached
     * list by parentId with the same stop as findCategoryPath (MAX_CATEGORY_DEPTH steps), so
     * it answers exactly as that query would, without a query of its own.
     */
    async breadcrumb(id: string): Promise<Category[]> {
      const index = indexOf(await readList());
      const path: Category[] = [];
      let current = index.get(id);
      if (!current) throw categoryNotFound(id);
      while (current) {
        path.push(current);
        if (current.parentId === null || path.length > MAX_CATEGORY_DEPTH) break;
        current = index.get(current.parentId);
      }
      return path.reverse();
    },

    async create(input: NewCategory): Promise<Category> {
      const parentId = input.parentId ?? null;
      let row: CategoryRow | null;
      try {
        row = await db.transaction(async (tx) => {
          // Under a parent: the tree lock, so the parent's depth cannot change (nor the
          // parent vanish) between the check and the insert.
          if (parentId !== null) {
            await lockCategoryTree(tx);
            await checkParent(tx, parentId);
          }
          return insertCategory(tx, { name: input.name, slug: input.slug, parentId });
        });
      } catch (err) {
        // The lock makes this unreachable through the API; a writer outside it (raw SQL)
        // could still delete the parent, and the foreign key then answers.
        if (parentId !== null && pgError(err).code === PG_FOREIGN_KEY_VIOLATION) {
          throw unknownParent(parentId);
        }
        throw err;
      }
      if (!row) throw slugTaken(input.slug);
      // Nothing could have read this id before, but the list and the tree now hold one more.
      await invalidate();
      return toCategory(row);
    },

    /**
     * Renames, re-slugs and moves. A move (parentId present) takes the tree lock, then checks
     * the new parent (exists, is not the category or below it, keeps the subtree within
     * MAX_CATEGORY_DEPTH) and writes, all in one transaction: see lockCategoryTree.
     */
    async update(id: string, changes: CategoryChanges): Promise<Category> {
      let row: CategoryRow | undefined;
      try {
        row = await db.transaction(async (tx) => {
          if (changes.parentId !== undefined) {
            await lockCategoryTree(tx);
            const height = await findSubtreeHeight(tx, id);
            if (height === null) throw categoryNotFound(id);
            // A root has no ancestors and adds no edge: nothing to check.
            if (changes.parentId !== null) {
              if (changes.parentId === id) throw cycle(id, id);
              await checkParent(tx, changes.parentId, { id, height });
            }
          }
          return updateCategory(tx, id, changes);
        });
      } catch (err) {
        const { code, constraint } = pgError(err);
        if (
          code === PG_UNIQUE_VIOLATION &&
          constraint === 'categories_slug_unique' &&
          changes.slug
        ) {
          throw slugTaken(changes.slug);
        }
        if (code === PG_FOREIGN_KEY_VIOLATION && changes.parentId) {
          throw unknownParent(changes.parentId);
        }
        throw err;
      }
      if (!row) throw categoryNotFound(id);
      await invalidate();
      return toCategory(row);
    },

    /**
     * Deletes a category that nothing points at: no subcategories, and no products, deleted
     * ones included (they keep their category so that orders naming them still resolve, and
     * the foreign key, ON DELETE RESTRICT, would refuse anyway).
     */
    async remove(id: string): Promise<void> {
      let deleted: boolean;
      try {
        deleted = await db.transaction(async (tx) => {
          // The tree lock keeps a child from being created or moved under it meanwhile.
          await lockCategoryTree(tx);
          const { children, liveProducts, deletedProducts } = await countCategoryDependents(tx, id);
          if (children > 0) throw hasChildren(id, children);
          if (liveProducts + deletedProducts > 0) {
            throw hasProducts(id, liveProducts, deletedProducts);
          }
          return deleteCategory(tx, id);
        });
      } catch (err) {
        // A product created in the category after the count (product writes do not take the
        // tree lock): the foreign key refuses the delete, and the answer is the same 409.
        const { code, constraint } = pgError(err);
        if (code === PG_FOREIGN_KEY_VIOLATION) {
          if (constraint === PRODUCTS_CATEGORY_FK) {
            throw conflict(
              'category-has-products',
              `Category ${id} still holds products; move them to another category first.`,
            );
          }
          throw conflict('category-has-children', `Category ${id} has subcategories.`);
        }
        throw err;
      }
      if (!deleted) throw categoryNotFound(id);
      await invalidate();
    },
  };
}

export type CategoryService = ReturnType<typeof categoryService>;
