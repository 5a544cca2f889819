// GET /v1/search/products and /v1/search/suggest over HTTP, against a small hand-written
// catalog loaded with SQL: relevance, web-search syntax, visibility, hostile input, cursors
// and autocomplete. Query plans: search.explain.test.ts.
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
let issuer: TestIssuer;
let reader: { authorization: string };

const PROBLEM = 'application/problem+json; charset=utf-8';
const WIDGETS = 40;

// [name, description, status, deleted]
const CATALOG: Array<[string, string | null, string, boolean]> = [
  ['Aero 13 Laptop', 'Thin and light, with an all-day battery.', 'active', false],
  ['Gaming Laptop Pro', 'RGB keyboard and a fast graphics card.', 'active', false],
  ['Canvas Sleeve 13', 'A padded sleeve that fits a 13-inch laptop.', 'active', false],
  ['Espresso Machine Barista', 'Pump espresso machine with a steam milk frother.', 'active', false],
  ['Manual Espresso Grinder', 'Hand grinder for espresso beans.', 'active', false],
  ['Drip Coffee Maker', 'Brews ten cups of filter coffee.', 'active', false],
  ['Professional Blender', 'Crushes ice in seconds.', 'active', false],
  ['%% Off Sticker', null, 'active', false],
  ['__init__ Mug', null, 'active', false],
  ['C:\\ Drive Poster', null, 'active', false],
  ['Draft Laptop Prototype', 'Not released yet.', 'draft', false],
  ['Archived Laptop Classic', 'No longer sold.', 'archived', false],
  ['Deleted Laptop Recall', 'Withdrawn.', 'active', true],
];

beforeAll(async () => {
  issuer = await createTestIssuer();
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    // The page walks below send a few hundred requests from one address within a minute.
    env: { ...issuer.env, RATE_LIMIT_MAX: '100000' },
  });
  reader = {
    authorization: `Bearer ${await issuer.sign({ sub: 'user-1', roles: [], permissions: [] })}`,
  };
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('all', 'All') RETURNING id",
  );
  const categoryId = rows[0]?.id as string;
  for (const [i, [name, description, status, deleted]] of CATALOG.entries()) {
    await t.app.pg.query(
      `INSERT INTO catalog.products
         (sku, name, description, price_minor, currency, category_id, status, deleted_at)
       VALUES ($1, $2, $3, $4, 'EUR', $5, $6, $7)`,
      [`SRCH-${i}`, name, description, 1000 + i, categoryId, status, deleted ? new Date() : null],
    );
  }
  // Widgets for the page walks: "widget" in the name of some, in the description once or
  // twice of others, so ranks differ and many rows tie on rank (the id decides).
  await t.app.pg.query(
    `INSERT INTO catalog.products (sku, name, description, price_minor, currency, category_id, status)
     SELECT 'WDG-' || g,
            CASE WHEN g % 4 = 0 THEN 'Steel widget ' || g ELSE 'Steel part ' || g END,
            CASE g % 3 WHEN 0 THEN 'A widget holder and a widget clip.'
                       WHEN 1 THEN 'Fits any widget.' ELSE 'Sturdy.' END,
            500, 'EUR', $1, 'active'
       FROM generate_series(1, $2::int) g`,
    [categoryId, WIDGETS],
  );
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

interface Hit {
  id: string;
  sku: string;
  name: string;
  priceMinor: number;
  currency: string;
  rank: number;
  headline: string;
}
interface Page {
  items: Hit[];
  nextCursor: string | null;
}

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

async function search(q: string, extra = ''): Promise<Page> {
  const res = await get(`/v1/search/products?q=${encodeURIComponent(q)}${extra}`);
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}
const names = (page: { items: Array<{ name: string }> }) => page.items.map((i) => i.name);

async function suggest(prefix: string, extra = ''): Promise<string[]> {
  const res = await get(`/v1/search/suggest?prefix=${encodeURIComponent(prefix)}${extra}`);
  expect(res.statusCode, res.body).toBe(200);
  return names(res.json());
}

function expectProblem(res: Awaited<ReturnType<typeof get>>, status: number, code?: string) {
  expect(res.statusCode, res.body).toBe(status);
  expect(res.headers['content-type']).toBe(PROBLEM);
  if (code) expect(res.json().code).toBe(code);
}

describe('GET /v1/search/products: relevance', () => {
  it('a name match outranks a description-only match', async () => {
    const page = await search('laptop');
    expect(names(page).slice(0, 2).sort()).toEqual(['Aero 13 Laptop', 'Gaming Laptop Pro']);
    expect(names(page)[2]).toBe('Canvas Sleeve 13');
    expect(page.items[0]?.rank).toBeGreaterThan(page.items[2]?.rank as number);
    expect(page.nextCursor).toBeNull();
  });

  it('returns the product fields, a numeric rank and a plain-text headline', async () => {
    const [hit] = (await search('frother')).items;
    expect(hit).toEqual({
      id: expect.any(String),
      sku: 'SRCH-3',
      name: 'Espresso Machine Barista',
      priceMinor: 1003,
      currency: 'EUR',
      rank: expect.any(Number),
      headline: expect.stringContaining('**frother**'),
    });
    expect(hit?.rank).toBeGreaterThan(0);
  });

  it('never returns drafts, archived or deleted products, even to a signed-in caller', async () => {
    const res = await get('/v1/search/products?q=laptop', reader);
    expect(res.statusCode, res.body).toBe(200);
    expect(names(res.json())).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/Draft|Archived|Deleted/)]),
    );
    expect((await search('prototype')).items).toEqual([]);
    expect((await search('classic')).items).toEqual([]);
    expect((await search('recall')).items).toEqual([]);
  });
});

describe('GET /v1/search/products: web-search syntax', () => {
  it('a quoted phrase matches the words next to each other only', async () => {
    expect(names(await search('"espresso machine"'))).toEqual(['Espresso Machine Barista']);
    expect(names(await search('espresso')).sort()).toEqual([
      'Espresso Machine Barista',
      'Manual Espresso Grinder',
    ]);
  });

  it('-word excludes, `or` widens', async () => {
    expect(names(await search('espresso -grinder'))).toEqual(['Espresso Machine Barista']);
    expect(names(await search('coffee or grinder')).sort()).toEqual([
      'Drip Coffee Maker',
      'Manual Espresso Grinder',
    ]);
  });

  it('stems: "brewing" finds "Brews"', async () => {
    expect(names(await search('brewing'))).toEqual(['Drip Coffee Maker']);
  });

  it('stop words, punctuation or only exclusions give an empty page, not an error', async () => {
    for (const q of ['the and of', '!!! ???', '   ', '""', '-laptop', 'or']) {
      expect(await search(q), q).toEqual({ items: [], nextCursor: null });
    }
  });

  it('operators in q are text, not SQL or tsquery syntax', async () => {
    for (const q of ["laptop' OR 1=1 --", 'laptop & | ! ( ) : *', 'laptop\\']) {
      const page = await search(q);
      expect(page.items.length, q).toBeLessThanOrEqual(3);
    }
  });
});

describe('GET /v1/search/products: validation', () => {
  it('refuses a missing, empty, too long or NUL-carrying q', async () => {
    expectProblem(await get('/v1/search/products'), 400);
    expectProblem(await get('/v1/search/products?q='), 400);
    expectProblem(await get(`/v1/search/products?q=${'a'.repeat(201)}`), 400);
    expectProblem(await get('/v1/search/products?q=lap%00top'), 400);
    // 200 characters is still fine.
    expect((await get(`/v1/search/products?q=${'a'.repeat(200)}`)).statusCode).toBe(200);
  });

  it('refuses a limit outside 1–50 and unknown parameters', async () => {
    expectProblem(await get('/v1/search/products?q=laptop&limit=0'), 400);
    expectProblem(await get('/v1/search/products?q=laptop&limit=51'), 400);
    expectProblem(await get('/v1/search/products?q=laptop&sort=price'), 400);
  });

  it('refuses an invalid bearer token even though the route is public', async () => {
    expectProblem(
      await get('/v1/search/products?q=laptop', { authorization: 'Bearer not-a-jwt' }),
      401,
    );
  });
});

describe('GET /v1/search/products: cursors', () => {
  /** Every page of q at this size, checking each cursor is used exactly once. */
  async function walk(q: string, limit: number): Promise<Hit[]> {
    const seen: Hit[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 100; pages++) {
      const extra: string = `&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const page = await search(q, extra);
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items);
      cursor = page.nextCursor;
      if (!cursor) return seen;
    }
    throw new Error('the walk did not end');
  }

  it('walks every match once, in the order of a plain ORDER BY, at any page size', async () => {
    const { rows } = await t.app.pg.query<{ id: string }>(
      `SELECT id FROM catalog.products, websearch_to_tsquery('english', 'widget') q
        WHERE search @@ q AND deleted_at IS NULL AND status = 'active'
        ORDER BY ts_rank_cd(search, q) DESC, id ASC`,
    );
    const expected = rows.map((r) => r.id);
    expect(expected.length).toBeGreaterThan(20);
    for (const limit of [1, 7, 50]) {
      const ids = (await walk('widget', limit)).map((h) => h.id);
      expect(new Set(ids).size, `limit ${limit}`).toBe(ids.length);
      expect(ids, `limit ${limit}`).toEqual(expected);
    }
  });

  it('the last page has no cursor', async () => {
    const page = await search('widget', '&limit=50');
    expect(page.nextCursor).toBeNull();
  });

  it('refuses a garbled, tampered or foreign cursor with invalid-cursor', async () => {
    const first = await search('widget', '&limit=2');
    const cursor = first.nextCursor as string;
    const decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      'not-a-cursor',
      `${cursor}A`,
      enc({ ...decoded, x: 1 }),
      enc({ ...decoded, r: 'NaN' }),
      enc({ ...decoded, r: '1e+99' }),
      enc({ ...decoded, r: 0.5 }),
      enc({ ...decoded, id: 'nope' }),
    ]) {
      expectProblem(
        await get(`/v1/search/products?q=widget&cursor=${encodeURIComponent(bad)}`),
        400,
        'invalid-cursor',
      );
    }
    const foreign = await get(`/v1/search/products?q=espresso&cursor=${cursor}`);
    expectProblem(foreign, 400, 'invalid-cursor');
    expect(foreign.json().detail).toMatch(/another query/);
  });
});

describe('GET /v1/search/suggest', () => {
  it('tolerates a typo: "lapotp" suggests the laptops, and only live active ones', async () => {
    const got = await suggest('lapotp');
    expect(got).toEqual(expect.arrayContaining(['Aero 13 Laptop', 'Gaming Laptop Pro']));
    expect(got).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/Draft|Archived|Deleted/)]),
    );
  });

  it('puts names that start with the prefix first, before closer fuzzy matches', async () => {
    // "Gaming Laptop Pro" has the word "pro" exactly (similarity 1); the name that starts
    // with "pro" still comes first.
    const got = await suggest('pro');
    expect(got[0]).toBe('Professional Blender');
    expect(got).toContain('Gaming Laptop Pro');
  });

  it('is case-insensitive and returns id and name only', async () => {
    const res = await get('/v1/search/suggest?prefix=ESPRESSO');
    expect(res.statusCode, res.body).toBe(200);
    const body = res.json();
    expect(body.items[0]).toEqual({ id: expect.any(String), name: 'Espresso Machine Barista' });
    expect(names(body)).toContain('Manual Espresso Grinder');
  });

  it('matches %, _ and \\ literally, not as LIKE wildcards', async () => {
    expect(await suggest('%%')).toEqual(['%% Off Sticker']);
    expect(await suggest('__')).toEqual(['__init__ Mug']);
    expect((await suggest('c:\\'))[0]).toBe('C:\\ Drive Poster');
  });

  it('caps the list at limit', async () => {
    expect((await suggest('steel')).length).toBe(10);
    expect((await suggest('steel', '&limit=3')).length).toBe(3);
  });

  it('refuses a prefix under 2 or over 100 characters, a limit over 10, unknown parameters', async () => {
    expectProblem(await get('/v1/search/suggest'), 400);
    expectProblem(await get('/v1/search/suggest?prefix=l'), 400);
    expectProblem(await get(`/v1/search/suggest?prefix=${'a'.repeat(101)}`), 400);
    expectProblem(await get('/v1/search/suggest?prefix=lap&limit=11'), 400);
    expectProblem(await get('/v1/search/suggest?prefix=lap&q=x'), 400);
    expectProblem(await get('/v1/search/suggest?prefix=la%00p'), 400);
  });

  it("leaves the pooled connections with pg_trgm's default threshold", async () => {
    await suggest('lapotp');
    const { rows } = await t.app.pg.query<{ v: string | null }>(
      "SELECT current_setting('pg_trgm.word_similarity_threshold', true) AS v",
    );
    expect(rows[0]?.v === null || rows[0]?.v === '0.6').toBe(true);
  });
});
