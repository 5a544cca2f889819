// The category cache: two whole snapshots in the two-tier cache (opened by ../../cache.ts).
//
// The key scheme. Categories are one small, rarely written whole (a taxonomy of tens to a
// few thousand rows), and a single write can change many answers at once: moving a subtree
// changes the breadcrumb of every category below it. So rather than one key per answer, the
// cache holds two whole snapshots, and every write drops both:
//   list  the flat list (GET /v1/categories); breadcrumbs are walked from it in memory, so
//         they need no keys of their own (and an unknown id is simply not in it);
//   tree  the nested tree (GET /v2/categories), from its own recursive query.
// A fixed set of keys means no generation number and no "drop every breadcrumb:*" (which the
// package cannot do): invalidation is two DELs + PUBLISHes, and the package's version token
// guards each key against a load that read the tree before the write.
import type { Cache } from '@meridian/cache';
import { type CatalogCache, type CatalogCacheOptions, openCatalogCache } from '../../cache.ts';

/** In Redis keys, the invalidation channel and the `cache` metric label. */
export const CATEGORY_CACHE_NAME = 'catalog:category';

export const CATEGORY_CACHE_KEYS = { list: 'list', tree: 'tree' } as const;

/** Drops every cached category answer, on every instance. Never rejects (see Cache.invalidate). */
export async function invalidateCategories(cache: Cache): Promise<void> {
  await Promise.all(Object.values(CATEGORY_CACHE_KEYS).map((key) => cache.invalidate(key)));
}

export const openCategoryCache = (opts: CatalogCacheOptions): Promise<CatalogCache> =>
  openCatalogCache(CATEGORY_CACHE_NAME, opts);
