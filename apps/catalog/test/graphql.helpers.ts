// Shared arrangement for the GraphQL tests: a POST /graphql helper, a small catalog loaded
// with SQL, and a statement counter on the app's own pg pool.
import type pg from 'pg';
import type { CatalogTestApp } from './helpers.ts';

export interface GqlResponse {
  status: number;
  headers: Record<string, unknown>;
  body: {
    data?: Record<string, unknown> | null;
    errors?: {
      message: string;
      path?: (string | number)[];
      extensions?: Record<string, unknown>;
    }[];
  } & Record<string, unknown>;
}

export async function gql(
  t: CatalogTestApp,
  query: string,
  opts: { variables?: Record<string, unknown>; headers?: Record<string, string> } = {},
): Promise<GqlResponse> {
  const res = await t.app.inject({
    method: 'POST',
    url: '/graphql',
    headers: opts.headers,
    payload: { query, ...(opts.variables ? { variables: opts.variables } : {}) },
  });
  return { status: res.statusCode, headers: res.headers, body: res.json() };
}

/** Inserts a category, returning its id. */
export async function addCategory(
  t: CatalogTestApp,
  slug: string,
  parentId: string | null = null,
): Promise<string> {
  const { rows } = await t.app.pg.query<{ id: string }>(
    'INSERT INTO catalog.categories (slug, name, parent_id) VALUES ($1, $1, $2) RETURNING id',
    [slug, parentId],
  );
  return rows[0]?.id as string;
}

/**
 * Inserts `count` active products named `<prefix>-<n>`, spread over `categoryIds` in turn and
 * each with stock (on hand n × 10, reserved n), oldest first. Returns their ids, newest first
 * (the listing's default order).
 */
export async function addProducts(
  t: CatalogTestApp,
  prefix: string,
  count: number,
  categoryIds: string[],
): Promise<string[]> {
  const { rows } = await t.app.pg.query<{ id: string }>(
    `WITH made AS (
       INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status, created_at)
       SELECT $1 || '-' || g, $1 || ' ' || g, g * 100, 'EUR', ($2::uuid[])[(g - 1) % cardinality($2::uuid[]) + 1],
              'active', timestamptz '2026-01-01 00:00:00+00' + g * interval '1 second'
         FROM generate_series(1, $3::int) g
       RETURNING id, price_minor, created_at
     ), stocked AS (
       INSERT INTO catalog.inventory (product_id, on_hand, reserved)
       SELECT id, price_minor / 10, price_minor / 100 FROM made
     )
     SELECT id FROM made ORDER BY created_at DESC, id DESC`,
    [prefix.toUpperCase(), categoryIds, count],
  );
  return rows.map((r) => r.id);
}

/**
 * Counts the SQL statements the app sends to Postgres while `fn` runs. Every statement goes
 * through a client the pool hands out (pool.query checks one out too, through connect), so
 * the count wraps query() on each client connect() returns, for the window only. A real count
 * of round trips: a per-product lookup coming back would show up here as N more.
 */
export async function countStatements(
  pool: pg.Pool,
  fn: () => Promise<void>,
): Promise<{ count: number; statements: string[] }> {
  const statements: string[] = [];
  const originals = new Map<pg.PoolClient, pg.PoolClient['query']>();
  const watch = (client: pg.PoolClient | undefined) => {
    if (!client || originals.has(client)) return;
    const query = client.query;
    originals.set(client, query);
    client.query = ((...args: unknown[]) => {
      const first = args[0];
      statements.push(
        typeof first === 'string' ? first : String((first as { text?: unknown })?.text),
      );
      return (query as (...a: unknown[]) => unknown).apply(client, args);
    }) as typeof client.query;
  };
  const connect = pool.connect;
  type Callback = (err: Error | undefined, client?: pg.PoolClient, done?: unknown) => void;
  pool.connect = ((callback?: Callback) => {
    if (typeof callback === 'function') {
      return (connect as (cb: Callback) => void).call(pool, (err, client, done) => {
        watch(client);
        callback(err, client, done);
      });
    }
    return (connect as () => Promise<pg.PoolClient>).call(pool).then((client) => {
      watch(client);
      return client;
    });
  }) as typeof pool.connect;
  try {
    await fn();
  } finally {
    pool.connect = connect;
    for (const [client, query] of originals) client.query = query;
  }
  return { count: statements.length, statements };
}
