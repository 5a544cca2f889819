// Bulk product loader for benchmarks: `count` products with SKUs BULK-000000001 …, spread over
// the demo catalog's leaf categories, each with a stock row. Rows are generated inside
// Postgres (INSERT … SELECT FROM generate_series, one statement and one commit per batch,
// products and inventory together through a data-modifying CTE), so nothing but the batch
// bounds crosses the wire. Resumable and idempotent: a batch whose first and last SKU both
// exist is skipped, anything else is inserted with ON CONFLICT (sku) DO NOTHING. It ends with
// VACUUM ANALYZE: fresh statistics, and GIN's pending list merged (docs/indexing.md).
// pg-copy-streams (COPY FROM STDIN) is not a dependency; generating rows server-side avoids
// the client-side serialisation COPY would save anyway.
import type pg from 'pg';
import { buildDemoCatalog, upsertCategories } from './demo-catalog.ts';

export const BULK_PREFIX = 'BULK-';
export const bulkSku = (n: number) => `${BULK_PREFIX}${String(n).padStart(9, '0')}`;

export interface LoadProgress {
  /** Products processed so far (inserted or already there). */
  done: number;
  total: number;
  inserted: number;
  skipped: number;
  elapsedMs: number;
  /** Processed rows per second since the start. */
  rowsPerSec: number;
}

export interface LoadOptions {
  count: number;
  batchSize?: number;
  onProgress?: (p: LoadProgress) => void;
  /** VACUUM ANALYZE the tables at the end (default true). */
  vacuum?: boolean;
}

export interface LoadResult {
  inserted: number;
  skipped: number;
  elapsedMs: number;
  rowsPerSec: number;
}

const WORDS = {
  brand: [
    'Lumen',
    'Aero',
    'Vertex',
    'Nordlys',
    'Kestrel',
    'Quanta',
    'Halcyon',
    'Orbit',
    'Brava',
    'Cairn',
    'Pacer',
    'Ridgeway',
  ],
  series: ['Air', 'Pro', 'Max', 'Go', 'Lite', 'Ultra', 'Studio', 'Core', 'Flex', 'Edge'],
  noun: [
    'laptop',
    'monitor',
    'keyboard',
    'headphones',
    'speaker',
    'camera',
    'kettle',
    'blender',
    'desk',
    'chair',
    'tent',
    'helmet',
    'novel',
    'cookbook',
  ],
  feature: [
    'an all-day battery',
    'a two-year warranty',
    'a recycled aluminium body',
    'USB-C charging',
    'a quiet motor',
    'a compact design',
    'water resistance',
  ],
  colour: ['black', 'silver', 'white', 'graphite', 'blue', 'green', 'red', 'sand'],
};

// g is the product number; the multipliers are primes, so neighbouring rows differ.
const BULK_INSERT = `
WITH src AS (
  SELECT g,
         ($3::text[])[1 + (g * 7919) % cardinality($3::text[])] AS brand,
         ($4::text[])[1 + (g * 104729) % cardinality($4::text[])] AS series,
         ($5::text[])[1 + (g * 15485863) % cardinality($5::text[])] AS noun,
         ($6::text[])[1 + (g * 32452843) % cardinality($6::text[])] AS feature,
         ($7::text[])[1 + (g * 49979687) % cardinality($7::text[])] AS colour
    FROM generate_series($1::bigint, $2::bigint) AS g
), ins AS (
  INSERT INTO catalog.products
    (sku, name, description, price_minor, currency, attributes, status, category_id, created_at)
  SELECT '${BULK_PREFIX}' || lpad(g::text, 9, '0'),
         brand || ' ' || series || ' ' || (100 + g % 900) || ' ' || colour || ' ' || noun,
         'The ' || brand || ' ' || noun || ' with ' || feature || '.',
         (499 + (g * 2654435761) % 250000)::int,
         'EUR',
         jsonb_build_object('colour', colour, 'size', (ARRAY['S', 'M', 'L'])[1 + g % 3],
                            'rating', 1 + g % 5, 'in_catalog_since', 2015 + g % 10),
         CASE WHEN g % 50 = 0 THEN 'draft' WHEN g % 97 = 0 THEN 'archived' ELSE 'active' END,
         ($8::uuid[])[1 + g % cardinality($8::uuid[])],
         timestamptz '2025-01-01' + g * interval '1 second'
    FROM src
  ON CONFLICT (sku) DO NOTHING
  RETURNING id, sku
), stock AS (
  INSERT INTO catalog.inventory (product_id, on_hand)
  SELECT id, (right(sku, 9)::bigint * 31 % 500)::int FROM ins
  ON CONFLICT (product_id) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM ins)::int AS products, (SELECT count(*) FROM stock)::int AS stock`;

/** Loads `count` bulk products (BULK-000000001 … ); see the file comment. */
export async function loadBulkProducts(pool: pg.Pool, opts: LoadOptions): Promise<LoadResult> {
  const { count, batchSize = 10_000, onProgress, vacuum = true } = opts;
  if (!Number.isInteger(count) || count < 0)
    throw new Error(`count must be a whole number, got ${count}`);
  if (!Number.isInteger(batchSize) || batchSize < 1)
    throw new Error(`batchSize must be ≥ 1, got ${batchSize}`);

  const client = await pool.connect();
  const started = performance.now();
  let inserted = 0;
  let skipped = 0;
  const progress = (done: number): LoadProgress => {
    const elapsedMs = performance.now() - started;
    return {
      done,
      total: count,
      inserted,
      skipped,
      elapsedMs,
      rowsPerSec: done / Math.max(elapsedMs / 1000, 0.001),
    };
  };
  try {
    // Each batch commits on its own, so a crash loses at most the batch in flight; the resume
    // check re-inserts anything a lost commit dropped.
    await client.query('SET synchronous_commit = off');
    await upsertCategories(client, buildDemoCatalog().categories);
    const { rows: leaves } = await client.query<{ id: string }>(
      `SELECT id FROM catalog.categories c
        WHERE NOT EXISTS (SELECT 1 FROM catalog.categories k WHERE k.parent_id = c.id)
        ORDER BY slug`,
    );
    const leafIds = leaves.map((r) => r.id);

    for (let from = 1; from <= count; from += batchSize) {
      const to = Math.min(from + batchSize - 1, count);
      const { rows } = await client.query<{ n: number }>(
        'SELECT count(*)::int AS n FROM catalog.products WHERE sku = ANY($1::text[])',
        [[bulkSku(from), bulkSku(to)]],
      );
      if (rows[0]?.n === (from === to ? 1 : 2)) {
        skipped += to - from + 1;
      } else {
        const r = await client.query<{ products: number }>(BULK_INSERT, [
          from,
          to,
          WORDS.brand,
          WORDS.series,
          WORDS.noun,
          WORDS.feature,
          WORDS.colour,
          leafIds,
        ]);
        const n = r.rows[0]?.products ?? 0;
        inserted += n;
        skipped += to - from + 1 - n;
      }
      onProgress?.(progress(to));
    }
    if (vacuum && count > 0) {
      await client.query('VACUUM ANALYZE catalog.products');
      await client.query('VACUUM ANALYZE catalog.inventory');
    } else if (count > 0) {
      await client.query('ANALYZE catalog.products');
      await client.query('ANALYZE catalog.inventory');
    }
    const end = progress(count);
    return { inserted, skipped, elapsedMs: end.elapsedMs, rowsPerSec: end.rowsPerSec };
  } finally {
    await client.query('RESET synchronous_commit').catch(() => {});
    client.release();
  }
}
