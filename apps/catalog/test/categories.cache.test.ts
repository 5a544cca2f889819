// The category reads (GET /v1/categories, GET /v2/categories, the breadcrumb) through the
// two-tier cache, with two app instances on one cloned database and one Redis prefix, as two
// replicas would run: a category write through one is visible on the other as soon as it
// returns, cold reads cost one database read, the cache shows on /metrics, and the reads
// carry HTTP caching headers. Routes' own behaviour: categories.test.ts, categories.write.test.ts.
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

let replicas: CatalogReplicas | undefined;

beforeAll(async () => {
  replicas = await createCatalogReplicas({
    // A local tier long enough that only an invalidation, never expiry, can explain a fresh
    // read on the other instance.
    // The stampedes alone send 300 anonymous reads from one address: above the default limit.
    CATEGORY_CACHE_LOCAL_TTL_MS: '60000',
    RATE_LIMIT_MAX: '10000',
  });
  ({ a, b, issuer } = replicas);
  writer = await staffHeaders(issuer);
});
afterAll(() => replicas?.close());

let seq = 0;
async function create(app: App, name: string, parentId: string | null = null): Promise<string> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/categories',
    headers: writer,
    payload: { name, slug: `c-${++seq}`, parentId },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id as string;
}

const list = async (app: App): Promise<{ id: string; name: string }[]> =>
  (await app.inject({ url: '/v1/categories' })).json().items;
const tree = async (app: App): Promise<string> =>
  (await app.inject({ url: '/v2/categories' })).body;
const one = (app: App, id: string) => app.inject({ url: `/v1/categories/${id}` });
const breadcrumb = (app: App, id: string) => app.inject({ url: `/v1/categories/${id}/breadcrumb` });
const names = async (app: App, id: string): Promise<string[]> =>
  (await breadcrumb(app, id)).json().items.map((c: { name: string }) => c.name);

/** Warms every category read on an instance (its local tier, and Redis). */
async function warm(app: App, id: string): Promise<void> {
  await list(app);
  await tree(app);
  await breadcrumb(app, id);
}

/**
 * Counts the category list and tree queries an app's pool runs. A pass-through spy on
 * pool.query (drizzle's node-postgres driver sends every statement through it): the real
 * database still answers, nothing is mocked; only calls are counted.
 */
function countCategoryReads(app: App): { list(): number; tree(): number; restore(): void } {
  const pool = app.pg;
  const original = pool.query;
  let lists = 0;
  let trees = 0;
  pool.query = function (this: typeof pool, ...args: unknown[]) {
    const first = args[0] as string | { text: string };
    const text = typeof first === 'string' ? first : first.text;
    if (/from "catalog"\."categories" order by/i.test(text)) lists++;
    if (/WITH RECURSIVE tree/.test(text)) trees++;
    return (original as (...x: unknown[]) => unknown).apply(this, args);
  } as typeof pool.query;
  return {
    list: () => lists,
    tree: () => trees,
    restore: () => {
      pool.query = original;
    },
  };
}

describe('invalidation across instances', () => {
  it('serves B from its cache until a write, then a PATCH through A shows on B at once', async () => {
    const root = await create(a.app, 'Outdoor');
    const leaf = await create(a.app, 'Tents', root);
    await warm(b, leaf);
    await warm(a.app, leaf);
    // Behind the cache's back: B still answers from its cache, not the database.
    await a.app.pg.query("UPDATE catalog.categories SET name = 'Sneaky' WHERE id = $1", [root]);
    expect(await names(b, leaf)).toEqual(['Outdoor', 'Tents']);
    expect(await tree(b)).not.toContain('Sneaky');
    expect((await one(b, root)).json().name).toBe('Outdoor');

    const res = await a.app.inject({
      method: 'PATCH',
      url: `/v1/categories/${root}`,
      headers: writer,
      payload: { name: 'Camping' },
    });
    expect(res.statusCode, res.body).toBe(200);

    // The breadcrumb of a category below the renamed one changed too.
    expect(await names(b, leaf)).toEqual(['Camping', 'Tents']);
    expect(await tree(b)).toContain('"name":"Camping"');
    expect((await list(b)).find((c) => c.id === root)?.name).toBe('Camping');
    expect((await one(b, root)).json().name).toBe('Camping');
    expect(await names(a.app, leaf)).toEqual(['Camping', 'Tents']);
  });

  it('a create through A is in B’s list, tree and breadcrumbs at once', async () => {
    const root = await create(a.app, 'Garden');
    await warm(b, root);
    const child = await create(a.app, 'Hoses', root);
    expect((await list(b)).map((c) => c.id)).toContain(child);
    expect(await tree(b)).toContain(child);
    expect(await names(b, child)).toEqual(['Garden', 'Hoses']);
  });

  it('a subtree moved through A is nested in its new place on B at once', async () => {
    const from = await create(a.app, 'Old home');
    const to = await create(a.app, 'New home');
    const mid = await create(a.app, 'Mover', from);
    const leaf = await create(a.app, 'Passenger', mid);
    await warm(a.app, leaf);
    expect(await names(a.app, leaf)).toEqual(['Old home', 'Mover', 'Passenger']);

    const res = await b.inject({
      method: 'PATCH',
      url: `/v1/categories/${mid}`,
      headers: writer,
      payload: { parentId: to },
    });
    expect(res.statusCode, res.body).toBe(200);
    // This time written through B and read on A: both directions are covered.
    expect(await names(a.app, leaf)).toEqual(['New home', 'Mover', 'Passenger']);
    const nodes = JSON.parse(await tree(a.app)).items as { id: string; children: unknown[] }[];
    expect(nodes.find((n) => n.id === from)?.children).toEqual([]);
    expect(JSON.stringify(nodes.find((n) => n.id === to))).toContain(leaf);
  });

  it('a DELETE through A removes it on B at once (list, tree, breadcrumb 404)', async () => {
    const gone = await create(a.app, 'Doomed');
    await warm(b, gone);
    expect((await breadcrumb(b, gone)).statusCode).toBe(200);
    const del = await a.app.inject({
      method: 'DELETE',
      url: `/v1/categories/${gone}`,
      headers: writer,
    });
    expect(del.statusCode).toBe(204);
    expect((await list(b)).map((c) => c.id)).not.toContain(gone);
    expect(await tree(b)).not.toContain(gone);
    expect((await breadcrumb(b, gone)).statusCode).toBe(404);
    expect((await one(b, gone)).statusCode).toBe(404);
  });

  it('a refused write leaves the cache alone (nothing changed, nothing to reload)', async () => {
    const id = await create(a.app, 'Stays');
    await warm(b, id);
    const reads = countCategoryReads(b);
    try {
      const res = await a.app.inject({
        method: 'PATCH',
        url: `/v1/categories/${id}`,
        headers: writer,
        payload: { parentId: id },
      });
      expect(res.statusCode).toBe(422);
      await warm(b, id);
      expect(reads.list() + reads.tree()).toBe(0);
    } finally {
      reads.restore();
    }
  });

  it('answers exactly as without the cache (cold, from Redis, from the local tier)', async () => {
    await create(a.app, 'Fresh write'); // clears both snapshots everywhere
    const cold = await a.app.inject({ url: '/v2/categories' });
    const fromRedis = await b.inject({ url: '/v2/categories' });
    const fromLocal = await b.inject({ url: '/v2/categories' });
    expect(cold.statusCode).toBe(200);
    expect(fromRedis.body).toBe(cold.body);
    expect(fromLocal.body).toBe(cold.body);
    const v1 = await a.app.inject({ url: '/v1/categories' });
    expect((await b.inject({ url: '/v1/categories' })).body).toBe(v1.body);
    expect(v1.json().items[0].createdAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('stampede', () => {
  it('100 concurrent cold reads of the tree on one instance run its query once', async () => {
    await create(a.app, 'Cold tree'); // invalidates: the next read is cold on every tier
    const reads = countCategoryReads(a.app);
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, () => a.app.inject({ url: '/v2/categories' })),
      );
      expect(responses.every((r) => r.statusCode === 200)).toBe(true);
      expect(new Set(responses.map((r) => r.body)).size).toBe(1);
      expect(reads.tree()).toBe(1);
    } finally {
      reads.restore();
    }
  });

  it('100 concurrent cold list and breadcrumb reads share one list query', async () => {
    const id = await create(a.app, 'Cold list');
    const reads = countCategoryReads(a.app);
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          a.app.inject({ url: i % 2 ? '/v1/categories' : `/v1/categories/${id}/breadcrumb` }),
        ),
      );
      expect(responses.every((r) => r.statusCode === 200)).toBe(true);
      expect(reads.list()).toBe(1);
    } finally {
      reads.restore();
    }
  });

  it('100 concurrent cold tree reads split across both instances: at most one per instance', async () => {
    await create(a.app, 'Cold both');
    const onA = countCategoryReads(a.app);
    const onB = countCategoryReads(b);
    try {
      const responses = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          (i % 2 ? b : a.app).inject({ url: '/v2/categories' }),
        ),
      );
      expect(responses.every((r) => r.statusCode === 200)).toBe(true);
      // Single-flight guarantees one per instance; the Redis rebuild lock usually makes it
      // one in all, but that depends on timing (see products.cache.test.ts).
      expect(onA.tree()).toBeLessThanOrEqual(1);
      expect(onB.tree()).toBeLessThanOrEqual(1);
      expect(onA.tree() + onB.tree()).toBeGreaterThanOrEqual(1);
    } finally {
      onA.restore();
      onB.restore();
    }
  });
});

describe('metrics', () => {
  it('/metrics counts catalog:category lookups per tier', async () => {
    await create(a.app, 'Metered');
    await a.app.inject({ url: '/v2/categories' }); // local miss, redis miss
    await a.app.inject({ url: '/v2/categories' }); // local hit
    const res = await a.app.inject({ url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /cache_requests_total\{[^}]*cache="catalog:category"[^}]*tier="local"[^}]*result="hit"[^}]*\} [1-9]/,
    );
    expect(res.body).toMatch(
      /cache_requests_total\{[^}]*cache="catalog:category"[^}]*tier="redis"[^}]*result="miss"[^}]*\} [1-9]/,
    );
    expect(res.body).toMatch(/cache_load_duration_seconds_count\{[^}]*cache="catalog:category"/);
  });
});

describe('HTTP caching on the public reads', () => {
  let id: string;
  beforeAll(async () => {
    id = await create(a.app, 'Etagged');
  });

  it.each(['/v2/categories', '/v1/categories', 'ONE', 'BREADCRUMB'])(
    '%s: strong ETag, public Cache-Control, 304 on If-None-Match',
    async (path) => {
      const url =
        path === 'ONE'
          ? `/v1/categories/${id}`
          : path === 'BREADCRUMB'
            ? `/v1/categories/${id}/breadcrumb`
            : path;
      const res = await a.app.inject({ url });
      expect(res.statusCode).toBe(200);
      expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
      expect(res.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300');
      // The other replica sends the same bytes, so the same ETag.
      expect((await b.inject({ url })).headers.etag).toBe(res.headers.etag);
      const again = await a.app.inject({
        url,
        headers: { 'if-none-match': res.headers.etag as string },
      });
      expect(again.statusCode).toBe(304);
      expect(again.body).toBe('');
    },
  );

  it('a write changes the tree’s ETag, on the other instance too', async () => {
    const before = (await b.inject({ url: '/v2/categories' })).headers.etag as string;
    await create(a.app, 'Etag changer');
    const after = await b.inject({ url: '/v2/categories', headers: { 'if-none-match': before } });
    expect(after.statusCode).toBe(200);
    expect(after.headers.etag).not.toBe(before);
  });

  it('the deprecated list keeps its deprecation headers on a 304', async () => {
    const first = await a.app.inject({ url: '/v1/categories' });
    const res = await a.app.inject({
      url: '/v1/categories',
      headers: { 'if-none-match': first.headers.etag as string },
    });
    expect(res.statusCode).toBe(304);
    expect(res.headers.deprecation).toMatch(/^@\d+$/);
  });

  it('a reader with a token gets private', async () => {
    const token = await issuer.sign({ sub: 'customer-1' });
    const res = await a.app.inject({
      url: '/v2/categories',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.headers['cache-control']).toBe('private, max-age=60, stale-while-revalidate=300');
  });
});

describe('Redis unreachable', () => {
  it('the reads still answer from the database, and writes still succeed', async () => {
    const url = new URL(a.config.REDIS_URL);
    const proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    // A third instance whose Redis connections all go through a proxy we can cut.
    const c = await buildApp({
      ...a.config,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      CATEGORY_CACHE_LOCAL_TTL_MS: 0,
    });
    try {
      await c.ready();
      await proxy.cut();
      const id = await create(c, 'Offline');
      expect((await breadcrumb(c, id)).statusCode).toBe(200);
      expect(await tree(c)).toContain(id);
      const renamed = await c.inject({
        method: 'PATCH',
        url: `/v1/categories/${id}`,
        headers: writer,
        payload: { name: 'Offline edit' },
      });
      expect(renamed.statusCode, renamed.body).toBe(200);
      expect(await names(c, id)).toEqual(['Offline edit']);
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});
