// What the products-1m suite measures, built from the catalog's own code: its dedicated
// database (migrated with the catalog's script, filled by its bulk loader, VACUUM ANALYZEd),
// the keyset page query the API runs (productPageQuery) and the same query with an OFFSET,
// page cursors made by the catalog's cursor codec or by walking the real route, and the
// search query (searchPageQuery). Nothing here is timed; products-1m.ts does the timing.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { PgDialect } from 'drizzle-orm/pg-core';
import pg from 'pg';
import { createCatalogDb } from '../../apps/catalog/src/db/client.ts';
import { encodeCursor } from '../../apps/catalog/src/modules/cursor.ts';
import {
  type ProductKeyset,
  productPageQuery,
} from '../../apps/catalog/src/modules/products/products.repository.ts';
import { searchPageQuery } from '../../apps/catalog/src/modules/search/search.repository.ts';

/** The API's default page size; every page here is one the route would serve. */
export const PAGE_SIZE = 20;
/** What the service fetches for a page: one row more, to learn whether another follows. */
export const FETCH = PAGE_SIZE + 1;

export type ListSort = 'newest' | 'price_asc';

// The suite's own database, next to DATABASE_URL's: never the developer's. The count is in
// the name, so a smoke run on 2,000 products never touches the 1,000,000 one, and a rerun
// with the same count finds its data already there.
export const BENCH_DB_PREFIX = 'meridian_bench_products_';

export interface SqlText {
  sql: string;
  params: unknown[];
}

export function benchDatabaseUrl(baseUrl: string, count: number): string {
  const url = new URL(baseUrl);
  url.pathname = `/${BENCH_DB_PREFIX}${count}`;
  return url.toString();
}

export const databaseName = (url: string): string => new URL(url).pathname.slice(1);

function runNode(
  cwd: string,
  args: string[],
  env: Record<string, string>,
  quiet: boolean,
): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn('node', ['--import', 'tsx', ...args], {
      cwd,
      env: { ...process.env, ...env },
      // The loader's progress goes to stderr: shown, so a minute of seeding is not silent.
      stdio: ['ignore', 'ignore', quiet ? 'pipe' : 'inherit'],
    });
    let err = '';
    child.stderr?.on('data', (b: Buffer) => {
      err = (err + b.toString()).slice(-4000);
    });
    child.once('error', fail);
    child.once('exit', (code, signal) =>
      code === 0
        ? done()
        : fail(new Error(`node ${args.join(' ')}: exit ${code ?? signal}\n${err.trim()}`)),
    );
  });
}

export interface PreparedDatabase {
  url: string;
  name: string;
  /** Products in the table, and those the list shows (live and active). */
  products: number;
  listed: number;
  /** Seconds the bulk loader ran; null when the products were already there. */
  seedS: number | null;
  vacuumS: number;
  tableSize: string;
}

const scalar = async (client: pg.Client, text: string): Promise<number> => {
  const { rows } = await client.query<{ n: string }>(text);
  return Number(rows[0]?.n);
};

/**
 * Makes the suite's database ready: migrated with the catalog's own script (which creates the
 * database if needed), `count` bulk products from the catalog's loader unless they are already
 * there, then VACUUM ANALYZE so the planner and the GIN index are in the state a long-lived
 * table is in. Drops nothing.
 */
export async function prepareDatabase(opts: {
  repoDir: string;
  baseUrl: string;
  count: number;
  quiet?: boolean;
  log?: (line: string) => void;
}): Promise<PreparedDatabase> {
  const { repoDir, count } = opts;
  const log = opts.log ?? (() => undefined);
  const url = benchDatabaseUrl(opts.baseUrl, count);
  const name = databaseName(url);
  const catalogDir = resolve(repoDir, 'apps/catalog');
  log(`database ${name}: migrating (apps/catalog/src/db/migrate.ts)`);
  await runNode(catalogDir, ['src/db/migrate.ts'], { DATABASE_URL: url }, true);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const bulk = await scalar(
      client,
      "SELECT count(*) AS n FROM catalog.products WHERE sku LIKE 'BULK-%'",
    );
    let seedS: number | null = null;
    if (bulk > count) {
      throw new Error(
        `${name} holds ${bulk} bulk products, more than --count ${count}: it is not this ` +
          `suite's database as it left it; drop it (DROP DATABASE ${name}) and rerun`,
      );
    }
    if (bulk < count) {
      log(`database ${name}: ${bulk} of ${count} products there; loading the rest (db:seed:large)`);
      const t0 = performance.now();
      // --no-vacuum: the VACUUM ANALYZE below runs on every run, seeded or not.
      await runNode(
        catalogDir,
        ['src/db/seed-large.ts', '--count', String(count), '--no-vacuum'],
        { DATABASE_URL: url },
        opts.quiet ?? false,
      );
      seedS = (performance.now() - t0) / 1000;
    } else {
      log(`database ${name}: ${count} products already there; seeding skipped`);
    }
    log(`database ${name}: VACUUM ANALYZE`);
    const t0 = performance.now();
    for (const table of ['products', 'inventory', 'categories']) {
      await client.query(`VACUUM ANALYZE catalog.${table}`);
    }
    const vacuumS = (performance.now() - t0) / 1000;
    const products = await scalar(client, 'SELECT count(*) AS n FROM catalog.products');
    const listed = await scalar(
      client,
      "SELECT count(*) AS n FROM catalog.products WHERE deleted_at IS NULL AND status = 'active'",
    );
    const { rows } = await client.query<{ size: string }>(
      "SELECT pg_size_pretty(pg_total_relation_size('catalog.products')) AS size",
    );
    return {
      url,
      name,
      products,
      listed,
      seedS,
      vacuumS,
      tableSize: rows[0]?.size ?? '?',
    };
  } finally {
    await client.end();
  }
}

/** The last page that is full: the deepest page every sort has. */
export const lastFullPage = (listed: number): number => Math.max(1, Math.floor(listed / PAGE_SIZE));

/** 0-based position of a page's first row. */
export const pageStart = (page: number): number => (page - 1) * PAGE_SIZE;

export function listPath(sort: ListSort, cursor: string | null): string {
  const c = cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`;
  return `/v1/products?sort=${sort}&limit=${PAGE_SIZE}${c}`;
}

// Realistic queries over the bulk loader's vocabulary (load-products.ts): a common word, a
// phrase in one description in seven, two words, a model number, a rarer combination, and a
// word no product has.
export const SEARCH_QUERIES: readonly string[] = [
  'laptop',
  '"recycled aluminium"',
  'lumen air',
  '537',
  '537 blender',
  'zeppelin',
];

const uniqSorted = (xs: number[]) => [...new Set(xs)].sort((a, b) => a - b);

export function measuredPages(lastFull: number): { sql: number[]; http: number[] } {
  const keep = (xs: number[]) => uniqSorted(xs.filter((p) => p >= 1 && p <= lastFull));
  return {
    sql: keep([1, 1000, 10_000, 25_000, lastFull]),
    http: keep([1, 1000, lastFull]),
  };
}

export const searchPath = (q: string): string => `/v1/search/products?q=${encodeURIComponent(q)}`;

/** Where a page starts, as the API's cursor and as the keyset the repository takes. */
export interface PageStart {
  cursor: string;
  keyset: ProductKeyset;
}

/**
 * The cursor of `page` (> 1), made the way the service makes it (products.service.ts
 * encodeProductCursor: `{ s, k, id }` through the catalog's encodeCursor) from the last row
 * of the page before, found with the page query itself plus an OFFSET.
 */
export async function pageStartByCodec(
  pool: pg.Pool,
  sort: ListSort,
  page: number,
): Promise<PageStart> {
  if (page < 2) throw new RangeError('page 1 has no cursor');
  const db = createCatalogDb(pool);
  const [row] = await productPageQuery(db, { sort, limit: 1 }).offset(pageStart(page) - 1);
  if (!row) throw new Error(`no row before page ${page} (${sort}): fewer products than that`);
  if (sort === 'newest') {
    return {
      cursor: encodeCursor({ s: sort, k: row.createdAtKey, id: row.id }),
      keyset: { sort, createdAt: row.createdAtKey, id: row.id },
    };
  }
  return {
    cursor: encodeCursor({ s: sort, k: row.priceMinor, id: row.id }),
    keyset: { sort, priceMinor: row.priceMinor, id: row.id },
  };
}

/**
 * The cursor of `page` as a client gets it: GET page 1, then follow nextCursor page by page
 * through the real route. Every page on the way must hold PAGE_SIZE items.
 */
export async function walkToPage(
  baseUrl: string,
  sort: ListSort,
  page: number,
): Promise<{ cursor: string; ms: number }> {
  const t0 = performance.now();
  let cursor: string | null = null;
  for (let p = 1; p < page; p++) {
    const res = await fetch(`${baseUrl}${listPath(sort, cursor)}`, {
      signal: AbortSignal.timeout(10_000),
    });
    const body = (await res.json()) as { items?: unknown[]; nextCursor?: string | null };
    if (res.status !== 200 || body.items?.length !== PAGE_SIZE || !body.nextCursor) {
      throw new Error(
        `walking ${sort}: page ${p} answered ${res.status} with ${body.items?.length} items`,
      );
    }
    cursor = body.nextCursor;
  }
  if (cursor === null) throw new RangeError('page 1 has no cursor');
  return { cursor, ms: performance.now() - t0 };
}

/** The API's page query (limit + 1 rows), as text and parameters for the raw driver. */
export function keysetSql(pool: pg.Pool, sort: ListSort, after?: ProductKeyset): SqlText {
  const q = productPageQuery(createCatalogDb(pool), {
    sort,
    limit: FETCH,
    ...(after ? { after } : {}),
  }).toSQL();
  return { sql: q.sql, params: q.params };
}

/** The same query, filters and ORDER BY as page 1, with OFFSET instead of a cursor. */
export function offsetSql(pool: pg.Pool, sort: ListSort, page: number): SqlText {
  const q = productPageQuery(createCatalogDb(pool), { sort, limit: FETCH })
    .offset(pageStart(page))
    .toSQL();
  return { sql: q.sql, params: q.params };
}

// The app's drizzle client renders with snake_case casing (packages/db createDb).
const dialect = new PgDialect({ casing: 'snake_case' });

/** The search the API runs for q (first page: limit + 1 rows), as text and parameters. */
export function searchSql(q: string): SqlText {
  const r = dialect.sqlToQuery(searchPageQuery({ q, limit: FETCH }));
  return { sql: r.sql, params: r.params };
}

/** Rows the search would rank for q: every listed match. */
export async function searchMatches(pool: pg.Pool, q: string): Promise<number> {
  const { rows } = await pool.query<{ n: string }>(
    `SELECT count(*) AS n FROM catalog.products
      WHERE deleted_at IS NULL AND status = 'active'
        AND search @@ websearch_to_tsquery('english'::regconfig, $1)`,
    [q],
  );
  return Number(rows[0]?.n);
}

/** Ids of what a statement returns, in order: to check keyset and OFFSET pages agree. */
export async function ids(pool: pg.Pool, q: SqlText): Promise<string[]> {
  const { rows } = await pool.query<{ id: string }>({ text: q.sql, values: q.params });
  return rows.map((r) => r.id);
}
