// Product image rows. Takes a Db or a transaction, never opens one.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import {
  type ProductImageRow,
  type ProductStatus,
  productImages,
  products,
} from '../../db/schema/index.ts';

/**
 * Locks a live product's row for the rest of the transaction, so image writes to one product
 * run one at a time (the count and the next position stay right). FOR NO KEY UPDATE, not FOR
 * UPDATE: it does not block the FOR KEY SHARE locks that foreign-key checks elsewhere take
 * (an order line naming this product), only other writers of the row.
 */
export async function lockLiveProduct(
  tx: DbOrTx,
  productId: string,
): Promise<{ status: ProductStatus } | undefined> {
  const [row] = await tx
    .select({ status: products.status })
    .from(products)
    .where(and(eq(products.id, productId), isNull(products.deletedAt)))
    .for('no key update');
  return row;
}

export async function findLiveProductStatus(
  db: DbOrTx,
  productId: string,
): Promise<ProductStatus | undefined> {
  const [row] = await db
    .select({ status: products.status })
    .from(products)
    .where(and(eq(products.id, productId), isNull(products.deletedAt)));
  return row?.status;
}

/** In display order; the unique (product_id, position) index serves this read. */
export async function findImages(db: DbOrTx, productId: string): Promise<ProductImageRow[]> {
  return db
    .select()
    .from(productImages)
    .where(eq(productImages.productId, productId))
    .orderBy(asc(productImages.position));
}

export async function insertImage(
  tx: DbOrTx,
  values: { productId: string; url: string; alt: string; position: number },
): Promise<ProductImageRow> {
  const [row] = await tx.insert(productImages).values(values).returning();
  return row as ProductImageRow;
}

export async function deleteImage(
  tx: DbOrTx,
  productId: string,
  imageId: string,
): Promise<boolean> {
  const rows = await tx
    .delete(productImages)
    .where(and(eq(productImages.productId, productId), eq(productImages.id, imageId)))
    .returning({ id: productImages.id });
  return rows.length > 0;
}

/**
 * Gives the images the positions 0..n-1 in the order of `ids` (all of the product's images).
 * Two statements, because the unique (product_id, position) constraint is checked row by row
 * as one UPDATE runs: swapping 0 and 1 in place would collide halfway. The first moves every
 * row clear of the target range, the second drops each into its place.
 */
export async function setImageOrder(tx: DbOrTx, productId: string, ids: string[]): Promise<void> {
  const clear = 1_000_000;
  await tx
    .update(productImages)
    .set({ position: sql`${productImages.position} + ${clear}` })
    .where(eq(productImages.productId, productId));
  await tx.execute(sql`
    UPDATE ${productImages} SET position = o.ordinality - 1
      FROM unnest(${sql.param(ids)}::uuid[]) WITH ORDINALITY AS o(id, ordinality)
     WHERE ${productImages.productId} = ${productId} AND ${productImages.id} = o.id`);
}
