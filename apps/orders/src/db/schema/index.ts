// The orders schema's tables, for drizzle-kit and the typed client.
export { ordersSchema } from './schema.ts';
export { type ShippingMethodRow, shippingMethods } from './shipping-methods.ts';
