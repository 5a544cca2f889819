// Popular searches over HTTP, against real Postgres and Redis: what GET /v1/search/products
// counts (normalized first pages that found something) and GET /v1/search/popular (threshold,
// days window, limit, tie order, validation, HTTP caching), and both with Redis cut. The day
// keys are read and written directly to check the format and TTL and to plant older days.
import { createTcpProxy, type TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';
import { createCatalogDb } from '../src/db/client.ts';
import {
  DAY_KEY_TTL_SEC,
  MIN_POPULAR_COUNT,
  normalizeQuery,
  popularSearches,
} from '../src/modules/search/search.popular.ts';
import { searchService } from '../src/modules/search/search.service.ts';
import { type CatalogTestApp, createCatalogApp } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let config: Config;

const PROBLEM = 'application/problem+json; charset=utf-8';
const DAY_MS = 24 * 60 * 60 * 1000;

beforeAll(async () => {
  // Dozens of searches from one address within a minute.
  ({ t, issuer } = await createCatalogApp({ RATE_LIMIT_MAX: '100000' }));
  config = t.config as Config;
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('popular', 'Popular') RETURNING id",
  );
  const categoryId = rows[0]?.id as string;
  const names = ['Aero 13 Laptop', 'Espresso Machine', 'Drip Coffee Maker', 'Hand Grinder'];
  for (const [i, name] of names.entries()) {
    await t.app.pg.query(
      `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status)
       VALUES ($1, $2, 1000, 'EUR', $3, 'active')`,
      [`POP-${i}`, name, categoryId],
    );
  }
  // Enough widgets for a second page.
  await t.app.pg.query(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status)
     SELECT 'POPW-' || g, 'Steel widget ' || g, 500, 'EUR', $1, 'active'
       FROM generate_series(1, 5) g`,
    [categoryId],
  );
});
afterAll(async () => {
  if (t) {
    await deleteKeys(`${config.REDIS_PREFIX}*`);
    await t.close();
  }
  await issuer?.close();
});

// --- helpers --------------------------------------------------------------------------------

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

/** The day key of the UTC day `daysAgo` days before now, spelled out as documented. */
const dayKey = (daysAgo = 0) =>
  `${config.REDIS_PREFIX}catalog:search:popular:${new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10)}`;

async function deleteKeys(pattern: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await t.app.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    if (keys.length > 0) await t.app.redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
}

async function search(q: string, extra = '') {
  const res = await get(`/v1/search/products?q=${encodeURIComponent(q)}${extra}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: unknown[]; nextCursor: string | null };
}

async function searchTimes(q: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await search(q);
}

const countOf = async (q: string, daysAgo = 0) => {
  const score = await t.app.redis.zscore(dayKey(daysAgo), q);
  return score === null ? null : Number(score);
};

let markers = 0;
/**
 * Recording is fire-and-forget, so a search's count may land just after its response. Waits
 * until a fresh marker search is counted: the writes go out on one connection in order, so
 * everything searched before the marker has been counted (or dropped) by then.
 */
async function settled(): Promise<void> {
  // `or`: the laptop matches, so the marker is counted; each marker is a new query.
  const marker = `laptop or marker${++markers}`;
  await search(marker);
  await vi.waitFor(async () => expect(await countOf(marker)).toBe(1));
}

async function popular(query = '') {
  const res = await get(`/v1/search/popular${query}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json() as { items: Array<{ q: string; count: number }> };
}

function expectProblem(res: Awaited<ReturnType<typeof get>>, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM);
  if (code) expect(res.json().code).toBe(code);
}

// --- recording ------------------------------------------------------------------------------

describe('normalizeQuery', () => {
  it('lower-cases, composes, collapses whitespace and trims; refuses over 64 characters', () => {
    expect(normalizeQuery('  Espresso \t\n  MACHINE ')).toBe('espresso machine');
    expect(normalizeQuery('cafe\u0301')).toBe('caf\u00e9');
    expect(normalizeQuery('a\u00a0b')).toBe('a b');
    expect(normalizeQuery('   ')).toBeNull();
    expect(normalizeQuery('x'.repeat(64))).toBe('x'.repeat(64));
    expect(normalizeQuery('x'.repeat(65))).toBeNull();
    // Characters are code points: 64 emoji (128 UTF-16 units) still fit.
    expect(normalizeQuery('☕'.repeat(64))).toBe('☕'.repeat(64));
  });
});

describe('GET /v1/search/products: counting', () => {
  it('counts each search that found products under its normalized form, in the day key', async () => {
    await search('Laptop');
    await search('  LAPTOP  ');
    await search('laptop');
    await search('Espresso \t MACHINE');
    await vi.waitFor(async () => expect(await countOf('laptop')).toBe(3));
    expect(await countOf('espresso machine')).toBe(1);
    expect(await t.app.redis.zscore(dayKey(), 'Laptop')).toBeNull();
  });

  it('counts a GraphQL search the same way: one search service serves both', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      payload: { query: '{ search(q: "Machine  ESPRESSO", first: 1) { nodes { sku } } }' },
    });
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().data.search.nodes).toHaveLength(1);
    await settled();
    expect(await countOf('machine espresso')).toBe(1);
  });

  it('does not count a search that found nothing', async () => {
    expect((await search('zeppelin')).items).toEqual([]);
    expect((await search('the and of')).items).toEqual([]);
    await settled();
    expect(await countOf('zeppelin')).toBeNull();
    expect(await countOf('the and of')).toBeNull();
  });

  it('counts a paged search once: a request with a cursor continues it', async () => {
    const first = await search('widget', '&limit=2');
    expect(first.nextCursor).not.toBeNull();
    const second = await search('widget', `&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.length).toBe(2);
    await search('widget', `&limit=2&cursor=${second.nextCursor}`);
    await settled();
    expect(await countOf('widget')).toBe(1);
  });

  it('does not count a query over 64 characters once normalized', async () => {
    // `or` keeps these matching the laptop whatever the filler.
    const fits = `laptop or ${'x'.repeat(54)}`; // 64
    const tooLong = `laptop or ${'y'.repeat(55)}`; // 65
    const fitsOnceCollapsed = `laptop    or ${'z'.repeat(54)}`; // 67 as sent, 64 counted
    for (const q of [fits, tooLong, fitsOnceCollapsed]) {
      expect((await search(q)).items.length, q).toBeGreaterThan(0);
    }
    await settled();
    expect(await countOf(fits)).toBe(1);
    expect(await countOf(tooLong)).toBeNull();
    expect(await countOf(`laptop or ${'z'.repeat(54)}`)).toBe(1);
  });

  it('gives the day key a TTL of about 8 days', async () => {
    await settled();
    const ttl = await t.app.redis.ttl(dayKey());
    expect(ttl).toBeGreaterThan(DAY_KEY_TTL_SEC - 60);
    expect(ttl).toBeLessThanOrEqual(DAY_KEY_TTL_SEC);
    expect(DAY_KEY_TTL_SEC).toBe(8 * 24 * 60 * 60);
  });
});

describe('the day cap', () => {
  it('keeps at most maxPerDay queries, dropping the least counted', async () => {
    const prefix = `${config.REDIS_PREFIX}cap:`;
    const store = popularSearches({ redis: t.app.redis, prefix, maxPerDay: 3 });
    for (const [q, n] of [
      ['alpha', 3],
      ['bravo', 2],
      ['charlie', 2],
    ] as const) {
      for (let i = 0; i < n; i++) await store.record(q);
    }
    await store.record('delta');
    const key = store.dayKey(new Date().toISOString().slice(0, 10));
    expect(await t.app.redis.zrange(key, 0, '-1', 'WITHSCORES')).toEqual([
      'bravo',
      '2',
      'charlie',
      '2',
      'alpha',
      '3',
    ]);
  });
});

// --- reading --------------------------------------------------------------------------------

describe('GET /v1/search/popular', () => {
  beforeEach(async () => {
    // Counts from earlier tests would mix into the lists below; wait for any still in flight.
    await settled();
    await deleteKeys(`${config.REDIS_PREFIX}catalog:search:popular:*`);
  });

  it(`lists only queries counted ${MIN_POPULAR_COUNT} times or more`, async () => {
    expect(MIN_POPULAR_COUNT).toBe(3);
    await searchTimes('laptop', 3);
    await searchTimes('Espresso', 2);
    await vi.waitFor(async () => expect(await countOf('espresso')).toBe(2));
    expect(await popular()).toEqual({ items: [{ q: 'laptop', count: 3 }] });
    await search('espresso');
    await vi.waitFor(async () => expect(await countOf('espresso')).toBe(3));
    expect((await popular()).items).toEqual([
      { q: 'espresso', count: 3 },
      { q: 'laptop', count: 3 },
    ]);
  });

  it('is an empty list when nothing was searched', async () => {
    expect(await popular()).toEqual({ items: [] });
  });

  it('sums the last `days` UTC days, today included, and leaves older days out', async () => {
    await searchTimes('laptop', 3);
    await vi.waitFor(async () => expect(await countOf('laptop')).toBe(3));
    // Three days ago, written directly: counted from days=4 on.
    await t.app.redis.zadd(dayKey(3), 4, 'laptop', 5, 'grinder');
    // Eight days ago (its key would have expired by now): never in the window.
    await t.app.redis.zadd(dayKey(7), 50, 'coffee');

    expect((await popular('?days=7')).items).toEqual([
      { q: 'laptop', count: 7 },
      { q: 'grinder', count: 5 },
    ]);
    expect((await popular()).items).toEqual((await popular('?days=7')).items);
    expect((await popular('?days=4')).items).toEqual([
      { q: 'laptop', count: 7 },
      { q: 'grinder', count: 5 },
    ]);
    expect((await popular('?days=3')).items).toEqual([{ q: 'laptop', count: 3 }]);
    expect((await popular('?days=1')).items).toEqual([{ q: 'laptop', count: 3 }]);
  });

  it('a count split across days reaches the threshold in the sum', async () => {
    await t.app.redis.zadd(dayKey(0), 1, 'grinder');
    await t.app.redis.zadd(dayKey(1), 1, 'grinder');
    await t.app.redis.zadd(dayKey(2), 1, 'grinder');
    expect((await popular('?days=2')).items).toEqual([]);
    expect((await popular('?days=3')).items).toEqual([{ q: 'grinder', count: 3 }]);
  });

  it('orders by count, ties by q in byte order, and stops at limit', async () => {
    await t.app.redis.zadd(
      dayKey(0),
      ...['5', 'mocha', '4', 'zeta', '4', 'étagère', '2', 'beta', '2', 'tea', '9', 'alpha'],
    );
    // 'beta' reaches 4 only with yesterday's count; 'tea' (2) stays under the threshold.
    await t.app.redis.zadd(dayKey(1), 2, 'beta');
    const all = [
      { q: 'alpha', count: 9 },
      { q: 'mocha', count: 5 },
      { q: 'beta', count: 4 },
      { q: 'zeta', count: 4 },
      // UTF-8 bytes, not a locale: 'é' (0xC3 0xA9) sorts after 'z'.
      { q: 'étagère', count: 4 },
    ];
    expect((await popular()).items).toEqual(all);
    expect((await popular('?limit=3')).items).toEqual(all.slice(0, 3));
    expect((await popular('?limit=1')).items).toEqual(all.slice(0, 1));
  });

  it('returns at most 20 and 10 by default', async () => {
    const members = Array.from({ length: 25 }, (_, i) => [
      String(100 - i),
      `q${String(i).padStart(2, '0')}`,
    ]).flat();
    await t.app.redis.zadd(dayKey(0), ...members);
    const byDefault = (await popular()).items;
    expect(byDefault.length).toBe(10);
    expect(byDefault[0]).toEqual({ q: 'q00', count: 100 });
    expect((await popular('?limit=20')).items.length).toBe(20);
  });

  it('leaves no scratch key behind', async () => {
    await t.app.redis.zadd(dayKey(0), 3, 'laptop');
    await popular();
    expect(await t.app.redis.exists(`${config.REDIS_PREFIX}catalog:search:popular:union`)).toBe(0);
  });

  it('is publicly cacheable: Cache-Control, a strong ETag, 304 on If-None-Match', async () => {
    await t.app.redis.zadd(dayKey(0), 3, 'laptop');
    const res = await get('/v1/search/popular');
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300');
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[\w-]+"$/);
    const again = await get('/v1/search/popular', { 'if-none-match': etag });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
  });

  it('refuses days outside 1–7, limit outside 1–20, non-integers and unknown parameters', async () => {
    for (const query of [
      '?days=0',
      '?days=8',
      '?days=1.5',
      '?days=week',
      '?limit=0',
      '?limit=21',
      '?limit=-1',
      '?q=laptop',
    ]) {
      const res = await get(`/v1/search/popular${query}`);
      expectProblem(res, 400, 'validation-failed');
      expect(res.json().errors[0].in, query).toBe('querystring');
    }
  });

  it('refuses an invalid bearer token even though the route is public', async () => {
    expectProblem(await get('/v1/search/popular', { authorization: 'Bearer not-a-jwt' }), 401);
  });
});

// --- Redis unreachable ----------------------------------------------------------------------

describe('Redis unreachable', () => {
  it('search still answers 200; popular answers 503 popular-searches-unavailable', async () => {
    const url = new URL(config.REDIS_URL);
    const proxy = await createTcpProxy({ host: url.hostname, port: Number(url.port || 6379) });
    // A second instance whose Redis connections all go through a proxy we can cut.
    const c = await buildApp({
      ...config,
      REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
      OUTBOX_RELAY_INTERVAL_MS: 0,
      RESERVATION_EXPIRY_INTERVAL_MS: 0,
    });
    try {
      await c.ready();
      await proxy.cut();

      const found = await c.inject({ method: 'GET', url: '/v1/search/products?q=laptop' });
      expect(found.statusCode, found.body).toBe(200);
      expect(found.json().items.length).toBeGreaterThan(0);

      const res = await c.inject({ method: 'GET', url: '/v1/search/popular' });
      expectProblem(res, 503, 'popular-searches-unavailable');
      expect(res.headers['retry-after']).toBe('5');
      expect(res.headers['cache-control']).toBeUndefined();
      expect(res.json().detail).toMatch(/retry shortly/);

      // The failed write is reported at warn, and never reaches the caller.
      const warn = vi.fn();
      const service = searchService(createCatalogDb(t.app.pg), {
        redis: c.redis,
        prefix: config.REDIS_PREFIX,
        log: { warn },
      });
      const page = await service.search({ q: 'laptop', limit: 5 });
      expect(page.items.length).toBeGreaterThan(0);
      await vi.waitFor(() =>
        expect(warn).toHaveBeenCalledWith(
          { err: expect.any(Error) },
          'popular search not recorded',
        ),
      );
    } finally {
      await c.close();
      await proxy.close();
    }
  });
});
