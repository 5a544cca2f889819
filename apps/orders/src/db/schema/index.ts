// The orders schema's tables, for drizzle-kit and the typed client.
export { type CartItemRow, cartItems } from './carts.ts';
export { idempotencyKeys } from './idempotency.ts';
export {
  type OrderLineRow,
  type OrderRow,
  orderLines,
  orderStatus,
  orderStatusTransitions,
  orders,
} from './orders.ts';
export { outbox } from './outbox.ts';
export {
  type PaymentEventRow,
  type PaymentRow,
  paymentEvents,
  paymentStatus,
  payments,
} from './payments.ts';
export { ordersSchema } from './schema.ts';
export { type ShippingMethodRow, shippingMethods } from './shipping-methods.ts';
