// Opening one two-tier cache (@meridian/cache) for a kind of catalog data: a dedicated
// subscriber connection for invalidation messages, and a bounded wait for it at start-up.
// Framework-free, so a worker or script that writes catalog data can open the same cache and
// invalidate through it. What is cached, under which keys, lives with each module
// (products.cache.ts, categories.cache.ts).
import { type Cache, type CacheLogger, type CacheOptions, createCache } from '@meridian/cache';
import { closeRedis, createRedis, type Redis } from '@meridian/redis';

export interface CatalogCacheOptions {
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

export interface CatalogCache {
  cache: Cache;
  /** Unsubscribes, then closes the subscriber connection (the request connection is not ours). */
  close(): Promise<void>;
}

/** `name` is the cache's part of Redis keys, its invalidation channel and its metric label. */
export async function openCatalogCache(
  name: string,
  opts: CatalogCacheOptions,
): Promise<CatalogCache> {
  // Subscriber mode allows no other commands, so it cannot share the request connection.
  const subscriber = createRedis({
    url: opts.url,
    role: 'subscriber',
    name: `${name}:sub`,
    onError: (err) => opts.log.warn({ err, cache: name }, 'redis subscriber connection error'),
  });
  const cache = createCache({
    redis: opts.redis,
    subscriber,
    prefix: opts.prefix,
    name,
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
