// The listing's query plans, on a table large enough for the planner to care (20,000
// products). Each test plans the exact SQL the API runs (productPageQuery(...).toSQL()) and
// fails, printing the plan, if it reads products with a sequential scan or sorts them.
import { createTestApp, type TestApp } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { createCatalogDb, DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import {
  type ProductPageOptions,
  productPageQuery,
} from '../src/modules/products/products.repository.ts';
import { type PlanNode, planNodes } from './helpers.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
let rootId: string;
let branchId: string;

const PRODUCTS = 20_000;

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
  });
  // A root with 10 branches of 5 leaves each: 61 categories.
  const { rows: roots } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('root', 'Root') RETURNING id",
  );
  rootId = roots[0]?.id as string;
  const { rows: branches } = await t.app.pg.query<{ id: string }>(
    `INSERT INTO catalog.categories (slug, name, parent_id)
     SELECT 'branch-' || b, 'Branch ' || b, $1 FROM generate_series(1, 10) b RETURNING id`,
    [rootId],
  );
  branchId = branches[0]?.id as string;
  await t.app.pg.query(
    `INSERT INTO catalog.categories (slug, name, parent_id)
     SELECT 'leaf-' || b.n || '-' || l, 'Leaf', b.id
       FROM (SELECT id, row_number() OVER () AS n FROM catalog.categories WHERE parent_id = $1) b,
            generate_series(1, 5) l`,
    [rootId],
  );
  // 90% active, 5% draft, 5% archived; one in 50 deleted.
  await t.app.pg.query(
    `WITH cats AS (SELECT array_agg(id ORDER BY slug) AS ids FROM catalog.categories)
     INSERT INTO catalog.products
       (sku, name, description, price_minor, currency, category_id, status, attributes,
        created_at, deleted_at)
     SELECT 'EXP-' || g, 'Product ' || g, 'Description of product ' || g,
            (g * 7919) % 100000, 'EUR', cats.ids[g % array_length(cats.ids, 1) + 1],
            CASE g % 20 WHEN 0 THEN 'draft' WHEN 1 THEN 'archived' ELSE 'active' END,
            jsonb_build_object('colour', (ARRAY['red', 'green', 'blue', 'black'])[g % 4 + 1],
                               'size', g % 10),
            now() - g * interval '1 minute',
            CASE WHEN g % 50 = 7 THEN now() END
       FROM cats, generate_series(1, $1::int) g`,
    [PRODUCTS],
  );
  // Two in three products have a stock row, most of them with stock to spare.
  await t.app.pg.query(
    `INSERT INTO catalog.inventory (product_id, on_hand, reserved)
     SELECT id, 10, (hashtext(id::text) & 7) FROM catalog.products WHERE hashtext(sku) % 3 <> 0`,
  );
  await t.app.pg.query('ANALYZE catalog.inventory');
  await t.app.pg.query('ANALYZE catalog.products');
  await t.app.pg.query('ANALYZE catalog.categories');
});
afterAll(() => t.close());

async function plan(opts: ProductPageOptions): Promise<PlanNode> {
  const query = productPageQuery(createCatalogDb(t.app.pg), opts).toSQL();
  const { rows } = await t.app.pg.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
    `EXPLAIN (FORMAT JSON) ${query.sql}`,
    query.params,
  );
  return rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
}

/** Asserts the plan reads products through `index`, never by a Seq Scan, and never sorts. */
function expectIndexOnly(root: PlanNode, index: string) {
  const all = planNodes(root);
  const printed = JSON.stringify(root, null, 2);
  const seqScans = all.filter(
    (n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'products',
  );
  expect(seqScans, `Seq Scan on products in:\n${printed}`).toEqual([]);
  expect(
    all.some((n) => n['Relation Name'] === 'products' && n['Index Name'] === index),
    `expected ${index} in:\n${printed}`,
  ).toBe(true);
  expect(
    all.filter((n) => n['Node Type'] === 'Sort' || n['Node Type'] === 'Incremental Sort'),
    `a Sort in:\n${printed}`,
  ).toEqual([]);
}

describe('EXPLAIN: the product list on 20,000 products', () => {
  it('is large enough to matter: an order no index serves is a Seq Scan and a Sort', async () => {
    const { rows } = await t.app.pg.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (FORMAT JSON) SELECT id FROM catalog.products
        WHERE deleted_at IS NULL AND status = 'active' ORDER BY name LIMIT 21`,
    );
    const root = rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
    const types = planNodes(root).map((n) => n['Node Type']);
    expect(types, JSON.stringify(root, null, 2)).toEqual(
      expect.arrayContaining(['Seq Scan', 'Sort']),
    );
  });

  it('newest, first page: walks products_newest_idx, no Seq Scan, no Sort', async () => {
    expectIndexOnly(await plan({ sort: 'newest', limit: 21 }), 'products_newest_idx');
  });

  it('newest, a later page: the cursor is an index condition on the same index', async () => {
    const root = await plan({
      sort: 'newest',
      limit: 21,
      after: {
        sort: 'newest',
        createdAt: '2026-01-01T00:00:00.000000Z',
        id: '00000000-0000-4000-8000-000000000000',
      },
    });
    expectIndexOnly(root, 'products_newest_idx');
    const scan = planNodes(root).find((n) => n['Index Name'] === 'products_newest_idx');
    expect(String(scan?.['Index Cond']), JSON.stringify(root, null, 2)).toMatch(/created_at, id/);
  });

  it('price_asc, first page: walks products_price_idx, no Seq Scan, no Sort', async () => {
    expectIndexOnly(await plan({ sort: 'price_asc', limit: 21 }), 'products_price_idx');
  });

  it('price_desc, a later page: walks products_price_idx backwards from the cursor', async () => {
    const root = await plan({
      sort: 'price_desc',
      limit: 21,
      after: { sort: 'price_desc', priceMinor: 50_000, id: '00000000-0000-4000-8000-000000000000' },
    });
    expectIndexOnly(root, 'products_price_idx');
    const scan = planNodes(root).find((n) => n['Index Name'] === 'products_price_idx');
    expect(scan?.['Scan Direction'], JSON.stringify(root, null, 2)).toBe('Backward');
  });

  it('newest, in stock only: still walks products_newest_idx, one inventory probe per row', async () => {
    const root = await plan({ sort: 'newest', limit: 21, inStock: true });
    expectIndexOnly(root, 'products_newest_idx');
    const printed = JSON.stringify(root, null, 2);
    expect(
      planNodes(root).some(
        (n) => n['Relation Name'] === 'inventory' && n['Index Name'] !== undefined,
      ),
      `expected an index probe into inventory in:\n${printed}`,
    ).toBe(true);
  });

  it('newest within a category subtree: no Seq Scan on products', async () => {
    const root = await plan({ sort: 'newest', limit: 21, categoryId: branchId });
    const printed = JSON.stringify(root, null, 2);
    const seqScans = planNodes(root).filter(
      (n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'products',
    );
    expect(seqScans, `Seq Scan on products in:\n${printed}`).toEqual([]);
  });
});
