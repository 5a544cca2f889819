// The demo seed (deterministic, deep, idempotent) and the bulk loader (exact counts, resumable,
// progress reported), each against a fresh migrated database.
import { createTestDatabase, type TestDatabase } from '@meridian/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { buildDemoCatalog, seedDemoCatalog } from '../src/db/demo-catalog.ts';
import { bulkSku, type LoadProgress, loadBulkProducts } from '../src/db/load-products.ts';

let db: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  db = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
  pool = new pg.Pool({ connectionString: db.url, max: 2 });
});

afterAll(async () => {
  await pool?.end();
  await db?.drop();
});

const count = async (sql: string, params: unknown[] = []) =>
  (await pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${sql}`, params)).rows[0]?.n;

describe('demo catalog', () => {
  it('is the same on every build, with no Math.random', () => {
    const a = buildDemoCatalog();
    const b = buildDemoCatalog();
    expect(b).toEqual(a);
    expect(new Set(a.products.map((p) => p.sku)).size).toBe(a.products.length);
    // The original demo products keep their SKUs.
    expect(a.products.map((p) => p.sku)).toEqual(
      expect.arrayContaining(['LAP-AERO-13', 'PHN-ORBIT-6', 'COF-MOKA-6', 'BOOK-SQL-PERF']),
    );
    // Another seed gives another catalog: the names come from the PRNG.
    expect(buildDemoCatalog(1).products.map((p) => p.name)).not.toEqual(
      a.products.map((p) => p.name),
    );
  });

  it('seeds ≥ 2,500 active products with stock under a tree ≥ 3 levels deep, idempotently', async () => {
    const catalog = buildDemoCatalog();
    const first = await seedDemoCatalog(pool);
    expect(first.productsInserted).toBe(catalog.products.length);
    expect(first.inventoryInserted).toBe(catalog.products.length);

    const { rows: depth } = await pool.query<{ depth: number }>(
      `WITH RECURSIVE t AS (
         SELECT id, 1 AS depth FROM catalog.categories WHERE parent_id IS NULL
         UNION ALL
         SELECT c.id, t.depth + 1 FROM catalog.categories c JOIN t ON c.parent_id = t.id)
       SELECT max(depth)::int AS depth FROM t`,
    );
    expect(depth[0]?.depth).toBeGreaterThanOrEqual(3);
    const active = await count("catalog.products WHERE status = 'active' AND deleted_at IS NULL");
    expect(active).toBeGreaterThanOrEqual(2_500);
    expect(await count('catalog.inventory')).toBe(active);

    // The database holds exactly what the generator produced.
    const { rows } = await pool.query<{ sku: string; name: string; price_minor: number }>(
      'SELECT sku, name, price_minor FROM catalog.products',
    );
    const bySku = new Map(rows.map((r) => [r.sku, r]));
    for (const p of catalog.products) {
      expect(bySku.get(p.sku)).toEqual({ sku: p.sku, name: p.name, price_minor: p.priceMinor });
    }

    // An edit made through the API survives a re-seed; nothing is added the second time.
    await pool.query("UPDATE catalog.products SET name = 'Renamed' WHERE sku = 'LAP-AERO-13'");
    const categories = await count('catalog.categories');
    const second = await seedDemoCatalog(pool);
    expect(second).toMatchObject({ productsInserted: 0, inventoryInserted: 0 });
    expect(await count('catalog.categories')).toBe(categories);
    expect(await count('catalog.products')).toBe(catalog.products.length);
    expect(await count("catalog.products WHERE sku = 'LAP-AERO-13' AND name = 'Renamed'")).toBe(1);
  });
});

describe('bulk loader', () => {
  it('inserts exactly count products with stock, reports progress, and adds none on a re-run', async () => {
    const seen: LoadProgress[] = [];
    const first = await loadBulkProducts(pool, {
      count: 5_000,
      batchSize: 1_000,
      onProgress: (p) => seen.push(p),
    });
    expect(first).toMatchObject({ inserted: 5_000, skipped: 0 });
    expect(await count("catalog.products WHERE sku LIKE 'BULK-%'")).toBe(5_000);
    expect(
      await count('catalog.products WHERE sku = ANY($1)', [[bulkSku(1), bulkSku(5_000)]]),
    ).toBe(2);
    expect(await count('catalog.products WHERE sku = $1', [bulkSku(5_001)])).toBe(0);
    expect(
      await count(
        "catalog.inventory i JOIN catalog.products p ON p.id = i.product_id WHERE p.sku LIKE 'BULK-%'",
      ),
    ).toBe(5_000);
    expect(seen.map((p) => p.done)).toEqual([1_000, 2_000, 3_000, 4_000, 5_000]);
    expect(seen.at(-1)).toMatchObject({ total: 5_000, inserted: 5_000 });
    expect(seen.every((p) => p.rowsPerSec > 0)).toBe(true);

    const again = await loadBulkProducts(pool, { count: 5_000, batchSize: 1_000, vacuum: false });
    expect(again).toMatchObject({ inserted: 0, skipped: 5_000 });
    expect(await count("catalog.products WHERE sku LIKE 'BULK-%'")).toBe(5_000);
  });

  it('resumes a partly loaded range: fills the gaps only', async () => {
    // The end of batch 4,001–5,000 missing (a crash mid-way, or rows deleted since); 5,001–6,000 new.
    await pool.query(`DELETE FROM catalog.products WHERE sku = ANY($1)`, [
      Array.from({ length: 500 }, (_, i) => bulkSku(4_501 + i)),
    ]);
    const r = await loadBulkProducts(pool, { count: 6_000, batchSize: 1_000, vacuum: false });
    expect(r).toMatchObject({ inserted: 1_500, skipped: 4_500 });
    expect(await count("catalog.products WHERE sku LIKE 'BULK-%'")).toBe(6_000);
  });
});
