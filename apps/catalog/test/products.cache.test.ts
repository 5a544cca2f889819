// GET /v1/products/:id through the two-tier cache (@meridian/cache), with two app instances
// on one cloned database and one Redis prefix, as two replicas would run: a write through
// one is visible on the other as soon as it returns, a cold key costs one database read,
// and the cache shows up on /metrics. Routes' own behaviour: products.test.ts.
import { createTcpProxy, type TestApp, type TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { type CatalogReplicas, createCatalogReplicas, staffHeaders } from './helpers.ts';

type App = Awaited<ReturnType<typeof buildApp>>;

let a: TestApp<App, Config>;
let b: App;
let issuer: TestIssuer;
let writer: { authorization: string };
let categoryId: string;

let replicas: CatalogReplicas | undefined;

beforeAll(async () => {
  replicas = await createCatalogReplicas({
    // A local tier long enough that only an invalidation, never expiry, can explain a fresh
    // read on the other instance.
    PRODUCT_CACHE_LOCAL_TTL_MS: '60000',
  });
  ({ a, b, issuer } = replicas);
  writer = await staffHeaders(issuer);
  const { rows } = await a.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('cached', 'Cached') RETURNING id",
  );
  categoryId = rows[0]?.id as string;
});
afterAll(() => replicas?.close());

let skuSeq = 0;
async function seedProduct(status = 'active'): Promise<string> {
  const { rows } = await a.app.pg.query<{ id: string }>(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status)
     VALUES ($1, 'Cached item', 1000, 'EUR', $2, $3) RETURNING id`,
    [`CACHE-${process.pid}-${++skuSeq}`, categoryId, status],
  );
  return rows[0]?.id as string;
}

const get = (app: App, id: string, headers: Record<string, string> = {}) =>
  app.inject({ method: 'GET', url: `/v1/products/${id}`, headers });

/**
 * Counts the statements an app's pool runs that read product `id`. A pass-through spy on
 * pool.query (drizzle's node-postgres driver sends every statement through it): the real
 * database still answers, nothing is mocked; only calls are counted.
 */
function countProductReads(app: App, id: string): { count(): number; restore(): void } {
  const pool = app.pg;
  const original = pool.query;
  let n = 0;
  pool.query = function (this: typeof pool, ...args: unknown[]) {
    const [first, second] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof first === 'string' ? first : first.text;
    const values = (typeof first === 'string' ? second : (first.values ?? second)) as unknown;
    if (/^\s*select\b/i.test(text) && /"products"/.test(text) && Array.isArray(values)) {
      if (values.includes(id)) n++;
    }
    return (original as (...x: unknown[]) => unknown).apply(this, args);
  } as typeof pool.query;
  return {
    count: () => n,
    restore: () => {
      pool.query = original;
    },
  };
}

describe('invalidation across instances', () => {
  it('a PATCH through A is served by B as soon as it returns', async () => {
    const id = await seedProduct();
    // Warm both local tiers (and Redis).
    expect((await get(a.app, id)).json().name).toBe('Cached item');
    expect((await get(b, id)).json().name).toBe('Cached item');
    // Behind the cache's back: B now answers from its local tier, not the database.
    await a.app.pg.query("UPDATE catalog.products SET name = 'Sneaky' WHERE id = $1", [id]);
    expect((await get(b, id)).json().name).toBe('Cached item');

    const res = await a.app.inject({
      method: 'PATCH',
      url: `/v1/products/${id}`,
      headers: writer,
      payload: { name: 'Renamed', priceMinor: 2500 },
    });
    expect(res.statusCode, res.body).toBe(200);

    const onB = await get(b, id);
    expect(onB.statusCode).toBe(200);
    expect(onB.json()).toMatchObject({ name: 'Renamed', priceMinor: 2500 });
    expect((await get(a.app, id)).json()).toMatchObject({ name: 'Renamed', priceMinor: 2500 });
  });

  it('a DELETE through A makes B answer 404 at once, and the 404 is cached too', async () => {
    const id = await seedProduct();
    expect((await get(a.app, id)).statusCode).toBe(200);
    expect((await get(b, id)).statusCode).toBe(200);

    const del = await a.app.inject({
      method: 'DELETE',
      url: `/v1/products/${id}`,
      headers: writer,
    });
    expect(del.statusCode).toBe(204);
    expect((await get(b, id)).statusCode).toBe(404);
    expect((await get(a.app, id)).statusCode).toBe(404);

    // The negative result is cached: asking again does not reach the database.
    const reads = countProductReads(b, id);
    try {
      expect((await get(b, id)).statusCode).toBe(404);
      expect(reads.count()).toBe(0);
    } finally {
      reads.restore();
    }
  });

  it('a created product is readable on both at once (creation invalidates its id too)', async () => {
    const res = await a.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: writer,
      payload: {
        sku: `CACHE-NEW-${process.pid}`,
        name: 'Fresh',
        priceMinor: 100,
        currency: 'EUR',
        categoryId,
        status: 'active',
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    const { id } = res.json();
    expect((await get(b, id)).json()).toEqual(res.json());
    expect((await get(a.app, id)).json()).toEqual(res.json());
  });

  it('caches a draft once, and still shows it only to catalog:write', async () => {
    const id = await seedProduct('draft');
    expect((await get(a.app, id, writer)).statusCode).toBe(200);
    // The same cached record, a different caller: the visibility rule runs after the cache.
    const anonymous = await get(a.app, id);
    expect(anonymous.statusCode).toBe(404);
    expect((await get(b, id)).statusCode).toBe(404);
    expect((await get(b, id, writer)).json().status).toBe('draft');

    // Publishing is a write: visible to everyone on both instances right away.
    const res = await a.app.inject({
      method: 'PATCH',
      url: `/v1/products/${id}`,
      headers: writer,
      payload: { status: 'active' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect((await get(b, id)).statusCode).toBe(200);
    expect((await get(a.app, id)).statusCode).toBe(200);
  });

  it('answers exactly as without the cache (cold, from Redis, from the local tier)', async () => {
    const id = await seedProduct();
    const cold = await get(a.app, id);
    const fromRedis = await get(b, id);
    const fromLocal = await get(b, id);
    expect(cold.statusCode).toBe(200);
    expect(fromRedis.body).toBe(cold.body);
    expect(fromLocal.body).toBe(cold.body);
    expect(cold.json().createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('stampede', () => {
  it('100 concurrent GETs of a cold key on one instance read the database once', async () => {
    const id = await seedProduct();
    const reads = countProductReads(a.app, id);
    try {
      const responses = await Promise.all(Array.from({ length: 100 }, () => get(a.app, id)));
      expect(responses.every((r) => r.statusCode === 200)).toBe(true);
      expect(reads.count()).toBe(1);
    } finally {
      reads.restore();
    }
  });

  it('100 concurrent GETs split across both instances read it at most once per instance', async () => {
    const id = await seedProduct();
    const onA = countProductReads(a.app, id);
    const onB = countProductReads(b, id);
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) => get(i % 2 ? b : a.app, id)),
      );
      expect(responses.every((r) => r.statusCode === 200)).toBe(true);
      // Guaranteed: single-flight allows one load per instance. The Redis rebuild lock
      // usually makes it one in all (when the load finishes within lockWaitMs, 500 ms), but
      // that depends on timing, so the test holds the cache only to its guarantee.
      expect(onA.count()).toBeLessThanOrEqual(1);
      expect(onB.count()).toBeLessThanOrEqual(1);
      expect(onA.count() + onB.count()).toBeGreaterThanOrEqual(1);
    } finally {
      onA.restore();
      onB.restore();
    }
  });
});

describe('metrics', () => {
  it('/metrics counts catalog:product lookups per tier', async () => {
    const id = await seedProduct();
    await get(a.app, id); // local miss, redis miss
    await get(a.app, id); // local hit
    const res = await a.app.inject({ method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /cache_requests_total\{[^}]*cache="catalog:product"[^}]*tier="local"[^}]*result="hit"[^}]*\} [1-9]/,
    );
    expect(res.body).toMatch(
      /cache_requests_total\{[^}]*cache="catalog:product"[^}]*tier="redis"[^}]*result="miss"[^}]*\} [1-9]/,
    );
    expect(res.body).toMatch(/cache_load_duration_seconds_count\{[^}]*cache="catalog:product"/);
  });
});

describe('Redis unreachable', () => {
  it('GET still answers from the database, and writes still succeed', async () => {
    const url = new URL(a.config.REDIS_URL);
    const proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    // A third instance whose Redis connections all go through a proxy we can cut.
    const c = await buildApp({
      ...a.config,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      PRODUCT_CACHE_LOCAL_TTL_MS: 0,
    });
    try {
      await c.ready();
      const id = await seedProduct();
      await proxy.cut();
      const res = await get(c, id);
      expect(res.statusCode, res.body).toBe(200);
      expect(res.json().id).toBe(id);
      const patched = await c.inject({
        method: 'PATCH',
        url: `/v1/products/${id}`,
        headers: writer,
        payload: { name: 'Offline edit' },
      });
      expect(patched.statusCode, patched.body).toBe(200);
      expect((await get(c, id)).json().name).toBe('Offline edit');
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});
