// Product rows. Plain rows in and out; takes a Db or a transaction, never opens one.
import { and, asc, desc, eq, getTableColumns, isNull, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import {
  categories,
  inventory,
  type NewProductRow,
  type ProductAttributes,
  type ProductRow,
  products,
} from '../../db/schema/index.ts';
import type { ProductSort } from './products.schemas.ts';

// Every column but the generated tsvector: it is for the database's search, not for clients.
const { search: _search, ...productColumns } = getTableColumns(products);
export type ProductRecord = Omit<ProductRow, 'search'>;

const live = isNull(products.deletedAt);

// The listing's visibility rule, written as literal SQL on purpose: the partial keyset
// indexes are declared WHERE deleted_at IS NULL AND status = 'active', and the planner uses a
// partial index only if it can prove the query implies that predicate. A bound parameter
// ($1 = 'active') proves nothing once a prepared statement switches to a generic plan.
const listed = sql`${products.deletedAt} IS NULL AND ${products.status} = 'active'`;

/** A live (not soft-deleted) product, whatever its status. */
export async function findProductById(db: DbOrTx, id: string): Promise<ProductRecord | undefined> {
  const [row] = await db
    .select(productColumns)
    .from(products)
    .where(and(eq(products.id, id), live))
    .limit(1);
  return row;
}

export type ProductValues = Pick<
  NewProductRow,
  | 'sku'
  | 'name'
  | 'description'
  | 'priceMinor'
  | 'currency'
  | 'attributes'
  | 'status'
  | 'categoryId'
>;

/** The new row, or null when the SKU is taken. An unknown category raises the FK error. */
export async function insertProduct(
  db: DbOrTx,
  values: ProductValues,
): Promise<ProductRecord | null> {
  const [row] = await db
    .insert(products)
    .values(values)
    .onConflictDoNothing({ target: products.sku })
    .returning(productColumns);
  return row ?? null;
}

/**
 * The changed row, or undefined when there is no live product with this id. A taken SKU or
 * an unknown category raises the constraint's error (the service maps both).
 */
export async function updateProduct(
  db: DbOrTx,
  id: string,
  changes: Partial<ProductValues>,
): Promise<ProductRecord | undefined> {
  const [row] = await db
    .update(products)
    .set({ ...changes, updatedAt: sql`now()` })
    .where(and(eq(products.id, id), live))
    .returning(productColumns);
  return row;
}

/**
 * Marks the product deleted; false only when no such product ever existed. Deleting again
 * keeps the first deletion time (coalesce), so the call is idempotent in effect, not only in
 * status code.
 */
export async function softDeleteProduct(db: DbOrTx, id: string): Promise<boolean> {
  const rows = await db
    .update(products)
    .set({ deletedAt: sql`coalesce(${products.deletedAt}, now())` })
    .where(eq(products.id, id))
    .returning({ id: products.id });
  return rows.length > 0;
}

/** Where a page starts: the sort key and id of the last row of the previous page. */
export type ProductKeyset =
  | { sort: 'newest'; createdAt: string; id: string }
  | { sort: 'price_asc' | 'price_desc'; priceMinor: number; id: string };

export interface ProductPageOptions {
  sort: ProductSort;
  /** Rows to fetch: the page size plus one, to learn whether another page follows. */
  limit: number;
  after?: ProductKeyset;
  categoryId?: string;
  minPrice?: number;
  maxPrice?: number;
  /** Each entry is one attribute filter; a row must contain at least one object of each. */
  attributes?: ProductAttributes[][];
  /** true: something can be reserved now; false: nothing can (no stock row counts as none). */
  inStock?: boolean;
}

/** A listed row with its exact sort key for the next cursor. */
export type ProductPageRow = ProductRecord & { createdAtKey: string };

// Microseconds, in UTC: a JS Date keeps milliseconds only. A cursor rounded down to the
// millisecond sits before its own row, so a descending page would skip the rows that fall
// between the rounded key and the real one; the key goes out as Postgres text instead.
const createdAtKey = sql<string>`to_char(${products.createdAt} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

// The category and every category below it. UNION (not UNION ALL) drops rows already seen,
// so even a cycle in parent_id, which nothing prevents yet, cannot make it loop forever.
const inSubtree = (categoryId: string) =>
  sql`${products.categoryId} IN (
    WITH RECURSIVE subtree(id) AS (
      SELECT id FROM ${categories} WHERE id = ${categoryId}
      UNION
      SELECT c.id FROM ${categories} c JOIN subtree s ON c.parent_id = s.id
    )
    SELECT id FROM subtree
  )`;

// A semi-join on the inventory primary key, so the keyset index walk stays the driver: each
// candidate costs one index probe and the walk still stops after limit + 1 matches. Available
// means on_hand - reserved, the same sum reservations draw on.
const hasStock = sql`EXISTS (
  SELECT 1 FROM ${inventory} i WHERE i.product_id = ${products.id} AND i.on_hand > i.reserved
)`;

// Containment (@>) is what the jsonb_path_ops GIN index answers; `attributes->>'k' = 'v'`
// would read every candidate row instead.
const containsAny = (candidates: ProductAttributes[]): SQL => {
  const parts = candidates.map((c) => sql`${products.attributes} @> ${JSON.stringify(c)}::jsonb`);
  return parts.length === 1 ? (parts[0] as SQL) : sql`(${sql.join(parts, sql` OR `)})`;
};

/**
 * The keyset page query, unexecuted, so the EXPLAIN test plans exactly what the API runs.
 * The row comparison (a, id) < (x, y) is one index condition on a two-column btree: the scan
 * starts right after the cursor instead of counting past an OFFSET.
 */
export function productPageQuery(db: DbOrTx, opts: ProductPageOptions) {
  const where: SQL[] = [listed];
  if (opts.categoryId !== undefined) where.push(inSubtree(opts.categoryId));
  if (opts.minPrice !== undefined) where.push(sql`${products.priceMinor} >= ${opts.minPrice}`);
  if (opts.maxPrice !== undefined) where.push(sql`${products.priceMinor} <= ${opts.maxPrice}`);
  for (const candidates of opts.attributes ?? []) where.push(containsAny(candidates));
  if (opts.inStock !== undefined) where.push(opts.inStock ? hasStock : sql`NOT ${hasStock}`);

  const after = opts.after;
  let orderBy: SQL[];
  if (opts.sort === 'newest') {
    orderBy = [desc(products.createdAt), desc(products.id)];
    if (after?.sort === 'newest') {
      where.push(
        sql`(${products.createdAt}, ${products.id}) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`,
      );
    }
  } else {
    const ascending = opts.sort === 'price_asc';
    orderBy = ascending
      ? [asc(products.priceMinor), asc(products.id)]
      : [desc(products.priceMinor), desc(products.id)];
    if (after !== undefined && after.sort !== 'newest') {
      const op = ascending ? sql`>` : sql`<`;
      where.push(
        sql`(${products.priceMinor}, ${products.id}) ${op} (${after.priceMinor}::integer, ${after.id}::uuid)`,
      );
    }
  }

  return db
    .select({ ...productColumns, createdAtKey })
    .from(products)
    .where(and(...where))
    .orderBy(...orderBy)
    .limit(opts.limit);
}

export async function findProductPage(
  db: DbOrTx,
  opts: ProductPageOptions,
): Promise<ProductPageRow[]> {
  return productPageQuery(db, opts);
}
