// Prometheus metrics for the cache: hits and misses per tier, and how long loads take.
// Several caches share one registry, so each metric is created once and labelled by cache.
import { Counter, Histogram, type Registry } from 'prom-client';

export type Tier = 'local' | 'redis';

export interface CacheMetrics {
  request(tier: Tier, result: 'hit' | 'miss'): void;
  /** Starts a load timer; call the returned function when the load settles. */
  startLoad(): () => void;
}

const noop: CacheMetrics = { request() {}, startLoad: () => () => {} };

export function createCacheMetrics(cache: string, registry?: Registry): CacheMetrics {
  if (!registry) return noop;
  const requests =
    (registry.getSingleMetric('cache_requests_total') as Counter<'cache' | 'tier' | 'result'>) ??
    new Counter({
      name: 'cache_requests_total',
      help: 'Cache lookups by cache, tier (local, redis) and result (hit, miss)',
      labelNames: ['cache', 'tier', 'result'],
      registers: [registry],
    });
  const loads =
    (registry.getSingleMetric('cache_load_duration_seconds') as Histogram<'cache'>) ??
    new Histogram({
      name: 'cache_load_duration_seconds',
      help: 'Time spent in load() on a cache miss',
      labelNames: ['cache'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  return {
    request: (tier, result) => requests.inc({ cache, tier, result }),
    startLoad: () => loads.startTimer({ cache }),
  };
}
