// The two-tier cache against the real Redis: tiers, TTLs, stampedes in one and two
// instances, pub/sub invalidation, the stale-write race, and a Redis that is down.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:net';
import { closeRedis, createRedis, type Redis, waitForReady } from '@meridian/redis';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { type Cache, type CacheOptions, createCache } from '../src/index.ts';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

// Every test gets its own prefix; everything opened is closed and its keys removed.
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()?.();
});

function uniquePrefix(): string {
  return `test:cache:${randomBytes(4).toString('hex')}:`;
}

/** One "replica": its own request and subscriber connections, like a separate process. */
async function instance(
  prefix: string,
  opts: Partial<CacheOptions> = {},
  url = REDIS_URL,
): Promise<{ cache: Cache; redis: Redis }> {
  const redis = createRedis({ url, role: 'request', name: 'cache-test' });
  const subscriber = createRedis({ url, role: 'subscriber', name: 'cache-test:sub' });
  const cache = createCache({ redis, subscriber, prefix, name: 'things', ttlMs: 60_000, ...opts });
  cleanups.push(async () => {
    await cache.close();
    if (redis.status === 'ready') {
      const keys = await redis.keys(`${prefix}*`);
      if (keys.length) await redis.del(...keys);
    }
    await closeRedis(redis);
    await closeRedis(subscriber);
  });
  if (url === REDIS_URL) {
    await waitForReady(redis, 2_000);
    await cache.ready;
  }
  return { cache, redis };
}

/** A data source whose reads are counted and can be slowed down. */
function source<T>(initial: T, delayMs = 0) {
  const s = {
    value: initial,
    loads: 0,
    load: async (): Promise<T> => {
      s.loads++;
      const seen = s.value; // read "the database" at the start, like a real query
      if (delayMs) await sleep(delayMs);
      return seen;
    },
  };
  return s;
}

async function counter(registry: Registry, tier: string, result: string): Promise<number> {
  const metric = await registry.getSingleMetric('cache_requests_total')?.get();
  const row = metric?.values.find((v) => v.labels.tier === tier && v.labels.result === result);
  return row?.value ?? 0;
}

describe('get: tiers', () => {
  it('loads on a miss, then serves from the local tier without touching load() again', async () => {
    const registry = new Registry();
    const { cache } = await instance(uniquePrefix(), { registry });
    const db = source({ id: 1, name: 'lamp' });

    expect(await cache.get('p:1', db.load)).toEqual({ id: 1, name: 'lamp' });
    expect(await cache.get('p:1', db.load)).toEqual({ id: 1, name: 'lamp' });

    expect(db.loads).toBe(1);
    expect(await counter(registry, 'local', 'miss')).toBe(1);
    expect(await counter(registry, 'redis', 'miss')).toBe(1);
    expect(await counter(registry, 'local', 'hit')).toBe(1);
    expect(await registry.metrics()).toMatch(
      /cache_load_duration_seconds_count\{cache="things"\} 1/,
    );
  });

  it('when the local tier is off or cold, serves the Redis copy another instance wrote', async () => {
    const prefix = uniquePrefix();
    const registry = new Registry();
    const a = await instance(prefix);
    const b = await instance(prefix, { localTtlMs: 0, registry });
    const db = source('v1');

    await a.cache.get('k', db.load);
    expect(await b.cache.get('k', db.load)).toBe('v1');
    expect(await b.cache.get('k', db.load)).toBe('v1');

    expect(db.loads).toBe(1);
    expect(await counter(registry, 'redis', 'hit')).toBe(2);
    expect(await counter(registry, 'local', 'miss')).toBe(0); // tier off: not counted
  });

  it('caches null (a negative result), and returns undefined without caching it', async () => {
    const { cache } = await instance(uniquePrefix(), { localTtlMs: 0 });
    const missing = source<null>(null);
    const nothing = source<undefined>(undefined);
    await cache.get('gone', missing.load);
    expect(await cache.get('gone', missing.load)).toBeNull();
    expect(missing.loads).toBe(1);
    await cache.get('undef', nothing.load);
    expect(await cache.get('undef', nothing.load)).toBeUndefined();
    expect(nothing.loads).toBe(2);
  });
});

describe('get: TTLs', () => {
  it('writes the Redis copy with a TTL inside ttlMs × (1 ± jitter)', async () => {
    const prefix = uniquePrefix();
    const { cache, redis } = await instance(prefix, { ttlMs: 10_000, jitter: 0.2 });
    const ttls: number[] = [];
    for (let i = 0; i < 20; i++) {
      await cache.get(`k${i}`, async () => i);
      ttls.push(await redis.pttl(`${prefix}cache:things:v:k${i}`));
    }
    expect(Math.min(...ttls)).toBeGreaterThan(8_000 - 100);
    expect(Math.max(...ttls)).toBeLessThanOrEqual(12_000);
    expect(new Set(ttls).size).toBeGreaterThan(1); // jittered, not one expiry for all
  });

  it('reloads after the Redis TTL has passed', async () => {
    const { cache } = await instance(uniquePrefix(), { ttlMs: 150, jitter: 0, localTtlMs: 0 });
    const db = source('v1');
    await cache.get('k', db.load);
    db.value = 'v2';
    expect(await cache.get('k', db.load)).toBe('v1');
    await sleep(250);
    expect(await cache.get('k', db.load)).toBe('v2');
    expect(db.loads).toBe(2);
  });

  it('after the short local TTL, falls back to Redis, not to load()', async () => {
    const registry = new Registry();
    const { cache } = await instance(uniquePrefix(), { localTtlMs: 100, registry });
    const db = source('v1');
    await cache.get('k', db.load);
    await sleep(150);
    expect(await cache.get('k', db.load)).toBe('v1');
    expect(db.loads).toBe(1);
    expect(await counter(registry, 'redis', 'hit')).toBe(1);
  });
});

describe('get: stampede protection', () => {
  it('100 concurrent gets for a cold key in one instance call load() exactly once', async () => {
    const { cache } = await instance(uniquePrefix());
    const db = source('cold', 50);
    const results = await Promise.all(Array.from({ length: 100 }, () => cache.get('k', db.load)));
    expect(results.every((r) => r === 'cold')).toBe(true);
    expect(db.loads).toBe(1);
  });

  it('across two instances, the Redis lock makes one rebuild when the load beats the lock wait', async () => {
    const prefix = uniquePrefix();
    const a = await instance(prefix, { lockWaitMs: 2_000 });
    const b = await instance(prefix, { lockWaitMs: 2_000 });
    const db = source('cold', 100);
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).cache.get('k', db.load)),
    );
    expect(results.every((r) => r === 'cold')).toBe(true);
    expect(db.loads).toBe(1);
  });

  it('when the rebuild outlasts the lock wait, the other instance loads itself: at most one load per instance, never a hang', async () => {
    const prefix = uniquePrefix();
    const a = await instance(prefix, { lockWaitMs: 100 });
    const b = await instance(prefix, { lockWaitMs: 100 });
    const db = source('cold', 400);
    const started = Date.now();
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).cache.get('k', db.load)),
    );
    expect(results.every((r) => r === 'cold')).toBe(true);
    expect(db.loads).toBe(2);
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('invalidate', () => {
  it('on instance A, makes instance B reload on its next get (pub/sub drops B’s local copy)', async () => {
    const prefix = uniquePrefix();
    // A long local TTL, so only the broadcast can explain B seeing the new value.
    const a = await instance(prefix, { localTtlMs: 60_000 });
    const b = await instance(prefix, { localTtlMs: 60_000 });
    const db = source('v1');
    await a.cache.get('k', db.load);
    expect(await b.cache.get('k', db.load)).toBe('v1');

    db.value = 'v2';
    expect(await a.cache.invalidate('k')).toBe(true);
    expect(await a.cache.get('k', db.load)).toBe('v2'); // the writer sees it at once

    let seen: string | undefined;
    for (let i = 0; i < 50 && seen !== 'v2'; i++) {
      seen = await b.cache.get('k', db.load);
      if (seen !== 'v2') await sleep(10);
    }
    expect(seen).toBe('v2');
  });

  it('a slow load that started before an invalidation does not write its stale value back', async () => {
    const prefix = uniquePrefix();
    const a = await instance(prefix);
    const b = await instance(prefix);
    const db = source('old', 200);

    const slow = a.cache.get('k', db.load); // reads 'old', then takes 200 ms
    await sleep(50);
    db.value = 'new';
    await b.cache.invalidate('k'); // the write on another instance

    expect(await slow).toBe('old'); // its own caller gets what it read
    const fresh = source('new');
    expect(await a.cache.get('k', fresh.load)).toBe('new');
    expect(await b.cache.get('k', fresh.load)).toBe('new');
    expect(await a.redis.get(`${prefix}cache:things:v:k`)).toBe(JSON.stringify('new'));
  });

  it('a get that joins after an invalidation does not share the stale flight', async () => {
    const { cache } = await instance(uniquePrefix());
    const db = source('old', 100);
    const before = cache.get('k', db.load);
    await sleep(20);
    db.value = 'new';
    await cache.invalidate('k');
    const after = cache.get('k', db.load);
    expect(await before).toBe('old');
    expect(await after).toBe('new');
  });
});

describe('when Redis is unreachable', () => {
  it('get returns load()’s value and invalidate reports false, neither throws nor hangs', async () => {
    // A port nothing listens on: take a free one, then close it.
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const { port } = server.address() as { port: number };
    await new Promise((r) => server.close(r));

    const warnings: string[] = [];
    const { cache } = await instance(
      uniquePrefix(),
      { log: { warn: (_obj, msg) => warnings.push(msg) } },
      `redis://127.0.0.1:${port}`,
    );
    const db = source('from-db');
    const started = Date.now();
    expect(await cache.get('k', db.load)).toBe('from-db');
    expect(await cache.get('k', db.load)).toBe('from-db'); // local tier still works
    expect(await cache.invalidate('k')).toBe(false);
    expect(await cache.get('k', db.load)).toBe('from-db');
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(db.loads).toBe(2);
    expect(warnings).toContain('cache read failed; loading');
    expect(warnings).toContain('cache invalidation failed');
  });
});
