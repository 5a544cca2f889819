// Search's query plans on 20,000 products with realistic names and descriptions, after
// VACUUM ANALYZE. Each test plans the exact SQL the API runs (searchPageQuery / suggestQuery) and
// fails, printing the plan, unless products are read through the GIN index the query needs.
import { createTestApp, type TestApp } from '@meridian/testing';
import { PgDialect } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import {
  RANK_WINDOW,
  type SearchPageOptions,
  type SuggestOptions,
  searchPageQuery,
  suggestQuery,
  WORD_SIMILARITY_THRESHOLD,
} from '../src/modules/search/search.repository.ts';
import { type PlanNode, planNodes } from './helpers.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
// The same casing as the app's drizzle client (packages/db), so column names render alike.
const dialect = new PgDialect({ casing: 'snake_case' });

const PRODUCTS = 20_000;

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
  });
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('all', 'All') RETURNING id",
  );
  // Brand × kind × model number, and a description naming the kind with one of a dozen
  // selling points. 60 kinds, so a kind's words are in about 1 row in 60, as selective as a
  // search term in a real catalog (where most words match far fewer). 90% active, 5% draft,
  // 5% archived; one in 50 deleted — the same mix as products.explain.test.ts.
  await t.app.pg.query(
    `WITH v AS (SELECT
       ARRAY['Aero', 'Nordic', 'Vertex', 'Lumen', 'Brightline', 'Kestrel', 'Orbit', 'Summit',
             'Harbor', 'Atlas', 'Cobalt', 'Juniper', 'Halden'] AS brands,
       ARRAY['Laptop', 'Espresso Machine', 'Running Shoe', 'Desk Lamp', 'Headphones',
             'Backpack', 'Blender', 'Office Chair', 'Smartwatch', 'Tent', 'Coffee Grinder',
             'Monitor', 'Keyboard', 'Rice Cooker', 'Yoga Mat', 'Water Bottle', 'Cordless Drill',
             'Camera', 'Bicycle Helmet', 'Toaster', 'Kettle', 'Air Fryer', 'Vacuum Cleaner',
             'Standing Desk', 'Bookshelf', 'Sofa', 'Duvet', 'Pillow', 'Frying Pan', 'Chef Knife',
             'Cutting Board', 'Dinner Plate', 'Wine Glass', 'Teapot', 'Sunglasses', 'Wallet',
             'Umbrella', 'Raincoat', 'Hiking Boot', 'Sleeping Bag', 'Camping Stove', 'Lantern',
             'Fishing Rod', 'Tennis Racket', 'Football', 'Skateboard', 'Scooter', 'Drone',
             'Tablet', 'Smartphone', 'Router', 'Speaker', 'Microphone', 'Printer', 'Projector',
             'Webcam', 'Mouse', 'Charger', 'Power Bank', 'Sewing Machine'] AS kinds,
       ARRAY['Thin and light, with a two-year warranty.',
             'Made from recycled materials and shipped plastic free.',
             'Rated five stars by thousands of customers.',
             'Designed in Copenhagen, built to last a decade.',
             'Award winning design with a minimalist look.',
             'Compact enough for small apartments.',
             'Comes in six colours, including forest green.',
             'Easy to clean and dishwasher safe parts.',
             'Quiet operation and energy saving mode.',
             'Ships within one business day.',
             'Includes a travel pouch and spare parts.',
             'Professional grade for daily heavy use.'] AS points)
     INSERT INTO catalog.products
       (sku, name, description, price_minor, currency, category_id, status, deleted_at)
     SELECT 'SRX-' || g,
            v.brands[g % 13 + 1] || ' ' || v.kinds[g % 60 + 1] || ' ' || (100 + g % 900),
            'The ' || v.kinds[g % 60 + 1] || ' from ' || v.brands[g % 13 + 1] || '. '
              || v.points[g % 12 + 1],
            (g * 7919) % 100000, 'EUR', $1,
            CASE g % 20 WHEN 3 THEN 'draft' WHEN 4 THEN 'archived' ELSE 'active' END,
            CASE WHEN g % 50 = 7 THEN now() END
       FROM v, generate_series(1, $2::int) g`,
    [rows[0]?.id, PRODUCTS],
  );
  // VACUUM, not only ANALYZE: rows inserted into a GIN index go to its pending list first
  // (fastupdate), and the planner prices a scan of that unsorted list so high that it picks a
  // Seq Scan even for a rare word. VACUUM (autovacuum, in production) merges the list into the
  // index proper, which is the state a long-lived table is in.
  await t.app.pg.query('VACUUM ANALYZE catalog.products');
});
afterAll(() => t.close());

async function explain(
  sqlText: string,
  params: unknown[],
  threshold?: number,
  analyze = false,
): Promise<PlanNode> {
  // One client and a transaction, so the threshold is set exactly as the service sets it.
  const client = await t.app.pg.connect();
  try {
    await client.query('BEGIN');
    if (threshold !== undefined) {
      await client.query("SELECT set_config('pg_trgm.word_similarity_threshold', $1, true)", [
        String(threshold),
      ]);
    }
    const { rows } = await client.query<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>(
      `EXPLAIN (${analyze ? 'ANALYZE, ' : ''}FORMAT JSON) ${sqlText}`,
      params,
    );
    return rows[0]?.['QUERY PLAN'][0]?.Plan as PlanNode;
  } finally {
    await client.query('ROLLBACK');
    client.release();
  }
}

async function planSearch(opts: SearchPageOptions) {
  const q = dialect.sqlToQuery(searchPageQuery(opts));
  return explain(q.sql, q.params);
}
async function planSuggest(opts: SuggestOptions) {
  const q = dialect.sqlToQuery(suggestQuery(opts));
  return explain(q.sql, q.params, WORD_SIMILARITY_THRESHOLD);
}

/** No Seq Scan on products, and a Bitmap Index Scan on `index` feeds the scan of products. */
function expectBitmapOn(root: PlanNode, index: string) {
  const all = planNodes(root);
  const printed = JSON.stringify(root, null, 2);
  expect(
    all.filter((n) => n['Node Type'] === 'Seq Scan' && n['Relation Name'] === 'products'),
    `Seq Scan on products in:\n${printed}`,
  ).toEqual([]);
  expect(
    all.some((n) => n['Node Type'] === 'Bitmap Index Scan' && n['Index Name'] === index),
    `expected a Bitmap Index Scan on ${index} in:\n${printed}`,
  ).toBe(true);
}

describe('EXPLAIN: search on 20,000 products', () => {
  it('is large enough to matter: the same match without the index is a Seq Scan', async () => {
    // to_tsvector(name) is an expression no index holds.
    const root = await explain(
      `SELECT id FROM catalog.products
        WHERE to_tsvector('english', name) @@ websearch_to_tsquery('english', 'espresso')`,
      [],
    );
    expect(
      planNodes(root).some((n) => n['Node Type'] === 'Seq Scan'),
      JSON.stringify(root, null, 2),
    ).toBe(true);
  });

  it('a word: Bitmap Index Scan on products_search_idx', async () => {
    expectBitmapOn(await planSearch({ q: 'espresso', limit: 21 }), 'products_search_idx');
  });

  it('phrase, exclusion and OR: still the GIN index', async () => {
    expectBitmapOn(
      await planSearch({ q: '"espresso machine" -nordic or kettle', limit: 21 }),
      'products_search_idx',
    );
  });

  it(`a common word: the scan stops after RANK_WINDOW (${RANK_WINDOW}) matches, it never ranks them all`, async () => {
    const { rows } = await t.app.pg.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM catalog.products
        WHERE deleted_at IS NULL AND status = 'active'
          AND search @@ websearch_to_tsquery('english', 'recycled')`,
    );
    expect(rows[0]?.n).toBeGreaterThan(RANK_WINDOW);
    const q = dialect.sqlToQuery(searchPageQuery({ q: 'recycled', limit: 21 }));
    const root = await explain(q.sql, q.params, undefined, true);
    const printed = JSON.stringify(root, null, 2);
    const heap = planNodes(root).find((n) => n['Node Type'] === 'Bitmap Heap Scan');
    expect(heap, printed).toBeDefined();
    expect(heap?.['Actual Rows'], printed).toBe(RANK_WINDOW);
  });

  it('a common word through the API: pages walk the window once, no row twice, then end', async () => {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res: Awaited<ReturnType<typeof t.app.inject>> = await t.app.inject({
        url: `/v1/search/products?q=recycled&limit=50${cursor ? `&cursor=${cursor}` : ''}`,
      });
      expect(res.statusCode, res.body).toBe(200);
      ids.push(...res.json().items.map((i: { id: string }) => i.id));
      cursor = res.json().nextCursor;
    } while (cursor !== null && ids.length <= RANK_WINDOW);
    expect(ids).toHaveLength(RANK_WINDOW);
    expect(new Set(ids).size).toBe(RANK_WINDOW);
  });

  it('a later page: the cursor filters the index matches, no Seq Scan', async () => {
    const root = await planSearch({
      q: 'laptop',
      limit: 21,
      after: { rank: '0.1', id: '00000000-0000-4000-8000-000000000000' },
    });
    expectBitmapOn(root, 'products_search_idx');
  });

  it('only stop words or only exclusions: decided while planning, products never read', async () => {
    for (const q of ['the of', '-laptop']) {
      const root = await planSearch({ q, limit: 21 });
      const printed = JSON.stringify(root, null, 2);
      const reads = planNodes(root).filter((n) => n['Relation Name'] === 'products');
      // A constant-false condition leaves a Result with a One-Time Filter and no scan at all.
      expect(reads, `${q}: products read in:\n${printed}`).toEqual([]);
    }
  });
});

describe('EXPLAIN: suggest on 20,000 products', () => {
  it('a prefix: Bitmap Index Scan on products_name_trgm_idx', async () => {
    expectBitmapOn(await planSuggest({ prefix: 'espre', limit: 10 }), 'products_name_trgm_idx');
  });

  it('a typo: the trigram index too', async () => {
    expectBitmapOn(await planSuggest({ prefix: 'lapotp', limit: 10 }), 'products_name_trgm_idx');
  });
});
