// Inventory use cases: stock counts, and reservations that hold stock for an order until it
// is confirmed, released or expires. Knows nothing of HTTP, so a worker can call it too.
// A change that takes a product below its low-stock threshold writes an event to the outbox
// in the same transaction (inventory.events.ts).
//
// Lock order, the same in every transaction here, is what keeps them from deadlocking: first
// reservation rows, then inventory rows in ascending product id. Two multi-line reservations
// that share products therefore queue for the first shared row instead of each holding one
// row the other wants.
import type { CatalogDb, CatalogTx } from '../../db/client.ts';
import type { ReservationStatus } from '../../db/schema/index.ts';
import {
  belowReserved,
  duplicateLine,
  insufficientStock,
  productNotFound,
  reservationKeyReused,
  reservationNotFound,
  reservationNotHeld,
  unknownProducts,
} from './inventory.errors.ts';
import { crossedIntoLow, emitLowStock } from './inventory.events.ts';
import {
  consumeStock,
  ensureStockRow,
  findReservationById,
  findReservationByKey,
  findSellableProductIds,
  findSkus,
  findStock,
  insertReservation,
  insertReservationLines,
  lockExpiredReservationIds,
  lockReservation,
  lockStock,
  type ReservationRecord,
  reserveStock,
  type StaffStockRecord,
  type StockLevels,
  type StockLine,
  setOnHand,
  setReservationStatus,
  sumReservedLines,
  unreserveStock,
} from './inventory.repository.ts';
import {
  DEFAULT_TTL_SECONDS,
  type NewReservation,
  type Reservation,
  type SetStock,
  type StaffStock,
} from './inventory.schemas.ts';

const toStock = (row: StaffStockRecord): StaffStock => ({
  productId: row.productId,
  onHand: row.onHand,
  reserved: row.reserved,
  available: row.onHand - row.reserved,
  lowStockThreshold: row.lowStockThreshold,
  updatedAt: row.updatedAt?.toISOString() ?? null,
});

/**
 * One low-stock event per reserved product whose hold took it below its threshold. The level
 * before is the level after plus what this line held: the row was locked in between.
 */
async function emitReservedCrossings(
  tx: CatalogTx,
  held: { line: StockLine; after: StockLevels }[],
): Promise<void> {
  const crossed = held.filter(({ line, after }) => {
    const available = after.onHand - after.reserved;
    return crossedIntoLow(
      { available: available + line.quantity, threshold: after.lowStockThreshold },
      { available, threshold: after.lowStockThreshold },
    );
  });
  if (crossed.length === 0) return;
  const skus = await findSkus(
    tx,
    crossed.map((c) => c.after.productId),
  );
  for (const { after } of crossed) {
    await emitLowStock(tx, {
      productId: after.productId,
      sku: skus.get(after.productId) ?? '',
      available: after.onHand - after.reserved,
      threshold: after.lowStockThreshold,
    });
  }
}

const toReservation = (row: ReservationRecord): Reservation => ({
  id: row.id,
  reservationKey: row.reservationKey,
  status: row.status,
  lines: row.lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
  expiresAt: row.expiresAt.toISOString(),
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

// Plain code-unit order, never localeCompare: for lower-case uuids it is Postgres's uuid
// order, so the rows are locked in the same order as by an ORDER BY product_id elsewhere.
const byProductId = (a: StockLine, b: StockLine) =>
  a.productId < b.productId ? -1 : a.productId > b.productId ? 1 : 0;

/**
 * The lines as stored: ids lower-cased (the schema accepts either case, and one uuid must not
 * pass as two products), sorted by product id. A product in two lines is a 400.
 */
function normalizeLines(lines: NewReservation['lines']): (StockLine & { index: number })[] {
  const seen = new Set<string>();
  const out = lines.map((l, index) => {
    const productId = l.productId.toLowerCase();
    if (seen.has(productId)) throw duplicateLine(index);
    seen.add(productId);
    return { productId, quantity: l.quantity, index };
  });
  return out.sort(byProductId);
}

const sameLines = (a: StockLine[], b: StockLine[]) =>
  a.length === b.length &&
  a.every((l, i) => l.productId === b[i]?.productId && l.quantity === b[i]?.quantity);

/** Gives back what these held reservations hold and marks them with their final status. */
async function endHolds(
  tx: CatalogTx,
  ids: string[],
  status: Extract<ReservationStatus, 'released' | 'expired'>,
) {
  const rows = await setReservationStatus(tx, ids, status);
  for (const line of await sumReservedLines(tx, ids)) await unreserveStock(tx, line);
  return rows;
}

type Transition =
  | { kind: 'done'; reservation: ReservationRecord }
  | { kind: 'missing' }
  | { kind: 'not-held'; status: ReservationStatus };

export function inventoryService(db: CatalogDb) {
  /**
   * Locks the caller's reservation and applies `step` to it, in one transaction. Outcomes are
   * returned, not thrown, so what the step wrote (a lapsed hold it expired) is committed
   * before the caller hears "not held".
   */
  async function transition(
    id: string,
    clientId: string,
    action: string,
    step: (tx: CatalogTx, r: ReservationRecord) => Promise<Transition>,
  ): Promise<Reservation> {
    const outcome = await db.transaction(async (tx) => {
      const r = await lockReservation(tx, id);
      if (!r || r.clientId !== clientId) return { kind: 'missing' } as const;
      return step(tx, r);
    });
    if (outcome.kind === 'missing') throw reservationNotFound(id);
    if (outcome.kind === 'not-held') throw reservationNotHeld(id, outcome.status, action);
    return toReservation(outcome.reservation);
  }

  return {
    /** A live product's stock; zeros until it is first counted. */
    async getStock(productId: string): Promise<StaffStock> {
      const row = await findStock(db, productId);
      if (!row) throw productNotFound(productId);
      return toStock(row);
    },

    /**
     * Sets the counted units on hand (and the low-stock threshold, when given); never below
     * what open reservations hold. The row is locked first, so the level it changes from is
     * exact and the low-stock check cannot miss a crossing or report one twice.
     */
    async setStock(productId: string, input: SetStock): Promise<StaffStock> {
      const outcome = await db.transaction(async (tx) => {
        await ensureStockRow(tx, productId);
        const before = await lockStock(tx, productId);
        if (!before) return { kind: 'missing' } as const;
        const row = await setOnHand(tx, productId, input);
        if (!row) return { kind: 'below', reserved: before.reserved } as const;
        const available = row.onHand - row.reserved;
        const crossed = crossedIntoLow(
          { available: before.onHand - before.reserved, threshold: before.lowStockThreshold },
          { available, threshold: row.lowStockThreshold },
        );
        if (crossed) {
          await emitLowStock(tx, {
            productId,
            sku: before.sku,
            available,
            threshold: row.lowStockThreshold,
          });
        }
        return { kind: 'done', row } as const;
      });
      if (outcome.kind === 'missing') throw productNotFound(productId);
      if (outcome.kind === 'below') throw belowReserved(productId, outcome.reserved);
      return toStock(outcome.row);
    },

    /**
     * Holds every line or none. `created` is false when the key was used before for the same
     * lines: that reservation comes back as it is now, and nothing more is held.
     */
    async reserve(
      input: NewReservation,
      clientId: string,
    ): Promise<{ reservation: Reservation; created: boolean }> {
      const lines = normalizeLines(input.lines);
      const outcome = await db.transaction(async (tx) => {
        // The reservation row first: its unique key makes a concurrent twin wait here, before
        // it touches any stock, until this transaction commits or rolls back.
        const row = await insertReservation(tx, {
          reservationKey: input.reservationKey,
          clientId,
          ttlSeconds: input.ttlSeconds ?? DEFAULT_TTL_SECONDS,
        });
        if (!row) {
          // Used before, or by a twin that has just committed: compare, never reserve again.
          const existing = await findReservationByKey(tx, clientId, input.reservationKey);
          return { created: false as const, existing };
        }

        const sellable = await findSellableProductIds(
          tx,
          lines.map((l) => l.productId),
        );
        const unknown = lines.filter((l) => !sellable.has(l.productId));
        if (unknown.length > 0) throw unknownProducts(unknown.sort((a, b) => a.index - b.index));

        // The lines before the stock: a hot product's row lock is then held only from its
        // UPDATE to the commit, not across another round trip.
        await insertReservationLines(
          tx,
          row.id,
          lines.map(({ productId, quantity }) => ({ productId, quantity })),
        );

        // Every line is tried, so the 409 names all the short ones; the throw then rolls back
        // whatever the others held, and the reservation row and lines with them.
        const short: string[] = [];
        const held: { line: StockLine; after: StockLevels }[] = [];
        for (const line of lines) {
          const after = await reserveStock(tx, line);
          if (after) held.push({ line, after });
          else short.push(line.productId);
        }
        if (short.length > 0) throw insufficientStock(short);
        // Only a reservation that holds every line gets this far: a refused one emits nothing.
        await emitReservedCrossings(tx, held);
        return { created: true as const, reservation: { ...row, lines } };
      });

      if (outcome.created) {
        return { reservation: toReservation(outcome.reservation), created: true };
      }
      const existing = outcome.existing;
      // Never undefined in practice (reservations are not deleted); a vanished row is a bug.
      if (!existing) {
        throw new Error(`reservation key ${input.reservationKey} conflicted but is gone`);
      }
      if (!sameLines(existing.lines, lines)) {
        throw reservationKeyReused(input.reservationKey);
      }
      return { reservation: toReservation(existing), created: false };
    },

    async get(id: string, clientId: string): Promise<Reservation> {
      const r = await findReservationById(db, id);
      if (!r || r.clientId !== clientId) throw reservationNotFound(id);
      return toReservation(r);
    },

    /** held → confirmed: the units leave stock for good. Confirming again changes nothing. */
    async confirm(id: string, clientId: string): Promise<Reservation> {
      return transition(id, clientId, 'confirmed', async (tx, r) => {
        if (r.status === 'confirmed') return { kind: 'done', reservation: r };
        if (r.status !== 'held') return { kind: 'not-held', status: r.status };
        // Past its deadline but not swept yet: it is expired, whatever the sweep's timing.
        if (r.expiresAt.getTime() <= Date.now()) {
          await endHolds(tx, [r.id], 'expired');
          return { kind: 'not-held', status: 'expired' };
        }
        const [row] = await setReservationStatus(tx, [r.id], 'confirmed');
        // On hand and reserved drop together, so available does not move: no low-stock check.
        for (const line of r.lines) await consumeStock(tx, line);
        return { kind: 'done', reservation: { ...r, ...row } };
      });
    },

    /**
     * held → released: the units are available again. Releasing a released or expired
     * reservation changes nothing (the stock is back already); a confirmed one is a 409.
     */
    async release(id: string, clientId: string): Promise<Reservation> {
      return transition(id, clientId, 'released', async (tx, r) => {
        if (r.status === 'released' || r.status === 'expired') {
          return { kind: 'done', reservation: r };
        }
        if (r.status !== 'held') return { kind: 'not-held', status: r.status };
        const [row] = await endHolds(tx, [r.id], 'released');
        return { kind: 'done', reservation: { ...r, ...row } };
      });
    },
  };
}

export type InventoryService = ReturnType<typeof inventoryService>;

/** Reservations expired per transaction: short transactions, short row locks. */
const EXPIRY_BATCH = 100;

/**
 * Turns held reservations whose deadline is at or before `now` into expired ones and gives
 * their units back; returns how many. Safe to run at once from several replicas: each batch
 * locks its reservations with SKIP LOCKED, so two sweeps never take the same one, and neither
 * waits on one a confirm or release holds.
 */
export async function expireReservations(db: CatalogDb, now: Date): Promise<number> {
  let total = 0;
  for (;;) {
    const expired = await db.transaction(async (tx) => {
      const ids = await lockExpiredReservationIds(tx, now, EXPIRY_BATCH);
      if (ids.length > 0) await endHolds(tx, ids, 'expired');
      return ids.length;
    });
    total += expired;
    if (expired < EXPIRY_BATCH) return total;
  }
}

/** What the sweep logs through (the app's pino logger fits). */
export interface SweepLogger {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

/**
 * Runs expireReservations every `intervalMs` in this process until stop(). A stopgap: the
 * jobs service will run the sweep as a repeatable job, and then the catalog app stops
 * starting this one (RESERVATION_EXPIRY_INTERVAL_MS=0 turns it off already).
 */
export function startExpirySweep(
  db: CatalogDb,
  opts: { intervalMs: number; log: SweepLogger },
): { stop(): Promise<void> } {
  let running: Promise<void> | null = null;
  const tick = () => {
    // A sweep slower than the interval is not stacked upon by the next tick.
    if (running) return;
    running = expireReservations(db, new Date())
      .then((expired) => {
        if (expired > 0) opts.log.info({ expired }, 'reservations expired');
      })
      .catch((err: unknown) => opts.log.error({ err }, 'reservation expiry failed'))
      .finally(() => {
        running = null;
      });
  };
  // unref: the timer alone never keeps the process alive.
  const timer = setInterval(tick, opts.intervalMs).unref();
  return {
    async stop() {
      clearInterval(timer);
      // A sweep in flight finishes before the pool it uses is closed.
      await running;
    },
  };
}
