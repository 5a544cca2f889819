// POST /graphql: each query answers what the matching REST read answers, from the same
// services: products (filters, sort, keyset pages), product, the category tree, search.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCategory, addProducts, gql } from './graphql.helpers.ts';
import { type CatalogTestApp, createCatalogApp } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
const cat = { computers: '', laptops: '', kitchen: '' };
let laptopIds: string[];
let kitchenIds: string[];
let pcId: string;

const PRODUCT_FIELDS = `id sku name description priceMinor currency attributes status createdAt updatedAt`;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp({ RATE_LIMIT_MAX: '100000' }));
  cat.computers = await addCategory(t, 'computers');
  cat.laptops = await addCategory(t, 'laptops', cat.computers);
  cat.kitchen = await addCategory(t, 'kitchen');
  laptopIds = await addProducts(t, 'lap', 7, [cat.laptops]);
  kitchenIds = await addProducts(t, 'kit', 3, [cat.kitchen]);
  [pcId] = (await addProducts(t, 'pc', 1, [cat.computers])) as [string];
  await t.app.pg.query(
    `UPDATE catalog.products SET attributes = '{"colour": "red", "ram_gb": 16}',
            description = 'A light laptop for espresso lovers'
      WHERE sku = 'LAP-3'`,
  );
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

describe('query products', () => {
  it('returns the same items, in the same order, as GET /v1/products', async () => {
    const res = await gql(
      t,
      `{ products(first: 5) { nodes { ${PRODUCT_FIELDS} } pageInfo { endCursor hasNextPage } } }`,
    );
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    const rest = (await t.app.inject({ url: '/v1/products?limit=5' })).json();
    const page = res.body.data?.products as {
      nodes: Record<string, unknown>[];
      pageInfo: { endCursor: string | null; hasNextPage: boolean };
    };
    expect(page.nodes).toEqual(
      rest.items.map(({ categoryId: _c, status, ...p }: Record<string, unknown>) => ({
        ...p,
        status: String(status).toUpperCase(),
      })),
    );
    expect(page.pageInfo).toEqual({ endCursor: rest.nextCursor, hasNextPage: true });
  });

  it('walks every page with endCursor as `after`, like REST cursors', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let i = 0; i < 10; i++) {
      const res = await gql(
        t,
        'query($after: String) { products(first: 3, sort: PRICE_DESC, after: $after) { nodes { id priceMinor } pageInfo { endCursor hasNextPage } } }',
        { variables: { after } },
      );
      const page = res.body.data?.products as {
        nodes: { id: string }[];
        pageInfo: { endCursor: string | null; hasNextPage: boolean };
      };
      seen.push(...page.nodes.map((n) => n.id));
      if (!page.pageInfo.hasNextPage) break;
      after = page.pageInfo.endCursor;
    }
    const { rows } = await t.app.pg.query<{ id: string }>(
      'SELECT id FROM catalog.products ORDER BY price_minor DESC, id DESC',
    );
    expect(seen).toEqual(rows.map((r) => r.id));
  });

  it('filters by category subtree, price range and attributes', async () => {
    const ids = async (query: string, variables?: Record<string, unknown>) => {
      const res = await gql(t, query, variables ? { variables } : {});
      const page = res.body.data?.products as { nodes: { id: string }[] } | undefined;
      return page?.nodes.map((n) => n.id);
    };
    const { rows } = await t.app.pg.query<{ id: string }>(
      `SELECT id FROM catalog.products WHERE category_id = ANY($1::uuid[])
        ORDER BY created_at DESC, id DESC`,
      [[cat.computers, cat.laptops]],
    );
    expect(rows).toHaveLength(laptopIds.length + 1);
    expect(
      await ids(
        'query($c: ID) { products(first: 100, filter: { categoryId: $c }) { nodes { id } } }',
        {
          c: cat.computers,
        },
      ),
    ).toEqual(rows.map((r) => r.id));

    const priced = await gql(
      t,
      '{ products(filter: { minPrice: 200, maxPrice: 300 }, sort: PRICE_ASC) { nodes { sku priceMinor } } }',
    );
    expect(priced.body.data?.products).toEqual({
      nodes: [
        expect.objectContaining({ priceMinor: 200 }),
        expect.objectContaining({ priceMinor: 200 }),
        expect.objectContaining({ priceMinor: 300 }),
        expect.objectContaining({ priceMinor: 300 }),
      ],
    });

    const attr = await gql(
      t,
      '{ products(filter: { attributes: [{ key: "colour", value: "red" }, { key: "ram_gb", value: "16" }] }) { nodes { sku attributes } } }',
    );
    expect(attr.body.data?.products).toEqual({
      nodes: [{ sku: 'LAP-3', attributes: { colour: 'red', ram_gb: 16 } }],
    });
  });

  it('filters by inStock as GET /v1/products?inStock does', async () => {
    await t.app.pg.query(
      `UPDATE catalog.inventory SET on_hand = 0, reserved = 0
        WHERE product_id = (SELECT id FROM catalog.products WHERE sku = 'KIT-1')`,
    );
    for (const inStock of [true, false]) {
      const res = await gql(
        t,
        'query($s: Boolean) { products(first: 100, filter: { inStock: $s }) { nodes { sku } } }',
        { variables: { s: inStock } },
      );
      const rest = (
        await t.app.inject({ url: `/v1/products?limit=100&inStock=${inStock}` })
      ).json();
      expect(res.body.data?.products).toEqual({
        nodes: rest.items.map((p: { sku: string }) => ({ sku: p.sku })),
      });
    }
    const out = await gql(t, '{ products(filter: { inStock: false }) { nodes { sku } } }');
    expect(out.body.data?.products).toEqual({ nodes: [{ sku: 'KIT-1' }] });
  });

  it('refuses arguments REST refuses, naming the argument', async () => {
    const res = await gql(
      t,
      '{ products(first: 101, filter: { categoryId: "nope", minPrice: 5, maxPrice: 1 }) { nodes { id } } }',
    );
    expect(res.status).toBe(200);
    expect(res.body.data).toEqual({ products: null });
    expect(res.body.errors?.[0]).toMatchObject({
      path: ['products'],
      extensions: {
        code: 'validation-failed',
        status: 400,
        errors: [
          { in: 'args', pointer: '/first', detail: 'must be between 1 and 100' },
          { in: 'args', pointer: '/filter/categoryId', detail: 'must be a UUID' },
          { in: 'args', pointer: '/filter/minPrice', detail: 'must be <= maxPrice' },
        ],
      },
    });
  });

  it('refuses a cursor the API did not issue with invalid-cursor, as REST does', async () => {
    const res = await gql(t, '{ products(after: "garbage") { nodes { id } } }');
    expect(res.body.errors?.[0]?.extensions).toMatchObject({ code: 'invalid-cursor', status: 400 });
  });

  it('gives each product its category and, asked for, the subtree below it', async () => {
    const res = await gql(
      t,
      `query($c: ID) { products(first: 2, sort: PRICE_ASC, filter: { categoryId: $c }) { nodes { id category { id slug children { slug children { slug } } } } } }`,
      { variables: { c: cat.computers } },
    );
    const { nodes } = (res.body.data?.products ?? { nodes: [] }) as {
      nodes: { id: string; category: unknown }[];
    };
    const byId = new Map(nodes.map((n) => [n.id, n.category]));
    expect(nodes).toHaveLength(2);
    for (const [id, category] of byId) {
      expect(category).toEqual(
        id === pcId
          ? { id: cat.computers, slug: 'computers', children: [{ slug: 'laptops', children: [] }] }
          : { id: cat.laptops, slug: 'laptops', children: [] },
      );
    }
    expect(byId.has(pcId)).toBe(true);
    expect(kitchenIds).toHaveLength(3);
  });
});

describe('query product', () => {
  it('returns what GET /v1/products/{id} returns', async () => {
    const id = laptopIds[0] as string;
    const res = await gql(t, `query($id: ID!) { product(id: $id) { ${PRODUCT_FIELDS} } }`, {
      variables: { id },
    });
    const rest = (await t.app.inject({ url: `/v1/products/${id}` })).json();
    const { categoryId: _c, status, ...fields } = rest;
    expect(res.body).toEqual({ data: { product: { ...fields, status: status.toUpperCase() } } });
  });

  it('is null with a not-found error (status 404) for an unknown id', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    const res = await gql(t, `{ product(id: "${id}") { id } }`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: { product: null },
      errors: [
        {
          message: `Product ${id} does not exist.`,
          locations: [{ line: 1, column: 3 }],
          path: ['product'],
          extensions: { code: 'not-found', status: 404 },
        },
      ],
    });
  });
});

describe('query categories', () => {
  it('returns the tree GET /v2/categories returns', async () => {
    const res = await gql(
      t,
      '{ categories { id slug name children { id slug name children { id } } } }',
    );
    const rest = (await t.app.inject({ url: '/v2/categories' })).json();
    expect(res.body.data?.categories).toEqual(rest.items);
    expect(res.body.data?.categories).toMatchObject([
      { slug: 'computers', children: [{ slug: 'laptops', children: [] }] },
      { slug: 'kitchen', children: [] },
    ]);
  });
});

describe('query search', () => {
  it('returns what GET /v1/search/products returns, with cursors', async () => {
    const res = await gql(
      t,
      '{ search(q: "espresso", first: 5) { nodes { id sku name priceMinor currency rank headline } pageInfo { endCursor hasNextPage } } }',
    );
    const rest = (await t.app.inject({ url: '/v1/search/products?q=espresso&limit=5' })).json();
    expect(res.body.data?.search).toEqual({
      nodes: rest.items,
      pageInfo: { endCursor: rest.nextCursor, hasNextPage: false },
    });
    expect(rest.items.map((i: { sku: string }) => i.sku)).toEqual(['LAP-3']);
  });

  it('refuses an empty q and a page over 50', async () => {
    const res = await gql(t, '{ search(q: "", first: 51) { nodes { id } } }');
    expect(res.body.errors?.[0]?.extensions).toMatchObject({
      code: 'validation-failed',
      errors: [
        { pointer: '/q', detail: 'must be 1 to 200 characters' },
        { pointer: '/first', detail: 'must be between 1 and 50' },
      ],
    });
  });
});
