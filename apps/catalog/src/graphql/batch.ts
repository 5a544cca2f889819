// Batched reads for GraphQL's per-product fields: many ids in, one statement out. The REST
// routes read one product's category or stock at a time; a GraphQL page asks for them for
// every product at once, and the DataLoaders in resolvers.ts gather those asks into one call
// here. Knows nothing of HTTP or GraphQL, like the module services it sits beside.
import type { CatalogDb } from '../db/client.ts';
import { findCategoriesByIds } from '../modules/categories/categories.repository.ts';
import type { Category } from '../modules/categories/categories.schemas.ts';
import { findStocks } from '../modules/inventory/inventory.repository.ts';
import type { Stock } from '../modules/inventory/inventory.schemas.ts';

export function batchReads(db: CatalogDb) {
  return {
    /** The categories with these ids, by id (one statement); unknown ids are absent. */
    async categoriesByIds(ids: readonly string[]): Promise<Map<string, Category>> {
      const rows = await findCategoriesByIds(db, [...new Set(ids)]);
      return new Map(
        rows.map((row) => [
          row.id,
          {
            id: row.id,
            parentId: row.parentId,
            slug: row.slug,
            name: row.name,
            createdAt: row.createdAt.toISOString(),
          },
        ]),
      );
    },

    /** Each live product's stock, by product id (one statement), shaped as REST's Stock. */
    async stockByProductIds(ids: readonly string[]): Promise<Map<string, Stock>> {
      const rows = await findStocks(db, [...new Set(ids)]);
      return new Map(
        rows.map((row) => [
          row.productId,
          {
            productId: row.productId,
            onHand: row.onHand,
            reserved: row.reserved,
            available: row.onHand - row.reserved,
            updatedAt: row.updatedAt?.toISOString() ?? null,
          },
        ]),
      );
    },
  };
}

export type BatchReads = ReturnType<typeof batchReads>;
