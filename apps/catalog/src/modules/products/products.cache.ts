// The product cache: the two-tier cache in front of findProductById (opened by ../../cache.ts).
import { type CatalogCache, type CatalogCacheOptions, openCatalogCache } from '../../cache.ts';

/** In Redis keys, the invalidation channel and the `cache` metric label. */
export const PRODUCT_CACHE_NAME = 'catalog:product';

/** One key per product id; the value is the product (any status) or null (no live product). */
export const productCacheKey = (id: string) => `id:${id}`;

export const openProductCache = (opts: CatalogCacheOptions): Promise<CatalogCache> =>
  openCatalogCache(PRODUCT_CACHE_NAME, opts);
