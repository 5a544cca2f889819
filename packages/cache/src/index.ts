// Public API of @meridian/cache: the two-tier read-through cache. See ../README.md.
export type { Cache, CacheLogger, CacheOptions, GetOptions } from './cache.ts';
export { createCache } from './cache.ts';
