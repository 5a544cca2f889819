// Stock and reservation rows. Plain rows in and out; takes a Db or a transaction, never opens
// one. Every change to stock is one conditional UPDATE: the check and the write are a single
// statement on a locked row, so no interleaving of requests can oversell (a read, then a
// write, can: ARCHITECTURE.md measured 23-29 units of 10 oversold that way).
import { and, asc, eq, inArray, isNull, lte, sql } from 'drizzle-orm';
import type { CatalogTx, DbOrTx } from '../../db/client.ts';
import {
  DEFAULT_LOW_STOCK_THRESHOLD,
  type InventoryRow,
  inventory,
  products,
  type ReservationRow,
  type ReservationStatus,
  reservationLines,
  reservations,
} from '../../db/schema/index.ts';

export interface StockLine {
  productId: string;
  quantity: number;
}

// --- stock ---------------------------------------------------------------------------------

/** A live product's stock (zeros and no updatedAt when it has no inventory row yet). */
export interface StockRecord {
  productId: string;
  onHand: number;
  reserved: number;
  updatedAt: Date | null;
}

/** What staff see and set: the stock and the product's low-stock threshold. */
export interface StaffStockRecord extends StockRecord {
  lowStockThreshold: number;
}

/** The stock of a live (not soft-deleted) product, or undefined when there is none. */
export async function findStock(
  db: DbOrTx,
  productId: string,
): Promise<StaffStockRecord | undefined> {
  const [row] = await db
    .select({
      productId: products.id,
      onHand: sql<number>`coalesce(${inventory.onHand}, 0)`.mapWith(Number),
      reserved: sql<number>`coalesce(${inventory.reserved}, 0)`.mapWith(Number),
      lowStockThreshold:
        sql<number>`coalesce(${inventory.lowStockThreshold}, ${DEFAULT_LOW_STOCK_THRESHOLD})`.mapWith(
          Number,
        ),
      updatedAt: inventory.updatedAt,
    })
    .from(products)
    .leftJoin(inventory, eq(inventory.productId, products.id))
    .where(and(eq(products.id, productId), isNull(products.deletedAt)))
    .limit(1);
  return row;
}

/**
 * Gives a live product its inventory row (nothing on hand) if it has none yet, so a staff
 * count always has a row to lock. Nothing happens for an unknown or deleted product.
 */
export async function ensureStockRow(tx: CatalogTx, productId: string): Promise<void> {
  await tx
    .insert(inventory)
    .select(
      tx
        .select({
          productId: products.id,
          onHand: sql<number>`0`.as('on_hand'),
          reserved: sql<number>`0`.as('reserved'),
          lowStockThreshold: sql<number>`${DEFAULT_LOW_STOCK_THRESHOLD}::integer`.as(
            'low_stock_threshold',
          ),
          updatedAt: sql<Date>`now()`.as('updated_at'),
        })
        .from(products)
        .where(and(eq(products.id, productId), isNull(products.deletedAt))),
    )
    .onConflictDoNothing({ target: inventory.productId });
}

/**
 * A live product's inventory row and SKU, locked FOR UPDATE until the transaction ends: what
 * a staff count changes from, with no reservation slipping in between. Undefined when there
 * is no live product (or no row: call ensureStockRow first).
 */
export async function lockStock(
  tx: CatalogTx,
  productId: string,
): Promise<(InventoryRow & { sku: string }) | undefined> {
  // The product is read in a subquery so that only the inventory row is locked: a lock on the
  // products row would wait on (and deadlock with) a reservation's foreign-key checks.
  const liveSku = tx
    .select({ sku: products.sku })
    .from(products)
    .where(and(eq(products.id, inventory.productId), isNull(products.deletedAt)));
  const [row] = await tx
    .select({
      productId: inventory.productId,
      onHand: inventory.onHand,
      reserved: inventory.reserved,
      lowStockThreshold: inventory.lowStockThreshold,
      updatedAt: inventory.updatedAt,
      sku: sql<string | null>`(${liveSku})`,
    })
    .from(inventory)
    .where(eq(inventory.productId, productId))
    .for('update');
  return row?.sku ? { ...row, sku: row.sku } : undefined;
}

/**
 * Sets the on-hand count (and the threshold, when given) of a row the caller has locked.
 * Still conditional, never below what is reserved: undefined when that would be the case.
 */
export async function setOnHand(
  tx: CatalogTx,
  productId: string,
  values: { onHand: number; lowStockThreshold?: number },
): Promise<InventoryRow | undefined> {
  const [row] = await tx
    .update(inventory)
    .set({
      onHand: values.onHand,
      ...(values.lowStockThreshold === undefined
        ? {}
        : { lowStockThreshold: values.lowStockThreshold }),
      updatedAt: sql`now()`,
    })
    .where(and(eq(inventory.productId, productId), lte(inventory.reserved, values.onHand)))
    .returning();
  return row;
}

/** A product's levels right after a change: what the low-stock check compares. */
export interface StockLevels {
  productId: string;
  onHand: number;
  reserved: number;
  lowStockThreshold: number;
}

/**
 * Holds `quantity` more of a product if that many are available, and returns the levels it
 * left; undefined when they are not available (or the product has no inventory row). Takes
 * the row lock until the transaction ends.
 */
export async function reserveStock(db: DbOrTx, line: StockLine): Promise<StockLevels | undefined> {
  const [row] = await db
    .update(inventory)
    .set({ reserved: sql`${inventory.reserved} + ${line.quantity}`, updatedAt: sql`now()` })
    .where(
      and(
        eq(inventory.productId, line.productId),
        sql`${inventory.onHand} - ${inventory.reserved} >= ${line.quantity}`,
      ),
    )
    .returning({
      productId: inventory.productId,
      onHand: inventory.onHand,
      reserved: inventory.reserved,
      lowStockThreshold: inventory.lowStockThreshold,
    });
  return row;
}

/** SKUs by product id: the low-stock event names the product both ways. */
export async function findSkus(db: DbOrTx, ids: string[]): Promise<Map<string, string>> {
  const rows = await db
    .select({ id: products.id, sku: products.sku })
    .from(products)
    .where(inArray(products.id, ids));
  return new Map(rows.map((r) => [r.id, r.sku]));
}

/** Gives a held quantity back to the available stock. */
export async function unreserveStock(db: DbOrTx, line: StockLine): Promise<void> {
  await db
    .update(inventory)
    .set({ reserved: sql`${inventory.reserved} - ${line.quantity}`, updatedAt: sql`now()` })
    .where(eq(inventory.productId, line.productId));
}

/** A held quantity leaves the warehouse: it comes off both on hand and reserved. */
export async function consumeStock(db: DbOrTx, line: StockLine): Promise<void> {
  await db
    .update(inventory)
    .set({
      onHand: sql`${inventory.onHand} - ${line.quantity}`,
      reserved: sql`${inventory.reserved} - ${line.quantity}`,
      updatedAt: sql`now()`,
    })
    .where(eq(inventory.productId, line.productId));
}

/** Which of these products exist, are active and not deleted: the ones that can be sold. */
export async function findSellableProductIds(db: DbOrTx, ids: string[]): Promise<Set<string>> {
  const rows = await db
    .select({ id: products.id })
    .from(products)
    .where(
      and(inArray(products.id, ids), eq(products.status, 'active'), isNull(products.deletedAt)),
    );
  return new Set(rows.map((r) => r.id));
}

// --- reservations --------------------------------------------------------------------------

export type ReservationRecord = ReservationRow & { lines: StockLine[] };

/**
 * A new held reservation, or null when the key is taken. If another transaction is inserting
 * the same key right now, Postgres makes this wait for it: null once it commits, the new row
 * if it rolls back. So two requests with one key never both reserve.
 */
export async function insertReservation(
  tx: CatalogTx,
  values: { reservationKey: string; clientId: string; ttlSeconds: number },
): Promise<ReservationRow | null> {
  const [row] = await tx
    .insert(reservations)
    .values({
      reservationKey: values.reservationKey,
      clientId: values.clientId,
      status: 'held',
      expiresAt: sql`now() + make_interval(secs => ${values.ttlSeconds})`,
    })
    .onConflictDoNothing({ target: [reservations.clientId, reservations.reservationKey] })
    .returning();
  return row ?? null;
}

export async function insertReservationLines(
  tx: CatalogTx,
  reservationId: string,
  lines: StockLine[],
): Promise<void> {
  await tx.insert(reservationLines).values(lines.map((l) => ({ reservationId, ...l })));
}

/** The lines of a reservation, ordered by product id: the order stock rows are locked in. */
export async function findReservationLines(
  db: DbOrTx,
  reservationId: string,
): Promise<StockLine[]> {
  return db
    .select({ productId: reservationLines.productId, quantity: reservationLines.quantity })
    .from(reservationLines)
    .where(eq(reservationLines.reservationId, reservationId))
    .orderBy(asc(reservationLines.productId));
}

async function withLines(
  db: DbOrTx,
  row: ReservationRow | undefined,
): Promise<ReservationRecord | undefined> {
  return row && { ...row, lines: await findReservationLines(db, row.id) };
}

export async function findReservationById(
  db: DbOrTx,
  id: string,
): Promise<ReservationRecord | undefined> {
  const [row] = await db.select().from(reservations).where(eq(reservations.id, id)).limit(1);
  return withLines(db, row);
}

export async function findReservationByKey(
  db: DbOrTx,
  clientId: string,
  reservationKey: string,
): Promise<ReservationRecord | undefined> {
  const [row] = await db
    .select()
    .from(reservations)
    .where(
      and(eq(reservations.clientId, clientId), eq(reservations.reservationKey, reservationKey)),
    )
    .limit(1);
  return withLines(db, row);
}

/**
 * The reservation, locked FOR UPDATE until the transaction ends: a confirm, a release and the
 * expiry sweep of one reservation take turns, and each sees the status the previous one left.
 */
export async function lockReservation(
  tx: CatalogTx,
  id: string,
): Promise<ReservationRecord | undefined> {
  const [row] = await tx
    .select()
    .from(reservations)
    .where(eq(reservations.id, id))
    .limit(1)
    .for('update');
  return withLines(tx, row);
}

export async function setReservationStatus(
  tx: CatalogTx,
  ids: string[],
  status: ReservationStatus,
): Promise<ReservationRow[]> {
  return tx
    .update(reservations)
    .set({ status, updatedAt: sql`now()` })
    .where(inArray(reservations.id, ids))
    .returning();
}

/**
 * Up to `limit` held reservations whose deadline has passed, locked. SKIP LOCKED: rows another
 * sweep (another replica) or a confirm/release holds are left to it instead of waited for, so
 * concurrent sweeps split the work and never handle one reservation twice.
 */
export async function lockExpiredReservationIds(
  tx: CatalogTx,
  now: Date,
  limit: number,
): Promise<string[]> {
  const rows = await tx
    .select({ id: reservations.id })
    .from(reservations)
    // Literal 'held', not a bound parameter: the planner can only use the partial index
    // (WHERE status = 'held') when it can prove the query implies its predicate.
    .where(and(sql`${reservations.status} = 'held'`, lte(reservations.expiresAt, now)))
    .orderBy(asc(reservations.expiresAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return rows.map((r) => r.id);
}

/** The quantities held by these reservations, summed per product, ordered by product id. */
export async function sumReservedLines(tx: CatalogTx, ids: string[]): Promise<StockLine[]> {
  return tx
    .select({
      productId: reservationLines.productId,
      quantity: sql<number>`sum(${reservationLines.quantity})`.mapWith(Number),
    })
    .from(reservationLines)
    .where(inArray(reservationLines.reservationId, ids))
    .groupBy(reservationLines.productId)
    .orderBy(asc(reservationLines.productId));
}

/**
 * The stock of each live product among `productIds`, in one statement (zeros and no
 * updatedAt for a product without an inventory row, as findStock). What GraphQL's
 * Product.stock batches a page's lookups into; ids of missing or deleted products are absent.
 */
export async function findStocks(db: DbOrTx, productIds: string[]): Promise<StockRecord[]> {
  if (productIds.length === 0) return [];
  return db
    .select({
      productId: products.id,
      onHand: sql<number>`coalesce(${inventory.onHand}, 0)`.mapWith(Number),
      reserved: sql<number>`coalesce(${inventory.reserved}, 0)`.mapWith(Number),
      updatedAt: inventory.updatedAt,
    })
    .from(products)
    .leftJoin(inventory, eq(inventory.productId, products.id))
    .where(
      and(sql`${products.id} = ANY(${sql.param(productIds)}::uuid[])`, isNull(products.deletedAt)),
    );
}
