// Product use cases. Knows nothing of HTTP, so a worker or a script can call it too.
import type { Cache } from '@meridian/cache';
import { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgError } from '@meridian/db';
import { AppError, conflict, notFound } from '@meridian/errors';
import type { CatalogDb } from '../../db/client.ts';
import type { ProductAttributes } from '../../db/schema/index.ts';
import { badCursor, decodeCursor, encodeCursor } from '../cursor.ts';
import { productCacheKey } from './products.cache.ts';
import {
  findProductById,
  findProductPage,
  insertProduct,
  type ProductKeyset,
  type ProductPageRow,
  type ProductRecord,
  softDeleteProduct,
  updateProduct,
} from './products.repository.ts';
import {
  DEFAULT_LIMIT,
  DEFAULT_SORT,
  MAX_ATTRIBUTE_FILTERS,
  MAX_PRICE_MINOR,
  type NewProduct,
  type Product,
  type ProductChanges,
  type ProductListQuery,
  type ProductSort,
} from './products.schemas.ts';

const toProduct = (row: ProductRecord): Product => ({
  id: row.id,
  sku: row.sku,
  name: row.name,
  description: row.description,
  priceMinor: row.priceMinor,
  currency: row.currency,
  attributes: row.attributes,
  status: row.status,
  categoryId: row.categoryId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const skuTaken = (sku: string) =>
  conflict('sku-taken', `A product with SKU "${sku}" already exists.`);

const unknownCategory = (categoryId: string) =>
  new AppError({
    status: 422,
    code: 'unknown-category',
    detail: `Category ${categoryId} does not exist.`,
    errors: [{ in: 'body', pointer: '/categoryId', detail: 'does not exist' }],
  });

const productNotFound = (id: string) => notFound(`Product ${id} does not exist.`);

const invalidQuery = (pointer: string, detail: string) =>
  new AppError({
    status: 400,
    code: 'validation-failed',
    title: 'Validation failed',
    detail: 'Invalid request querystring; see errors.',
    errors: [{ in: 'querystring', pointer, detail }],
  });

// --- cursors ------------------------------------------------------------------------------
// A cursor is base64url JSON of { s: sort, k: sort key, id }. It is opaque to clients but not
// signed: it grants nothing, since any key it holds only moves where a public listing starts.
// It is still checked strictly, so a garbled one is a clear 400, never a 500 or a wrong page.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MICROS_UTC = /^[1-9]\d{3}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

/** A real UTC instant with microseconds: Date.parse alone takes 02-30 as 03-02. */
function isInstant(k: string): boolean {
  const ms = Date.parse(k);
  return (
    MICROS_UTC.test(k) &&
    !Number.isNaN(ms) &&
    new Date(ms).toISOString().slice(0, 23) === k.slice(0, 23)
  );
}

function encodeProductCursor(sort: ProductSort, row: ProductPageRow): string {
  const k = sort === 'newest' ? row.createdAtKey : row.priceMinor;
  return encodeCursor({ s: sort, k, id: row.id });
}

function decodeProductCursor(cursor: string, sort: ProductSort): ProductKeyset {
  const { s, k, id } = decodeCursor(cursor, ['s', 'k', 'id']);
  if (typeof id !== 'string' || !UUID.test(id)) throw badCursor();
  if (s !== sort) {
    throw badCursor('The cursor belongs to another sort order; start again without a cursor.');
  }
  if (sort === 'newest') {
    if (typeof k !== 'string' || !isInstant(k)) throw badCursor();
    return { sort, createdAt: k, id };
  }
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > MAX_PRICE_MINOR)
    throw badCursor();
  return { sort, priceMinor: k, id };
}

// --- attribute filters --------------------------------------------------------------------
// `attr.ram_gb=16` arrives as text, while the stored value may be the number 16; a value
// that is the canonical text of a number or boolean matches either form.
function attributeCandidates(key: string, raw: string): ProductAttributes[] {
  const candidates: ProductAttributes[] = [{ [key]: raw }];
  if (raw === 'true' || raw === 'false') candidates.push({ [key]: raw === 'true' });
  else if (raw.trim() !== '' && String(Number(raw)) === raw)
    candidates.push({ [key]: Number(raw) });
  return candidates;
}

/** The list query as it arrives: the declared fields plus any `attr.<key>` filters. */
export type ProductListInput = ProductListQuery & { [filter: `attr.${string}`]: string };

export interface ProductServiceOptions {
  /**
   * Cache-aside for get(). Every write below invalidates it; a writer that bypasses this
   * service (a script, raw SQL) must invalidate too, or readers see the old product for up
   * to the cache's TTL.
   */
  cache?: Cache;
}

export function productService(db: CatalogDb, { cache }: ProductServiceOptions = {}) {
  // What the cache holds for an id: the product as GET returns it, whatever its status (the
  // draft rule depends on the caller, so it is applied after the cache, never baked into
  // it), or null when there is no live product (a negative result: unknown and deleted ids
  // do not reach the database on every request). Already JSON-shaped (ISO dates), so a
  // value from Redis is the same representation as one from the database.
  const load = async (id: string): Promise<Product | null> => {
    const row = await findProductById(db, id);
    return row ? toProduct(row) : null;
  };

  // After the write has committed (each write is one autocommitted statement) and before
  // the caller gets its answer: once a write returns, no instance serves the old value.
  // A failed invalidation (Redis down) is logged by the cache and does not fail the write:
  // the row is already changed, and the TTLs bound how long a stale copy can live.
  const invalidate = async (id: string): Promise<void> => {
    await cache?.invalidate(productCacheKey(id));
  };

  return {
    /** A live product; a draft only when the caller may edit the catalog. */
    async get(id: string, opts: { includeDrafts: boolean }): Promise<Product> {
      const product = cache ? await cache.get(productCacheKey(id), () => load(id)) : await load(id);
      if (!product || (product.status === 'draft' && !opts.includeDrafts)) {
        throw productNotFound(id);
      }
      // A cached value is shared with other requests: returned for serialization only.
      return product;
    },

    /**
     * Several products by id in one call (orders prices a cart with it): each through the same
     * cache as GET /products/:id, so a warm lookup touches neither Redis nor Postgres.
     */
    async lookup(
      ids: readonly string[],
      opts: { includeDrafts: boolean },
    ): Promise<{ items: Product[]; missing: string[] }> {
      const unique = [...new Set(ids.map((id) => id.toLowerCase()))];
      const found = await Promise.all(
        unique.map((id) => (cache ? cache.get(productCacheKey(id), () => load(id)) : load(id))),
      );
      const items: Product[] = [];
      const missing: string[] = [];
      unique.forEach((id, i) => {
        const product = found[i];
        if (product && (product.status !== 'draft' || opts.includeDrafts)) items.push(product);
        else missing.push(id);
      });
      return { items, missing };
    },

    async create(input: NewProduct): Promise<Product> {
      let row: ProductRecord | null;
      try {
        // The foreign key checks the category in the same statement: no window between a
        // lookup and the insert for the category to disappear in.
        row = await insertProduct(db, {
          sku: input.sku,
          name: input.name,
          description: input.description ?? null,
          priceMinor: input.priceMinor,
          currency: input.currency,
          attributes: input.attributes ?? {},
          status: input.status ?? 'draft',
          categoryId: input.categoryId,
        });
      } catch (err) {
        if (pgError(err).code === PG_FOREIGN_KEY_VIOLATION) throw unknownCategory(input.categoryId);
        throw err;
      }
      if (!row) throw skuTaken(input.sku);
      // Ids are generated by the database, so none can have been read (and cached as null)
      // before; invalidating anyway keeps negative caching safe should ids ever come from
      // clients or a restore bring a row back.
      await invalidate(row.id);
      return toProduct(row);
    },

    async update(id: string, changes: ProductChanges): Promise<Product> {
      let row: ProductRecord | undefined;
      try {
        row = await updateProduct(db, id, changes);
      } catch (err) {
        const { code, constraint } = pgError(err);
        if (code === PG_FOREIGN_KEY_VIOLATION && changes.categoryId !== undefined) {
          throw unknownCategory(changes.categoryId);
        }
        if (code === PG_UNIQUE_VIOLATION && constraint === 'products_sku_unique' && changes.sku) {
          throw skuTaken(changes.sku);
        }
        throw err;
      }
      if (!row) throw productNotFound(id);
      await invalidate(id);
      return toProduct(row);
    },

    /** Soft delete; deleting a deleted product again succeeds too. */
    async remove(id: string): Promise<void> {
      if (!(await softDeleteProduct(db, id))) throw productNotFound(id);
      await invalidate(id);
    },

    /** One page of active products, and the cursor of the next page (null on the last). */
    async list(query: ProductListInput): Promise<{ items: Product[]; nextCursor: string | null }> {
      // Validation fills in both defaults; the fallbacks only serve callers that skip it.
      const sort = query.sort ?? DEFAULT_SORT;
      const limit = query.limit ?? DEFAULT_LIMIT;
      if (
        query.minPrice !== undefined &&
        query.maxPrice !== undefined &&
        query.minPrice > query.maxPrice
      ) {
        throw invalidQuery('/minPrice', 'must be <= maxPrice');
      }
      const filters = Object.entries(query).filter(
        (entry): entry is [string, string] =>
          entry[0].startsWith('attr.') && typeof entry[1] === 'string',
      );
      if (filters.length > MAX_ATTRIBUTE_FILTERS) {
        throw invalidQuery(
          `/${filters[MAX_ATTRIBUTE_FILTERS]?.[0]}`,
          `at most ${MAX_ATTRIBUTE_FILTERS} attribute filters`,
        );
      }
      const attributes = filters.map(([name, value]) =>
        attributeCandidates(name.slice('attr.'.length), value),
      );

      // One row more than the page tells whether another page follows, without a COUNT.
      const rows = await findProductPage(db, {
        sort,
        limit: limit + 1,
        after: query.cursor === undefined ? undefined : decodeProductCursor(query.cursor, sort),
        categoryId: query.categoryId,
        minPrice: query.minPrice,
        maxPrice: query.maxPrice,
        attributes,
        inStock: query.inStock,
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      return {
        items: page.map(toProduct),
        nextCursor: rows.length > limit && last ? encodeProductCursor(sort, last) : null,
      };
    },
  };
}

export type ProductService = ReturnType<typeof productService>;
