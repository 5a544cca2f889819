// The order's state machine, in one place. The service asks `canTransition` before it writes,
// and migration 0001 loads the same pairs into orders.order_status_transitions, where a
// trigger refuses any other UPDATE of orders.status — so a bug, a second code path or a
// hand-written SQL statement cannot move an order where this table says it cannot go.
// A test compares the two (order-status.test.ts). See docs/sagas.md#the-state-machine.

// The statuses themselves are part of the order-events contract other services read, so the
// list lives there (packages/queues) and this module adds what may follow what:
//   pending           written, lines priced; stock not yet held
//   awaiting_payment  stock held in catalog; the payment is being created or awaited
//   paid              payment succeeded and the hold confirmed (then only a refund)
//   payment_failed    declined or failed; the hold released (terminal)
//   cancelled         before payment: out of stock, catalog down, customer or staff (terminal)
//   refunded          paid, then refunded by staff; stock is not returned automatically (terminal)
import { ORDER_STATUSES } from '@meridian/queues';

export { ORDER_STATUSES };

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

/** The statuses an order may be in to move to `to`. */
export function predecessorsOf(to: OrderStatus): OrderStatus[] {
  return (Object.keys(ORDER_TRANSITIONS) as OrderStatus[]).filter((from) =>
    ORDER_TRANSITIONS[from].includes(to),
  );
}
