// The category cache's wiring: a dedicated subscriber connection for invalidation messages
// and the two-tier cache (@meridian/cache) in front of the category reads. Framework-free like
// the service, so a worker or script that writes categories can open it and invalidate.
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
import { type Cache, type CacheLogger, type CacheOptions, createCache } from '@meridian/cache';
import { closeRedis, createRedis, type Redis } from '@meridian/redis';

/** In Redis keys, the invalidation channel and the `cache` metric label. */
export const CATEGORY_CACHE_NAME = 'catalog:category';

export const CATEGORY_CACHE_KEYS = { list: 'list', tree: 'tree' } as const;

/** Drops every cached category answer, on every instance. Never rejects (see Cache.invalidate). */
export async function invalidateCategories(cache: Cache): Promise<void> {
  await Promise.all(Object.values(CATEGORY_CACHE_KEYS).map((key) => cache.invalidate(key)));
}

export interface CategoryCacheOptions {
  /** The request-role connection (fails fast while Redis is down). */
  redis: Redis;
  /** REDIS_URL, for the subscriber connection this opens. */
  url: string;
  prefix: string;
  ttlMs: number;
  localTtlMs: number;
  /** The app's prom-client registry, so the cache's counters appear on /metrics. */
  registry?: CacheOptions['registry'];
  log: CacheLogger;
  /** How long start-up waits for the invalidation channel; Redis down must not block it. */
  readyWaitMs?: number;
}

export interface CategoryCache {
  cache: Cache;
  /** Unsubscribes, then closes the subscriber connection (the request connection is not ours). */
  close(): Promise<void>;
}

export async function openCategoryCache(opts: CategoryCacheOptions): Promise<CategoryCache> {
  // Subscriber mode allows no other commands, so it cannot share the request connection.
  const subscriber = createRedis({
    url: opts.url,
    role: 'subscriber',
    name: 'catalog:category-cache-sub',
    onError: (err) => opts.log.warn({ err }, 'redis subscriber connection error'),
  });
  const cache = createCache({
    redis: opts.redis,
    subscriber,
    prefix: opts.prefix,
    name: CATEGORY_CACHE_NAME,
    ttlMs: opts.ttlMs,
    localTtlMs: opts.localTtlMs,
    registry: opts.registry,
    log: opts.log,
  });
  // As for products: serve only once other instances' invalidations reach us, but never let
  // a Redis outage stop the service starting.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    cache.ready,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, opts.readyWaitMs ?? 2_000);
    }),
  ]);
  clearTimeout(timer);
  return {
    cache,
    async close() {
      await cache.close();
      await closeRedis(subscriber);
    },
  };
}
