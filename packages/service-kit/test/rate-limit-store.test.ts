// The leased rate-limit store against the real Redis: several stores with one prefix stand
// for several replicas of a service. What must hold: never more than `max` admitted per
// window whatever the concurrency, exact counting for tight limits and single instances,
// and far fewer Redis calls than requests for a busy client.
import { closeRedis, createRedis, type Redis, waitForReady } from '@meridian/redis';
import { createTcpProxy, uniquePrefix } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LeasedRedisStore } from '../src/rate-limit-store.ts';

let redis: Redis;
beforeAll(async () => {
  redis = createRedis({ url: 'redis://127.0.0.1:6379', role: 'request', name: 'rl-store-test' });
  await waitForReady(redis, 5_000);
});
afterAll(async () => {
  await closeRedis(redis);
});

const WINDOW = 60_000;

function stores(n: number, leaseMax = 32, client = redis) {
  const prefix = uniquePrefix('rls');
  return Array.from({ length: n }, () => new LeasedRedisStore({ redis: client, prefix, leaseMax }));
}

function oneStore(leaseMax = 32, client = redis) {
  return new LeasedRedisStore({ redis: client, prefix: uniquePrefix('rls'), leaseMax });
}

function incr(store: LeasedRedisStore, key: string, max: number, windowMs = WINDOW) {
  return new Promise<{ current: number; ttl: number }>((resolve, reject) =>
    store.incr(
      key,
      (err, res) => (err ? reject(err) : resolve(res as { current: number; ttl: number })),
      windowMs,
      max,
    ),
  );
}

/** Counts the lease calls that reach Redis; the calls themselves are real. */
function countLeases(client: Redis) {
  const target = client as Redis & { rateLimitLease: (...a: unknown[]) => Promise<unknown> };
  const original = target.rateLimitLease;
  const counter = {
    calls: 0,
    restore: () => {
      target.rateLimitLease = original;
    },
  };
  target.rateLimitLease = (...args: unknown[]) => {
    counter.calls++;
    return original.apply(target, args);
  };
  return counter;
}

const admitted = (results: { current: number }[], max: number) =>
  results.filter((r) => r.current <= max).length;

describe('leased rate-limit store', () => {
  it('admits exactly max on one instance, however many requests arrive at once', async () => {
    const store = oneStore();
    const results = await Promise.all(Array.from({ length: 500 }, () => incr(store, 'ip:a', 200)));
    expect(admitted(results, 200)).toBe(200);
    // The admitted requests hold tickets 1..200, each once: none was counted twice.
    const tickets = results.map((r) => r.current).filter((t) => t <= 200);
    expect(new Set(tickets).size).toBe(200);
  });

  it('never admits more than max across instances, and undershoots by at most the leases held', async () => {
    const replicas = stores(3);
    const max = 200; // cap = floor(200 × 0.05) = 10 tickets per lease
    const results = await Promise.all(
      Array.from({ length: 900 }, (_, i) => incr(replicas[i % 3] as LeasedRedisStore, 'ip:b', max)),
    );
    const n = admitted(results, max);
    expect(n).toBeLessThanOrEqual(max);
    expect(n).toBeGreaterThanOrEqual(max - 2 * (10 - 1));
  });

  it('counts a tight limit exactly across instances (leases of one ticket)', async () => {
    const [a, b] = stores(2) as [LeasedRedisStore, LeasedRedisStore];
    const statuses: boolean[] = [];
    for (let i = 0; i < 14; i++)
      statuses.push((await incr(i % 2 ? b : a, 'login:c', 10)).current <= 10);
    expect(statuses.filter(Boolean)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([false, false, false, false]);
  });

  it('asks Redis once per lease, not once per request, for a busy client', async () => {
    const store = oneStore(32);
    const counter = countLeases(redis);
    try {
      for (let i = 0; i < 1_000; i++) await incr(store, 'ip:d', 100_000);
    } finally {
      counter.restore();
    }
    // Slow start 1+2+4+8+16 = 31 tickets in 5 calls, then 969 / 32 → 31 more.
    expect(counter.calls).toBe(36);
  });

  it('refuses locally once over the limit: a flood costs Redis nothing more in the window', async () => {
    const store = oneStore();
    for (let i = 0; i < 5; i++)
      expect((await incr(store, 'ip:e', 5)).current).toBeLessThanOrEqual(5);
    expect((await incr(store, 'ip:e', 5)).current).toBeGreaterThan(5);
    const counter = countLeases(redis);
    try {
      for (let i = 0; i < 100; i++) {
        const res = await incr(store, 'ip:e', 5);
        expect(res.current).toBeGreaterThan(5);
        expect(res.ttl).toBeGreaterThan(0);
      }
    } finally {
      counter.restore();
    }
    expect(counter.calls).toBe(0);
  });

  it('starts a fresh budget when the window ends', async () => {
    const store = oneStore();
    for (let i = 0; i < 3; i++) await incr(store, 'ip:f', 3, 300);
    expect((await incr(store, 'ip:f', 3, 300)).current).toBe(4);
    await new Promise((r) => setTimeout(r, 350));
    expect((await incr(store, 'ip:f', 3, 300)).current).toBe(1);
  });

  it('keys per-route children apart, and createRateLimit children share the prefix', async () => {
    const store = oneStore();
    const route = store.child({ routeInfo: { method: 'POST', url: '/v1/login' } });
    const plain = store.child({ routeInfo: {} });
    expect((await incr(store, 'k', 10)).current).toBe(1);
    expect((await incr(route, 'k', 10)).current).toBe(1);
    // No "undefinedundefined" in the key: a createRateLimit child counts on the plain key.
    expect((await incr(plain, 'k', 10)).current).toBe(2);
  });

  it('reports a Redis failure to the caller (the kit then lets the request through)', async () => {
    const proxy = await createTcpProxy({ host: '127.0.0.1', port: 6379 });
    const client = createRedis({
      url: `redis://127.0.0.1:${proxy.port}`,
      role: 'request',
      name: 'rl-store-cut',
    });
    try {
      await waitForReady(client, 5_000);
      const store = oneStore(32, client);
      expect((await incr(store, 'ip:g', 10)).current).toBe(1);
      await proxy.cut();
      await expect(incr(store, 'ip:g-new', 10)).rejects.toThrow();
    } finally {
      client.disconnect();
      await proxy.close();
    }
  });
});
