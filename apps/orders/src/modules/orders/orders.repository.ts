// SQL for orders, their lines and payments. Functions take a Db or a transaction; the
// service decides which. Status changes are compare-and-set: `WHERE status IN (from…)`, so two
// concurrent steps (a webhook and a customer's cancel) cannot both move the same order.
import {
  and,
  asc,
  desc,
  eq,
  getTableColumns,
  gte,
  inArray,
  lt,
  lte,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
import type { DbOrTx, OrdersDb } from '../../db/client.ts';
import {
  type OrderLineRow,
  type OrderRow,
  orderLines,
  orders,
  type PaymentRow,
  payments,
} from '../../db/schema/index.ts';
import type { OrderStatus } from './order-status.ts';

export type NewOrder = typeof orders.$inferInsert;

// Lines by SKU, byte order (COLLATE "C"): the same order the service sorts new lines in, whatever
// the database's locale.
const linesInSkuOrder = sql`${orderLines.sku} COLLATE "C"`;
export type NewOrderLine = Omit<OrderLineRow, 'orderId'>;

export interface OrderAggregate {
  order: OrderRow;
  lines: OrderLineRow[];
  payment: PaymentRow | null;
}

/** The new order, or null when this user already has an order with this idempotency key. */
export async function insertOrder(
  tx: DbOrTx,
  order: NewOrder,
  lines: NewOrderLine[],
): Promise<OrderRow | null> {
  const [row] = await tx
    .insert(orders)
    .values(order)
    .onConflictDoNothing({ target: [orders.userId, orders.idempotencyKey] })
    .returning();
  if (!row) return null;
  await tx.insert(orderLines).values(lines.map((l) => ({ ...l, orderId: row.id })));
  return row;
}

export async function findOrderIdByKey(
  db: DbOrTx,
  userId: string,
  idempotencyKey: string,
): Promise<string | null> {
  const [row] = await db
    .select({ id: orders.id })
    .from(orders)
    .where(and(eq(orders.userId, userId), eq(orders.idempotencyKey, idempotencyKey)));
  return row?.id ?? null;
}

/**
 * Moves the order from one of `from` to `to` (and sets the other fields given), in one
 * statement: a CTE locks the row and reads its status (FOR UPDATE sees the latest committed
 * version, so the status it reports is the one that was replaced), and the UPDATE applies only
 * when that status is in `from`. Returns the new row and the status it left, or null when the
 * order is not in any of `from` — someone else moved it first.
 */
export async function transitionOrder(
  tx: DbOrTx,
  id: string,
  from: readonly OrderStatus[],
  to: OrderStatus,
  patch: Partial<Pick<OrderRow, 'reservationId' | 'statusReason' | 'idempotencyKey'>> = {},
): Promise<{ row: OrderRow; previousStatus: OrderStatus } | null> {
  const prev = tx
    .$with('prev')
    .as(
      tx
        .select({ id: orders.id, status: orders.status })
        .from(orders)
        .where(eq(orders.id, id))
        .for('update'),
    );
  const [row] = await tx
    .with(prev)
    .update(orders)
    // The database's clock, not this process's: replicas' clocks differ, and the SSE stream's
    // event ids are updated_at.
    .set({ ...patch, status: to, updatedAt: sql`now()` })
    .from(prev)
    .where(and(eq(orders.id, prev.id), inArray(prev.status, [...from])))
    .returning({ ...getTableColumns(orders), previousStatus: prev.status });
  if (!row) return null;
  const { previousStatus, ...order } = row;
  return { row: order, previousStatus };
}

/** The order row alone (no lines, no payment): what the saga's steps need. */
export async function findOrderRow(db: DbOrTx, id: string): Promise<OrderRow | null> {
  const [row] = await db.select().from(orders).where(eq(orders.id, id));
  return row ?? null;
}

export async function findOrder(db: DbOrTx, id: string): Promise<OrderAggregate | null> {
  const [order] = await db.select().from(orders).where(eq(orders.id, id));
  if (!order) return null;
  const [lines, [payment]] = await Promise.all([
    db.select().from(orderLines).where(eq(orderLines.orderId, id)).orderBy(linesInSkuOrder),
    db.select().from(payments).where(eq(payments.orderId, id)),
  ]);
  return { order, lines, payment: payment ?? null };
}

export interface ListFilter {
  userId: string | null;
  status?: OrderStatus;
  createdFrom?: Date;
  createdTo?: Date;
  after?: { createdAt: Date; id: string };
  limit: number;
}

/** One page, newest first, keyset on (created_at, id): three statements whatever the size. */
export async function listOrders(db: DbOrTx, f: ListFilter): Promise<OrderAggregate[]> {
  const where: (SQL | undefined)[] = [
    f.userId === null ? undefined : eq(orders.userId, f.userId),
    f.status === undefined ? undefined : eq(orders.status, f.status),
    f.createdFrom === undefined ? undefined : gte(orders.createdAt, f.createdFrom),
    f.createdTo === undefined ? undefined : lte(orders.createdAt, f.createdTo),
    f.after === undefined
      ? undefined
      : or(
          lt(orders.createdAt, f.after.createdAt),
          and(eq(orders.createdAt, f.after.createdAt), lt(orders.id, f.after.id)),
        ),
  ];
  const page = await db
    .select()
    .from(orders)
    .where(and(...where))
    .orderBy(desc(orders.createdAt), desc(orders.id))
    .limit(f.limit);
  if (page.length === 0) return [];
  const ids = page.map((o) => o.id);
  const [lines, pays] = await Promise.all([
    db.select().from(orderLines).where(inArray(orderLines.orderId, ids)).orderBy(linesInSkuOrder),
    db.select().from(payments).where(inArray(payments.orderId, ids)),
  ]);
  return page.map((order) => ({
    order,
    lines: lines.filter((l) => l.orderId === order.id),
    payment: pays.find((p) => p.orderId === order.id) ?? null,
  }));
}

export async function insertPayment(
  tx: DbOrTx,
  payment: typeof payments.$inferInsert,
): Promise<void> {
  await tx.insert(payments).values(payment).onConflictDoNothing({ target: payments.orderId });
}

export async function setPaymentStatus(
  tx: DbOrTx,
  orderId: string,
  status: PaymentRow['status'],
  failureCode: string | null = null,
): Promise<void> {
  await tx
    .update(payments)
    .set({ status, failureCode, updatedAt: new Date() })
    .where(eq(payments.orderId, orderId));
}

export async function findPayment(db: DbOrTx, orderId: string): Promise<PaymentRow | null> {
  const [row] = await db.select().from(payments).where(eq(payments.orderId, orderId));
  return row ?? null;
}

/** Due compensations (a hold that may exist), hidden from other replicas for `leaseMs`. */
export async function claimCompensations(
  db: OrdersDb,
  limit: number,
  leaseMs: number,
): Promise<OrderRow[]> {
  const due = db
    .select({ id: orders.id })
    .from(orders)
    .where(lte(orders.compensationDueAt, sql`now()`))
    .orderBy(asc(orders.compensationDueAt))
    .limit(limit)
    .for('update', { skipLocked: true });
  return db
    .update(orders)
    .set({ compensationDueAt: sql`now() + make_interval(secs => ${leaseMs / 1000})` })
    .where(inArray(orders.id, due))
    .returning();
}

/** Due now (first try), or again after `delayMs` (catalog still down). Null: settled. */
export async function setCompensationDue(
  db: DbOrTx,
  id: string,
  delayMs: number | null,
): Promise<void> {
  await db
    .update(orders)
    .set({
      compensationDueAt:
        delayMs === null ? null : sql`now() + make_interval(secs => ${delayMs / 1000})`,
    })
    .where(eq(orders.id, id));
}

export async function findLines(db: DbOrTx, orderId: string): Promise<OrderLineRow[]> {
  return db.select().from(orderLines).where(eq(orderLines.orderId, orderId));
}

/** The order's status, with its row locked until the transaction ends (FOR UPDATE). */
export async function lockOrderStatus(tx: DbOrTx, id: string): Promise<OrderStatus | null> {
  const [row] = await tx
    .select({ status: orders.status })
    .from(orders)
    .where(eq(orders.id, id))
    .for('update');
  return row?.status ?? null;
}
