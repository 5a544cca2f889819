// The product cache's wiring: a dedicated subscriber connection for invalidation messages
// and the two-tier cache in front of findProductById. Framework-free like the service, so a
// worker that writes products can open the same cache and invalidate through it.
import { type Cache, type CacheLogger, type CacheOptions, createCache } from '@meridian/cache';
import { closeRedis, createRedis, type Redis } from '@meridian/redis';

/** In Redis keys, the invalidation channel and the `cache` metric label. */
export const PRODUCT_CACHE_NAME = 'catalog:product';

/** One key per product id; the value is the product (any status) or null (no live product). */
export const productCacheKey = (id: string) => `id:${id}`;

export interface ProductCacheOptions {
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

export interface ProductCache {
  cache: Cache;
  /** Unsubscribes, then closes the subscriber connection (the request connection is not ours). */
  close(): Promise<void>;
}

export async function openProductCache(opts: ProductCacheOptions): Promise<ProductCache> {
  // Subscriber mode allows no other commands, so it cannot share the request connection.
  const subscriber = createRedis({
    url: opts.url,
    role: 'subscriber',
    name: 'catalog:cache-sub',
    onError: (err) => opts.log.warn({ err }, 'redis subscriber connection error'),
  });
  const cache = createCache({
    redis: opts.redis,
    subscriber,
    prefix: opts.prefix,
    name: PRODUCT_CACHE_NAME,
    ttlMs: opts.ttlMs,
    localTtlMs: opts.localTtlMs,
    registry: opts.registry,
    log: opts.log,
  });
  // Serve traffic only once other instances' invalidations reach us, so a fresh instance
  // does not keep a stale local copy; but a Redis outage must not stop the service starting
  // (reads then fall through to the database, and the local TTL bounds staleness).
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
