// Cart line reads and writes. Plain rows in and out; takes a Db or a transaction, never opens
// one (carts.service.ts decides).
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type CartItemRow, cartItems } from '../../db/schema/index.ts';

/** What the cart holds for one product: all a checkout needs to price it in catalog. */
export interface CartLine {
  productId: string;
  quantity: number;
}

/**
 * Serializes the writes to one user's cart until the transaction ends: a transaction-level
 * advisory lock on a hash of the user id. Two users whose hashes collide merely wait for each
 * other. A row lock cannot do this job: an empty cart has no row to lock, and the line cap is
 * about rows that do not exist yet.
 */
export async function lockCart(tx: DbOrTx, userId: string): Promise<void> {
  await tx.execute(
    sql`SELECT pg_advisory_xact_lock(hashtextextended(${`orders.cart:${userId}`}, 0))`,
  );
}

/** Oldest first; the primary key (user_id, product_id) serves the lookup. */
export async function findCartRows(db: DbOrTx, userId: string): Promise<CartItemRow[]> {
  return db
    .select()
    .from(cartItems)
    .where(eq(cartItems.userId, userId))
    .orderBy(asc(cartItems.addedAt), asc(cartItems.productId));
}

export async function findCartLines(db: DbOrTx, userId: string): Promise<CartLine[]> {
  return db
    .select({ productId: cartItems.productId, quantity: cartItems.quantity })
    .from(cartItems)
    .where(eq(cartItems.userId, userId))
    .orderBy(asc(cartItems.addedAt), asc(cartItems.productId));
}

export async function insertCartLine(
  db: DbOrTx,
  values: { userId: string; productId: string; quantity: number },
): Promise<void> {
  await db.insert(cartItems).values(values);
}

export async function updateCartLine(
  db: DbOrTx,
  values: { userId: string; productId: string; quantity: number },
): Promise<boolean> {
  const rows = await db
    .update(cartItems)
    .set({ quantity: values.quantity, updatedAt: sql`now()` })
    .where(and(eq(cartItems.userId, values.userId), eq(cartItems.productId, values.productId)))
    .returning({ productId: cartItems.productId });
  return rows.length > 0;
}

export async function deleteCartLine(
  db: DbOrTx,
  userId: string,
  productId: string,
): Promise<boolean> {
  const rows = await db
    .delete(cartItems)
    .where(and(eq(cartItems.userId, userId), eq(cartItems.productId, productId)))
    .returning({ productId: cartItems.productId });
  return rows.length > 0;
}

/**
 * Deletes the user's lines; with `only`, just the lines still holding exactly those
 * quantities (a line changed since it was read is left alone). Returns how many went.
 */
export async function deleteCartLines(
  db: DbOrTx,
  userId: string,
  only?: readonly CartLine[],
): Promise<number> {
  if (only === undefined) {
    const rows = await db
      .delete(cartItems)
      .where(eq(cartItems.userId, userId))
      .returning({ productId: cartItems.productId });
    return rows.length;
  }
  if (only.length === 0) return 0;
  const result = await db.execute(sql`
    DELETE FROM ${cartItems}
     USING unnest(${sql.param(only.map((l) => l.productId))}::uuid[],
                  ${sql.param(only.map((l) => l.quantity))}::int[]) AS o(product_id, quantity)
     WHERE ${cartItems.userId} = ${userId}
       AND ${cartItems.productId} = o.product_id
       AND ${cartItems.quantity} = o.quantity`);
  return result.rowCount ?? 0;
}
