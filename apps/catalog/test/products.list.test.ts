// GET /v1/products: filters, sorts and keyset pagination, against a fixed set of products
// loaded once with SQL. Every walk through the pages is checked against a plain ORDER BY in
// SQL: no duplicates, no gaps, the same order.
import { createTestApp, type TestApp } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
const cat: Record<'computers' | 'laptops' | 'gaming' | 'kitchen', string> = {
  computers: '',
  laptops: '',
  gaming: '',
  kitchen: '',
};

const LISTED = 50;
const ORDER_BY = {
  newest: 'created_at DESC, id DESC',
  price_asc: 'price_minor ASC, id ASC',
  price_desc: 'price_minor DESC, id DESC',
} as const;
type Sort = keyof typeof ORDER_BY;
const SORTS = Object.keys(ORDER_BY) as Sort[];

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    // The page walks below send several hundred requests from one address within a minute.
    env: { RATE_LIMIT_MAX: '100000' },
  });
  // computers > laptops > gaming, and kitchen beside them.
  const add = async (slug: string, parentId: string | null) => {
    const { rows } = await t.app.pg.query<{ id: string }>(
      'INSERT INTO catalog.categories (slug, name, parent_id) VALUES ($1, $1, $2) RETURNING id',
      [slug, parentId],
    );
    return rows[0]?.id as string;
  };
  cat.computers = await add('computers', null);
  cat.laptops = await add('laptops', cat.computers);
  cat.gaming = await add('gaming', cat.laptops);
  cat.kitchen = await add('kitchen', null);

  // 1-50 are listed. 51-54 are drafts, 55-57 archived, 58-60 active but deleted: never listed.
  // Ten price levels (many ties); created_at in groups of four per millisecond, with
  // microsecond offsets, so some rows tie exactly and some differ below the millisecond.
  await t.app.pg.query(
    `INSERT INTO catalog.products
       (sku, name, price_minor, currency, category_id, status, attributes, created_at, deleted_at)
     SELECT 'LIST-' || g, 'Product ' || g, (g * 37 % 10) * 100, 'EUR',
            ($1::uuid[])[g % 4 + 1],
            CASE WHEN g BETWEEN 51 AND 54 THEN 'draft'
                 WHEN g BETWEEN 55 AND 57 THEN 'archived' ELSE 'active' END,
            jsonb_build_object('colour', (ARRAY['red', 'blue'])[g % 2 + 1],
                               'ram_gb', (ARRAY[8, 16, 32])[g % 3 + 1],
                               'touchscreen', g % 5 = 0),
            timestamptz '2026-01-01 00:00:00+00'
              + (g / 4) * interval '1 millisecond' + (g % 3) * interval '1 microsecond',
            CASE WHEN g > 57 THEN now() END
       FROM generate_series(1, 60) g`,
    [[cat.computers, cat.laptops, cat.gaming, cat.kitchen]],
  );
});
afterAll(() => t.close());

interface Item {
  id: string;
  categoryId: string;
  priceMinor: number;
  attributes: Record<string, unknown>;
}
interface Page {
  items: Item[];
  nextCursor: string | null;
}

const list = (query: string) => t.app.inject({ url: `/v1/products?${query}` });

/** Follows nextCursor from the first page to the last, checking each page's shape. */
async function walk(query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await list(`${query}&limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.statusCode, res.body).toBe(200);
    const page: Page = res.json();
    // A full page may still be the last; a short page must be.
    expect(page.items.length).toBeLessThanOrEqual(limit);
    if (page.nextCursor !== null) expect(page.items.length).toBe(limit);
    ids.push(...page.items.map((p) => p.id));
    cursor = page.nextCursor;
    pages += 1;
    expect(pages).toBeLessThan(200);
  } while (cursor !== null);
  return { ids, pages };
}

/** The same rows, in the same order, straight from SQL. */
async function expected(sort: Sort, where = 'TRUE', params: unknown[] = []): Promise<string[]> {
  const { rows } = await t.app.pg.query<{ id: string }>(
    `SELECT id FROM catalog.products
      WHERE deleted_at IS NULL AND status = 'active' AND ${where}
      ORDER BY ${ORDER_BY[sort]}`,
    params,
  );
  return rows.map((r) => r.id);
}

describe('GET /v1/products: keyset pagination', () => {
  const cases = SORTS.flatMap((sort) => [1, 7, 49, 50, 100].map((limit) => [sort, limit] as const));

  it.each(cases)('walks every listed product once, sorted %s, %i per page', async (sort, limit) => {
    const want = await expected(sort);
    expect(want).toHaveLength(LISTED);
    const { ids, pages } = await walk(`sort=${sort}`, limit);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(want);
    expect(pages).toBe(Math.max(1, Math.ceil(LISTED / limit)));
  });

  it('defaults to newest first, 20 per page', async () => {
    const res = await list('');
    expect(res.statusCode).toBe(200);
    const page: Page = res.json();
    expect(page.items.map((p) => p.id)).toEqual((await expected('newest')).slice(0, 20));
    expect(page.nextCursor).toEqual(expect.any(String));
  });

  it('ends with nextCursor null when the last page is exactly full', async () => {
    const res = await list(`limit=${LISTED}`);
    expect(res.json().items).toHaveLength(LISTED);
    expect(res.json().nextCursor).toBeNull();
  });

  it('lists no drafts, archived or deleted products', async () => {
    const { ids } = await walk('sort=newest', 100);
    const { rows } = await t.app.pg.query<{ id: string }>(
      "SELECT id FROM catalog.products WHERE status <> 'active' OR deleted_at IS NOT NULL",
    );
    expect(rows).toHaveLength(10);
    for (const { id } of rows) expect(ids).not.toContain(id);
  });

  it('keeps the filters across pages: a subtree and a price floor, walked 3 at a time', async () => {
    const want = await expected(
      'price_desc',
      'category_id = ANY($1::uuid[]) AND price_minor >= 300',
      [[cat.computers, cat.laptops, cat.gaming]],
    );
    const { ids } = await walk(`sort=price_desc&categoryId=${cat.computers}&minPrice=300`, 3);
    expect(ids).toEqual(want);
  });
});

describe('GET /v1/products: filters', () => {
  const categoriesOf = async (query: string) => {
    const res = await list(`${query}&limit=100`);
    expect(res.statusCode, res.body).toBe(200);
    return new Set(res.json().items.map((p: Item) => p.categoryId));
  };

  it('categoryId includes the whole subtree, grandchildren too, and nothing beside it', async () => {
    expect(await categoriesOf(`categoryId=${cat.computers}`)).toEqual(
      new Set([cat.computers, cat.laptops, cat.gaming]),
    );
    expect(await categoriesOf(`categoryId=${cat.laptops}`)).toEqual(
      new Set([cat.laptops, cat.gaming]),
    );
    expect(await categoriesOf(`categoryId=${cat.gaming}`)).toEqual(new Set([cat.gaming]));
    expect(await categoriesOf(`categoryId=${cat.kitchen}`)).toEqual(new Set([cat.kitchen]));
  });

  it('an unknown categoryId lists nothing', async () => {
    const res = await list('categoryId=00000000-0000-4000-8000-000000000000');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], nextCursor: null });
  });

  it('minPrice and maxPrice are inclusive bounds in minor units', async () => {
    const res = await list('minPrice=300&maxPrice=500&limit=100&sort=price_asc');
    const prices = res.json().items.map((p: Item) => p.priceMinor);
    expect(new Set(prices)).toEqual(new Set([300, 400, 500]));
    const want = await expected('price_asc', 'price_minor BETWEEN 300 AND 500');
    expect(prices).toHaveLength(want.length);
  });

  it('minPrice above maxPrice is a 400 naming minPrice', async () => {
    const res = await list('minPrice=500&maxPrice=300');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation-failed',
      errors: [{ in: 'querystring', pointer: '/minPrice' }],
    });
  });

  it.each([
    ['a string value', 'attr.colour=red', `attributes->>'colour' = 'red'`],
    ['a number stored as a number', 'attr.ram_gb=16', `attributes->'ram_gb' = '16'::jsonb`],
    [
      'a boolean stored as a boolean',
      'attr.touchscreen=true',
      `attributes->'touchscreen' = 'true'`,
    ],
    [
      'two attributes at once (both must match)',
      'attr.colour=blue&attr.ram_gb=32',
      `attributes @> '{"colour":"blue","ram_gb":32}'`,
    ],
  ])('attr.<key>=<value> matches %s', async (_case, query, where) => {
    const want = await expected('newest', where);
    expect(want.length).toBeGreaterThan(0);
    const res = await list(`${query}&limit=100`);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items.map((p: Item) => p.id)).toEqual(want);
  });

  it('an attribute value that matches nothing lists nothing', async () => {
    const res = await list('attr.colour=green');
    expect(res.json()).toEqual({ items: [], nextCursor: null });
  });

  it('refuses more than 5 attribute filters', async () => {
    const query = ['a', 'b', 'c', 'd', 'e', 'f'].map((k) => `attr.${k}=1`).join('&');
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'validation-failed',
      errors: [{ in: 'querystring', pointer: '/attr.f' }],
    });
  });
});

describe('GET /v1/products: inStock', () => {
  beforeAll(async () => {
    // A third with stock to spare, a third fully reserved (on hand, but none available), and
    // a third that never had a stock row.
    await t.app.pg.query(
      `INSERT INTO catalog.inventory (product_id, on_hand, reserved)
       SELECT id, CASE WHEN n % 3 = 0 THEN 5 ELSE 2 END, CASE WHEN n % 3 = 0 THEN 1 ELSE 2 END
         FROM (SELECT id, row_number() OVER (ORDER BY sku) AS n FROM catalog.products) p
        WHERE n % 3 <> 2`,
    );
  });
  afterAll(() => t.app.pg.query('DELETE FROM catalog.inventory'));

  const available = `EXISTS (SELECT 1 FROM catalog.inventory i
                              WHERE i.product_id = products.id AND i.on_hand > i.reserved)`;

  it.each([
    ['true', available],
    ['false', `NOT ${available}`],
  ])('inStock=%s lists exactly the products that can (not) be reserved now', async (v, where) => {
    const want = await expected('price_asc', where);
    expect(want.length).toBeGreaterThan(10);
    expect(want.length).toBeLessThan(LISTED);
    const { ids } = await walk(`sort=price_asc&inStock=${v}`, 7);
    expect(ids).toEqual(want);
  });

  it('combines with the other filters', async () => {
    const want = await expected('newest', `${available} AND price_minor >= 500`);
    expect(want.length).toBeGreaterThan(0);
    const { ids } = await walk('inStock=true&minPrice=500', 4);
    expect(ids).toEqual(want);
  });

  it('refuses a value that is not a boolean', async () => {
    const res = await list('inStock=maybe');
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed' });
  });
});

describe('GET /v1/products: query validation', () => {
  it.each([
    ['limit=0', '/limit'],
    ['limit=101', '/limit'],
    ['limit=ten', '/limit'],
    ['sort=cheapest', '/sort'],
    ['categoryId=7', '/categoryId'],
    ['categoryId=urn:uuid:00000000-0000-4000-8000-000000000000', '/categoryId'],
    ['minPrice=2147483648', '/minPrice'],
    ['minPrice=-1', '/minPrice'],
    ['maxPrice=1.5', '/maxPrice'],
    ['page=2', '/page'],
    ['attr.Colour=red', '/attr.Colour'],
    ['attr.colour=', '/attr.colour'],
    ['attr.colour=a%00', '/attr.colour'],
    ['attr.colour=red&attr.colour=blue', '/attr.colour'],
  ])('refuses ?%s with 400 naming %s', async (query, pointer) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors).toContainEqual(
      expect.objectContaining({ in: 'querystring', pointer }),
    );
  });
});

describe('GET /v1/products: documentation', () => {
  it('documents sort and limit as optional, with their defaults and bounds', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    const params: Array<{ name: string; required: boolean; schema: Record<string, unknown> }> =
      doc.paths['/v1/products'].get.parameters;
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    expect(byName.sort).toMatchObject({
      required: false,
      schema: { enum: ['newest', 'price_asc', 'price_desc'], default: 'newest' },
    });
    expect(byName.limit).toMatchObject({
      required: false,
      schema: { minimum: 1, maximum: 100, default: 20 },
    });
  });
});

describe('GET /v1/products: cursors', () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64url');
  const someId = '00000000-0000-4000-8000-000000000000';

  async function cursorFor(sort: Sort): Promise<string> {
    const res = await list(`sort=${sort}&limit=5`);
    return res.json().nextCursor;
  }

  it('a cursor from another sort order is a 400 invalid-cursor', async () => {
    const newest = await cursorFor('newest');
    const priceAsc = await cursorFor('price_asc');
    for (const [sort, cursor] of [
      ['price_asc', newest],
      ['newest', priceAsc],
      ['price_desc', priceAsc],
    ]) {
      const res = await list(`sort=${sort}&cursor=${cursor}`);
      expect(res.statusCode, `${sort}`).toBe(400);
      expect(res.json()).toMatchObject({
        type: 'urn:meridian:problem:invalid-cursor',
        code: 'invalid-cursor',
      });
    }
  });

  it.each([
    ['not base64url at all', () => 'not a cursor!'],
    ['base64url of something that is not JSON', () => b64('hello')],
    ['a JSON array', () => b64('[]')],
    ['JSON null', () => b64('null')],
    ['a missing id', () => b64(JSON.stringify({ s: 'price_asc', k: 100 }))],
    ['an id that is not a uuid', () => b64(JSON.stringify({ s: 'price_asc', k: 100, id: '1' }))],
    ['an extra key', () => b64(JSON.stringify({ s: 'price_asc', k: 100, id: someId, x: 1 }))],
    ['keys in another order', () => b64(JSON.stringify({ k: 100, s: 'price_asc', id: someId }))],
    ['a negative price', () => b64(JSON.stringify({ s: 'price_asc', k: -1, id: someId }))],
    ['a price as text', () => b64(JSON.stringify({ s: 'price_asc', k: '100', id: someId }))],
    ['a fractional price', () => b64(JSON.stringify({ s: 'price_asc', k: 1.5, id: someId }))],
    ['an unknown sort', () => b64(JSON.stringify({ s: 'cheapest', k: 1, id: someId }))],
    ['padding added', () => `${b64(JSON.stringify({ s: 'price_asc', k: 100, id: someId }))}==`],
  ])('a cursor with %s is a 400 invalid-cursor', async (_case, make) => {
    const res = await list(`sort=price_asc&cursor=${encodeURIComponent(make())}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid-cursor');
  });

  it.each([
    ['milliseconds only', '2026-01-01T00:00:00.001Z'],
    ['no time zone', '2026-01-01T00:00:00.000001'],
    ['an impossible date', '2026-13-45T00:00:00.000000Z'],
    ['a day the month lacks', '2026-02-30T00:00:00.000000Z'],
    ['year zero', '0000-01-01T00:00:00.000000Z'],
    ['SQL', "2026-01-01'; DROP TABLE catalog.products; --"],
  ])('a newest cursor whose timestamp has %s is a 400 invalid-cursor', async (_case, k) => {
    const cursor = b64(JSON.stringify({ s: 'newest', k, id: someId }));
    const res = await list(`sort=newest&cursor=${cursor}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('invalid-cursor');
  });

  it('an issued cursor with one character changed is refused, never a 500', async () => {
    const cursor = await cursorFor('newest');
    for (let i = 0; i < cursor.length; i += 1) {
      const flipped = `${cursor.slice(0, i)}${cursor[i] === 'A' ? 'B' : 'A'}${cursor.slice(i + 1)}`;
      const res = await list(`sort=newest&cursor=${flipped}`);
      // Some flips still decode to a well-formed cursor (another uuid, another instant): a
      // page from elsewhere in the list, which grants nothing. Anything else must be a 400.
      expect([200, 400], `position ${i}`).toContain(res.statusCode);
      if (res.statusCode === 400) expect(res.json().code).toBe('invalid-cursor');
    }
  });

  it('is longer than 400 characters: a 400 validation error', async () => {
    const res = await list(`cursor=${'A'.repeat(401)}`);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'querystring', pointer: '/cursor' });
  });
});
