// The order's state machine, in one place. The service asks `canTransition` before it writes,
// and migration 0001 loads the same pairs into orders.order_status_transitions, where a
// trigger refuses any other UPDATE of orders.status — so a bug, a second code path or a
// hand-written SQL statement cannot move an order where this table says it cannot go.
// A test compares the two (order-status.test.ts). See docs/sagas.md#the-state-machine.

export const ORDER_STATUSES = [
  /** Written, lines priced; stock not yet held. */
  'pending',
  /** Stock held in catalog; a payment is being created or awaited. */
  'awaiting_payment',
  /** Payment succeeded and the reservation is confirmed. Terminal unless refunded. */
  'paid',
  /** The payment was declined or failed; the reservation was released. Terminal. */
  'payment_failed',
  /** Cancelled before payment (out of stock, catalog down, customer or staff). Terminal. */
  'cancelled',
  /** Paid, then refunded by staff; the stock is not returned automatically. Terminal. */
  'refunded',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  pending: ['awaiting_payment', 'cancelled'],
  awaiting_payment: ['paid', 'payment_failed', 'cancelled'],
  paid: ['refunded'],
  payment_failed: [],
  cancelled: [],
  refunded: [],
};

export function canTransition(from: OrderStatus, to: OrderStatus): boolean {
  return ORDER_TRANSITIONS[from].includes(to);
}

export const isTerminal = (status: OrderStatus) => ORDER_TRANSITIONS[status].length === 0;
