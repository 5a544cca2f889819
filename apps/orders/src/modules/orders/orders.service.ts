// The checkout saga and everything else that moves an order. Each step is its own short
// transaction that changes the order's status and writes its event to the outbox together;
// no network call happens inside a transaction. When a later step fails, earlier ones are
// compensated (a held reservation released) and the order ends in a terminal status that
// says why. Diagrams of every path: docs/sagas.md.
import { randomUUID } from 'node:crypto';
import { AppError } from '@meridian/errors';
import { writeOutbox } from '@meridian/outbox';
import {
  InvalidPaymentRequestError,
  type PaymentEvent,
  type PaymentProvider,
  PaymentStateError,
  UnknownPaymentMethodError,
} from '@meridian/payments';
import { ORDER_CREATED, ORDER_STATUS_CHANGED, orderEvents } from '@meridian/queues';
import { and, eq } from 'drizzle-orm';
import {
  type CatalogClient,
  InsufficientStockError,
  ReservationNotHeldError,
} from '../../clients/catalog.ts';
import type { OrdersDb, OrdersTx } from '../../db/client.ts';
import { type OrderRow, outbox, shippingMethods } from '../../db/schema/index.ts';
import { recordEvent } from '../payments/payment-events.repository.ts';
import { canTransition, type OrderStatus, predecessorsOf } from './order-status.ts';
import {
  claimCompensations,
  findLines,
  findOrder,
  findOrderIdByKey,
  findOrderRow,
  insertOrder,
  insertPayment,
  listOrders,
  lockOrderStatus,
  type NewOrderLine,
  type OrderAggregate,
  setCompensationDue,
  setPaymentStatus,
  transitionOrder,
} from './orders.repository.ts';
import type { CreateOrder, ListOrdersQuery, Order } from './orders.schemas.ts';

/** The cart as checkout needs it; the carts module provides it. */
export interface CartSource {
  listItems(userId: string): Promise<{ productId: string; quantity: number }[]>;
  /** Deletes the lines checkout read (`only`), keeping any the customer changed meanwhile. */
  clear(
    userId: string,
    tx: OrdersTx,
    only?: readonly { productId: string; quantity: number }[],
  ): Promise<unknown>;
}

/** A status change, for the real-time hub (best effort, after commit). */
export interface StatusChange {
  orderId: string;
  userId: string;
  status: OrderStatus;
  previousStatus: OrderStatus;
  reason: string | null;
  occurredAt: string;
}

export interface OrdersServiceDeps {
  db: OrdersDb;
  catalog: CatalogClient;
  payments: PaymentProvider;
  carts: CartSource;
  reservationTtlSeconds: number;
  /** Called after each committed status change (the SSE hub); errors are logged, not thrown. */
  onStatusChange?: (change: StatusChange) => Promise<void>;
  /** Called when a compensation became due, so the compensator runs now, not at its next tick. */
  onCompensationDue?: () => void;
  /** Called when a payment event was stored in the inbox, so it is processed now. */
  onPaymentEventStored?: () => void;
  log: { warn(obj: object, msg: string): void; error(obj: object, msg: string): void };
}

export interface Viewer {
  userId: string | null;
  canReadAny: boolean;
}

const MAX_LINE_TOTAL = 2_147_483_647;

/** What a status change may set besides the status. */
interface OrderPatch {
  reservationId?: string;
  statusReason?: string | null;
  /**
   * null frees the order's Idempotency-Key: set when the answer is a 503 or a 409 (which the
   * key store does not keep either), so a retry with the same key runs a new checkout.
   */
  idempotencyKey?: null;
}

const orderNotFound = () =>
  new AppError({ status: 404, code: 'order-not-found', detail: 'No such order.' });

export function ordersService(deps: OrdersServiceDeps) {
  const { db, catalog, payments, carts, log } = deps;

  async function announce(change: StatusChange | undefined) {
    if (!change || !deps.onStatusChange) return;
    try {
      await deps.onStatusChange(change);
    } catch (err) {
      log.warn({ err, orderId: change.orderId }, 'status change not broadcast');
    }
  }

  /**
   * Moves an order to `to` in its own transaction, whatever status it has now, if that move
   * is allowed; null when it is not (already terminal, or moved by someone else).
   */
  async function moveById(
    id: string,
    to: OrderStatus,
    patch: OrderPatch = {},
    inTx?: (tx: OrdersTx) => Promise<unknown>,
    /** The HTTP request behind this change, if any: carried in the event for the job logs. */
    requestId?: string,
  ): Promise<OrderRow | null> {
    const result = await db.transaction(async (tx) => {
      // One statement moves it (compare-and-set on the statuses that may precede `to`) and
      // says which status it left; the event goes in the same transaction.
      const moved = await transitionOrder(tx, id, predecessorsOf(to), to, patch);
      if (!moved) return null;
      const { row, previousStatus } = moved;
      const change: StatusChange = {
        orderId: row.id,
        userId: row.userId,
        status: to,
        previousStatus,
        reason: row.statusReason,
        occurredAt: row.updatedAt.toISOString(),
      };
      const eventId = randomUUID();
      await writeOutbox(tx, outbox, {
        contract: orderEvents,
        name: ORDER_STATUS_CHANGED,
        id: eventId,
        payload: {
          eventId,
          orderId: row.id,
          userId: row.userId,
          from: previousStatus,
          to,
          ...(row.statusReason ? { reason: row.statusReason } : {}),
          occurredAt: change.occurredAt,
          ...(requestId ? { requestId } : {}),
        },
      });
      if (inTx) await inTx(tx);
      return { row, change };
    });
    await announce(result?.change);
    return result?.row ?? null;
  }

  async function view(id: string): Promise<Order> {
    const agg = await findOrder(db, id);
    if (!agg) throw orderNotFound();
    return toOrder(agg);
  }

  // The answer a checkout gives for an order in this state: the same whether it is the first
  // request or a retry that found the order by its key.
  async function outcome(id: string): Promise<{ status: 201; order: Order }> {
    const order = await view(id);
    if (order.status === 'cancelled' && order.statusReason === 'out-of-stock') {
      throw new AppError({
        status: 409,
        code: 'insufficient-stock',
        detail: 'Some items are no longer in stock in the quantities in your cart.',
        extensions: { orderId: id },
      });
    }
    return { status: 201, order };
  }

  // Releases a hold now if catalog answers; otherwise leaves it to the compensator, which
  // retries until catalog confirms nothing is held for this order.
  async function releaseOrCompensate(orderId: string, reservationId: string, requestId?: string) {
    try {
      await catalog.release(reservationId, requestId);
    } catch (err) {
      if (err instanceof ReservationNotHeldError) return;
      log.warn({ err, orderId, reservationId }, 'release failed; the compensator will retry');
      await setCompensationDue(db, orderId, 0);
      deps.onCompensationDue?.();
    }
  }

  /**
   * Makes sure catalog holds nothing for a cancelled or failed order. Without a known
   * reservation id, it asks catalog for the hold by its key (the order id): reserve is
   * idempotent by key, so this returns the hold if one was made, or makes one that is
   * released at once, or is refused because nothing could be held — in every case nothing
   * stays held. Never touches an order that is paid or still awaiting payment.
   */
  async function compensate(order: OrderRow): Promise<void> {
    if (order.status !== 'cancelled' && order.status !== 'payment_failed') {
      await setCompensationDue(db, order.id, null);
      return;
    }
    try {
      let reservationId = order.reservationId;
      if (!reservationId) {
        const lines = await findLines(db, order.id);
        try {
          const hold = await catalog.reserve({
            reservationKey: order.id,
            lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
            ttlSeconds: 30,
          });
          reservationId = hold.id;
        } catch (err) {
          if (!(err instanceof InsufficientStockError)) throw err;
        }
      }
      if (reservationId) {
        try {
          await catalog.release(reservationId);
        } catch (err) {
          if (!(err instanceof ReservationNotHeldError)) throw err;
        }
      }
      await setCompensationDue(db, order.id, null);
    } catch (err) {
      log.warn({ err, orderId: order.id }, 'compensation failed; retrying in 5 s');
      await setCompensationDue(db, order.id, 5_000);
    }
  }

  return {
    view,

    /** The order's owner and status, for the real-time stream's access check and first event. */
    async statusOf(id: string) {
      const agg = await findOrder(db, id);
      if (!agg) return null;
      const { order } = agg;
      return {
        id: order.id,
        userId: order.userId,
        status: order.status,
        updatedAt: order.updatedAt.toISOString(),
      };
    },

    /** One batch of due compensations (the compensator poller); returns how many it took. */
    async compensateDue(limit: number): Promise<number> {
      const due = await claimCompensations(db, limit, 30_000);
      for (const order of due) await compensate(order);
      return due.length;
    },

    /** Checkout: the whole saga, up to the payment's creation. */
    async placeOrder(
      userId: string,
      input: CreateOrder,
      idempotencyKey: string | null,
      requestId?: string,
    ): Promise<{ status: 201; order: Order }> {
      // A retry that slipped past the key store (a crash after the order committed) finds its
      // order here, before the cart (cleared by then) could answer cart-empty.
      if (idempotencyKey) {
        const existing = await findOrderIdByKey(db, userId, idempotencyKey);
        if (existing) return outcome(existing);
      }

      // 1. Read everything from outside first: nothing is written if catalog is down.
      const items = await carts.listItems(userId);
      if (items.length === 0) {
        throw new AppError({ status: 422, code: 'cart-empty', detail: 'Your cart is empty.' });
      }
      const [method] = await db
        .select()
        .from(shippingMethods)
        .where(
          and(eq(shippingMethods.code, input.shippingMethod), eq(shippingMethods.active, true)),
        );
      if (!method) {
        throw new AppError({
          status: 422,
          code: 'unknown-shipping-method',
          detail: `No active shipping method "${input.shippingMethod}".`,
          errors: [
            { in: 'body', pointer: '/shippingMethod', detail: 'not an active shipping method' },
          ],
        });
      }
      const products = await catalog.getProducts(
        items.map((i) => i.productId),
        requestId,
      );
      const missing = items.filter((i) => !products.has(i.productId)).map((i) => i.productId);
      if (missing.length > 0) {
        throw new AppError({
          status: 422,
          code: 'product-unavailable',
          detail: `No longer for sale: ${missing.join(', ')}. Remove them from your cart.`,
          extensions: { productIds: missing },
        });
      }
      const lines: NewOrderLine[] = items.map((i) => {
        const p = products.get(i.productId) as NonNullable<ReturnType<typeof products.get>>;
        return {
          productId: p.id,
          sku: p.sku,
          name: p.name,
          unitPriceMinor: p.priceMinor,
          currency: p.currency,
          quantity: i.quantity,
          lineTotalMinor: p.priceMinor * i.quantity,
        };
      });
      const currencies = new Set([...lines.map((l) => l.currency), method.currency]);
      if (currencies.size > 1) {
        throw new AppError({
          status: 422,
          code: 'currency-mismatch',
          detail: `An order is paid in one currency; this one mixes ${[...currencies].join(', ')}.`,
        });
      }
      const itemsTotal = lines.reduce((sum, l) => sum + l.lineTotalMinor, 0);
      if (itemsTotal + method.priceMinor > MAX_LINE_TOTAL) {
        throw new AppError({
          status: 422,
          code: 'order-too-large',
          detail: 'The order total is larger than one order can be; split it.',
        });
      }

      // 2. The order, pending, with its lines and its event.
      const created = await db.transaction(async (tx) => {
        const row = await insertOrder(
          tx,
          {
            userId,
            currency: method.currency,
            itemsTotalMinor: itemsTotal,
            shippingMethod: method.code,
            shippingMinor: method.priceMinor,
            totalMinor: itemsTotal + method.priceMinor,
            idempotencyKey,
          },
          lines,
        );
        if (!row) return null;
        const eventId = randomUUID();
        await writeOutbox(tx, outbox, {
          contract: orderEvents,
          name: ORDER_CREATED,
          id: eventId,
          payload: {
            eventId,
            orderId: row.id,
            userId,
            currency: row.currency,
            totalMinor: row.totalMinor,
            lines: lines.map(({ productId, sku, name, quantity, unitPriceMinor }) => ({
              productId,
              sku,
              name,
              quantity,
              unitPriceMinor,
            })),
            occurredAt: row.createdAt.toISOString(),
            ...(requestId ? { requestId } : {}),
          },
        });
        return row;
      });
      if (!created) {
        // A concurrent request with the same key won the insert.
        const existing = await findOrderIdByKey(db, userId, idempotencyKey as string);
        return outcome(existing as string);
      }

      // 3. Hold the stock. The order id is the reservation key, so a retried call (a lost
      //    answer, a timeout) is the same hold, never a second one.
      let reservationId: string;
      try {
        const reservation = await catalog.reserve(
          {
            reservationKey: created.id,
            lines: lines.map((l) => ({ productId: l.productId, quantity: l.quantity })),
            ttlSeconds: deps.reservationTtlSeconds,
          },
          requestId,
        );
        reservationId = reservation.id;
      } catch (err) {
        if (err instanceof InsufficientStockError) {
          await moveById(
            created.id,
            'cancelled',
            { statusReason: 'out-of-stock', idempotencyKey: null },
            undefined,
            requestId,
          );
          return outcome(created.id);
        }
        // Catalog went away between the price read and the reservation (or answered
        // nonsense), and whether it held anything is unknown: the order ends cancelled with a
        // compensation due, which releases any hold by its key. The customer gets the 503.
        // Should the order have been cancelled meanwhile, the compensation is due all the same.
        const moved = await moveById(
          created.id,
          'cancelled',
          { statusReason: 'catalog-unavailable', idempotencyKey: null },
          (tx) => setCompensationDue(tx, created.id, 0),
          requestId,
        );
        if (!moved) await setCompensationDue(db, created.id, 0);
        deps.onCompensationDue?.();
        throw err;
      }

      // 4. Stock held: awaiting payment.
      const awaiting = await moveById(
        created.id,
        'awaiting_payment',
        { reservationId },
        undefined,
        requestId,
      );
      if (!awaiting) {
        await releaseOrCompensate(created.id, reservationId, requestId);
        return outcome(created.id);
      }

      // 5. The payment. The provider's idempotency key is the order id too.
      let result: Awaited<ReturnType<PaymentProvider['createPayment']>>;
      try {
        result = await payments.createPayment({
          orderId: created.id,
          amount: created.totalMinor,
          currency: created.currency,
          paymentMethod: input.paymentMethod,
          idempotencyKey: created.id,
        });
      } catch (err) {
        // Cancel first, then release: a release that falls back to the compensator must find
        // the order already cancelled, or it would leave the hold alone.
        const invalid =
          err instanceof UnknownPaymentMethodError || err instanceof InvalidPaymentRequestError;
        const reason = invalid ? 'invalid-payment-method' : 'payment-provider-unavailable';
        await moveById(
          created.id,
          'cancelled',
          { statusReason: reason, ...(invalid ? {} : { idempotencyKey: null }) },
          undefined,
          requestId,
        );
        await releaseOrCompensate(created.id, reservationId, requestId);
        if (invalid) {
          throw new AppError({
            status: 422,
            code: 'invalid-payment-method',
            detail: (err as Error).message,
            errors: [
              {
                in: 'body',
                pointer: '/paymentMethod',
                detail: 'not a payment method the provider accepts',
              },
            ],
          });
        }
        throw new AppError({
          status: 503,
          code: 'payment-provider-unavailable',
          detail: 'The payment provider did not answer; nothing was charged. Try again.',
          headers: { 'retry-after': '5' },
          cause: err,
        });
      }
      // The payment exists: record it, and the cart has become this order (only the lines
      // checkout read; anything added meanwhile stays). Until here a failure kept the cart.
      const statusNow = await db.transaction(async (tx) => {
        // Locked, so a cancel that came in while the provider was answering is either done
        // (and seen here) or waits until this commits (and then cancels the recorded payment).
        const status = await lockOrderStatus(tx, created.id);
        await insertPayment(tx, {
          orderId: created.id,
          provider: payments.name,
          providerPaymentId: result.providerPaymentId,
          status: 'pending',
          amountMinor: created.totalMinor,
          currency: created.currency,
        });
        if (status !== 'awaiting_payment') return status;
        await carts.clear(userId, tx, items);
        // Some providers (Stripe) may know the outcome at once. It goes through the inbox like
        // a webhook, so a catalog hiccup while confirming is retried there instead of turning
        // into a 5xx for an order that was placed; the provider's own webhook is then a no-op.
        if (result.status !== 'pending') {
          const type = result.status === 'succeeded' ? 'payment.succeeded' : 'payment.failed';
          const id = `immediate:${result.providerPaymentId}`;
          await recordEvent(tx, {
            id,
            provider: payments.name,
            type,
            providerPaymentId: result.providerPaymentId,
            payload: {
              id,
              type,
              providerPaymentId: result.providerPaymentId,
              orderId: created.id,
              amount: created.totalMinor,
              currency: created.currency,
              ...(result.failureCode ? { failureCode: result.failureCode } : {}),
              occurredAt: new Date().toISOString(),
            },
          });
        }
        return status;
      });
      if (statusNow !== 'awaiting_payment') {
        // Cancelled while the payment was being created: cancel the payment too (a success
        // that beats this is refunded when its event arrives), and answer with the order.
        try {
          await payments.cancelPayment(result.providerPaymentId);
          await db.transaction((tx) => setPaymentStatus(tx, created.id, 'canceled'));
        } catch (err) {
          log.warn({ err, orderId: created.id }, 'payment of a cancelled order not cancelled');
        }
        return outcome(created.id);
      }
      if (result.status !== 'pending') deps.onPaymentEventStored?.();
      // The answer from what this request already holds: no need to read the order back.
      return {
        status: 201,
        order: toOrder({
          order: awaiting,
          lines: lines
            .map((l) => ({ ...l, orderId: created.id }))
            .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0)),
          payment: { status: 'pending', failureCode: null },
        }),
      };
    },

    applyPaymentEvent: (event: PaymentEvent) =>
      applyPaymentOutcome({
        orderId: event.orderId,
        providerPaymentId: event.providerPaymentId,
        succeeded: event.type === 'payment.succeeded',
        failureCode: event.failureCode ?? null,
        canceled: event.type === 'payment.canceled',
      }),

    async getForViewer(id: string, viewer: Viewer): Promise<Order> {
      const agg = await findOrder(db, id);
      // Someone else's order is "not found", not "forbidden": ids cannot be probed.
      if (!agg || (!viewer.canReadAny && agg.order.userId !== viewer.userId)) {
        throw orderNotFound();
      }
      return toOrder(agg);
    },

    async list(viewer: Viewer, q: ListOrdersQuery) {
      if (q.all && !viewer.canReadAny) {
        throw new AppError({
          status: 403,
          code: 'forbidden',
          detail: "Listing every customer's orders needs orders:read:any.",
        });
      }
      const after = q.cursor ? decodeOrderCursor(q.cursor) : undefined;
      const page = await listOrders(db, {
        userId: q.all ? null : viewer.userId,
        status: q.status,
        createdFrom: q.createdFrom ? new Date(q.createdFrom) : undefined,
        createdTo: q.createdTo ? new Date(q.createdTo) : undefined,
        after,
        limit: q.limit + 1,
      });
      const items = page.slice(0, q.limit);
      const last = items.at(-1);
      return {
        items: items.map(toOrder),
        nextCursor:
          page.length > q.limit && last
            ? encodeOrderCursor(last.order.createdAt, last.order.id)
            : null,
      };
    },

    /** Customer (own order) or staff: only before payment. Releases the held stock. */
    async cancel(id: string, viewer: Viewer, requestId?: string): Promise<Order> {
      const agg = await findOrder(db, id);
      if (!agg || (!viewer.canReadAny && agg.order.userId !== viewer.userId)) {
        throw orderNotFound();
      }
      const { order } = agg;
      if (!canTransition(order.status, 'cancelled')) {
        throw new AppError({
          status: 409,
          code: 'order-not-cancellable',
          detail: `An order in status ${order.status} cannot be cancelled.`,
        });
      }
      // The payment first: once the provider has cancelled it, it can no longer succeed, so
      // cancelling the order cannot race a payment that takes the money.
      const pendingPayment = agg.payment?.status === 'pending' ? agg.payment : null;
      if (pendingPayment) {
        try {
          await payments.cancelPayment(pendingPayment.providerPaymentId);
        } catch (err) {
          if (err instanceof PaymentStateError) {
            throw new AppError({
              status: 409,
              code: 'order-not-cancellable',
              detail: 'The payment has already gone through; ask for a refund instead.',
            });
          }
          throw new AppError({
            status: 503,
            code: 'payment-provider-unavailable',
            detail: 'The payment provider did not answer; the order was not cancelled. Try again.',
            headers: { 'retry-after': '5' },
            cause: err,
          });
        }
      }
      const moved = await moveById(
        id,
        'cancelled',
        { statusReason: 'cancelled-by-request' },
        pendingPayment ? (tx) => setPaymentStatus(tx, id, 'canceled') : undefined,
        requestId,
      );
      if (!moved) {
        throw new AppError({
          status: 409,
          code: 'order-not-cancellable',
          detail: 'The order changed status meanwhile; reload it.',
        });
      }
      if (order.reservationId) await releaseOrCompensate(id, order.reservationId, requestId);
      return view(id);
    },

    /** Staff: refund a paid order in full. */
    async refund(id: string): Promise<Order> {
      const agg = await findOrder(db, id);
      if (!agg) throw orderNotFound();
      if (!canTransition(agg.order.status, 'refunded') || !agg.payment) {
        throw new AppError({
          status: 409,
          code: 'order-not-refundable',
          detail: `An order in status ${agg.order.status} cannot be refunded.`,
        });
      }
      // The provider first (idempotent by the order id): money back is the fact that matters;
      // if our write then fails, a retry finds the refund done and only records it.
      try {
        await payments.refundPayment({
          providerPaymentId: agg.payment.providerPaymentId,
          idempotencyKey: `refund-${id}`,
        });
      } catch (err) {
        if (err instanceof PaymentStateError) {
          throw new AppError({
            status: 409,
            code: 'order-not-refundable',
            detail: `The payment provider refused the refund: ${err.message}`,
          });
        }
        // Unreachable, failing, or (sandbox) the payment lives on another replica.
        throw new AppError({
          status: 503,
          code: 'payment-provider-unavailable',
          detail: 'The payment provider did not refund; nothing changed. Try again.',
          headers: { 'retry-after': '5' },
          cause: err,
        });
      }
      const moved = await moveById(id, 'refunded', { statusReason: 'refunded' }, (tx) =>
        setPaymentStatus(tx, id, 'refunded'),
      );
      if (!moved) {
        throw new AppError({
          status: 409,
          code: 'order-not-refundable',
          detail: 'The order changed status meanwhile; reload it.',
        });
      }
      return view(id);
    },
  };

  /**
   * A payment's outcome, from a webhook or the provider's immediate answer. Success: confirm
   * the hold in catalog, then paid. Failure: release it, then payment_failed. Safe to run more
   * than once for the same outcome: the second run finds the order already moved.
   */
  async function applyPaymentOutcome(o: {
    orderId: string;
    providerPaymentId: string;
    succeeded: boolean;
    failureCode: string | null;
    canceled?: boolean;
  }): Promise<'applied' | 'ignored'> {
    const order = await findOrderRow(db, o.orderId);
    if (!order) return 'ignored';
    // Money back, by the id the provider reported (there may be no payments row yet, if the
    // order was cancelled between the provider's answer and recording it).
    // The provider may refuse: the payment was cancelled there after all (the cancel won at
    // the provider, and this success event is stale or forged). Then no money was taken and
    // there is nothing to give back; retrying would fail forever, so it is settled here.
    const refund = async (why: string): Promise<boolean> => {
      try {
        await payments.refundPayment({
          providerPaymentId: o.providerPaymentId,
          idempotencyKey: `refund-${order.id}`,
        });
      } catch (err) {
        if (!(err instanceof PaymentStateError)) throw err;
        const snapshot = await payments.retrievePayment(o.providerPaymentId);
        if (snapshot.status === 'succeeded') throw err;
        log.warn(
          { orderId: order.id, why, paymentStatus: snapshot.status },
          'success event for a payment that is not succeeded; nothing to refund',
        );
        return false;
      }
      log.warn(
        { orderId: order.id, why },
        'payment succeeded but the order cannot be paid; refunded',
      );
      return true;
    };
    if (order.status !== 'awaiting_payment') {
      if (o.succeeded && order.status === 'cancelled') {
        // Paid after the order was cancelled (a slow card): give the money back.
        if (await refund('cancelled-before-payment')) {
          await db.transaction((tx) => setPaymentStatus(tx, order.id, 'refunded'));
        }
      }
      return 'ignored';
    }
    if (o.succeeded) {
      // Throws when catalog is down: the event stays in the inbox and is retried.
      try {
        if (order.reservationId) await catalog.confirm(order.reservationId);
      } catch (err) {
        if (!(err instanceof ReservationNotHeldError)) throw err;
        // The hold expired before the money came: the stock may be gone. Refund, and say so.
        const refunded = await refund('reservation-expired');
        await moveById(order.id, 'cancelled', { statusReason: 'reservation-expired' }, (tx) =>
          setPaymentStatus(tx, order.id, refunded ? 'refunded' : 'canceled'),
        );
        return 'applied';
      }
      const paid = await moveById(order.id, 'paid', { statusReason: null }, (tx) =>
        setPaymentStatus(tx, order.id, 'succeeded'),
      );
      if (!paid) {
        // Cancelled in the moment between reading it and now (cancel() cancels a recorded
        // payment first, so only an unrecorded one gets here). The stock was confirmed and
        // stays out of stock until staff recount; the money goes back.
        if (await refund('cancelled-while-confirming')) {
          await db.transaction((tx) => setPaymentStatus(tx, order.id, 'refunded'));
        }
      }
      return 'applied';
    }
    if (order.reservationId) {
      try {
        await catalog.release(order.reservationId);
      } catch (err) {
        if (!(err instanceof ReservationNotHeldError)) throw err;
      }
    }
    const reason = o.canceled ? 'payment-canceled' : `payment-${o.failureCode ?? 'failed'}`;
    await moveById(order.id, 'payment_failed', { statusReason: reason }, (tx) =>
      setPaymentStatus(tx, order.id, o.canceled ? 'canceled' : 'failed', o.failureCode),
    );
    return 'applied';
  }
}

export type OrdersService = ReturnType<typeof ordersService>;

function money(amountMinor: number, currency: string) {
  return { amountMinor, currency };
}

export function toOrder({
  order,
  lines,
  payment,
}: Omit<OrderAggregate, 'payment'> & {
  payment: Pick<NonNullable<OrderAggregate['payment']>, 'status' | 'failureCode'> | null;
}): Order {
  return {
    id: order.id,
    status: order.status,
    statusReason: order.statusReason,
    lines: lines.map((l) => ({
      productId: l.productId,
      sku: l.sku,
      name: l.name,
      unitPrice: money(l.unitPriceMinor, l.currency),
      quantity: l.quantity,
      lineTotal: money(l.lineTotalMinor, l.currency),
    })),
    itemsTotal: money(order.itemsTotalMinor, order.currency),
    shipping: { method: order.shippingMethod, price: money(order.shippingMinor, order.currency) },
    total: money(order.totalMinor, order.currency),
    payment: payment ? { status: payment.status, failureCode: payment.failureCode } : null,
    createdAt: order.createdAt.toISOString(),
    updatedAt: order.updatedAt.toISOString(),
  };
}

// Keyset cursor: the last row's (created_at, id), opaque to clients. created_at is stored
// with millisecond precision (orders.ts), so a JS Date carries it exactly.
function encodeOrderCursor(createdAt: Date, id: string): string {
  return Buffer.from(JSON.stringify([createdAt.toISOString(), id])).toString('base64url');
}

function decodeOrderCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [t, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown[];
    const createdAt = new Date(String(t));
    if (
      typeof t === 'string' &&
      typeof id === 'string' &&
      /^[0-9a-f-]{36}$/.test(id) &&
      !Number.isNaN(createdAt.getTime()) &&
      encodeOrderCursor(createdAt, id) === cursor
    ) {
      return { createdAt, id };
    }
  } catch {
    // fall through
  }
  throw new AppError({
    status: 400,
    code: 'invalid-cursor',
    detail: 'The cursor is not one this API issued.',
  });
}
