// The catalog schema's tables, for drizzle-kit and the typed client.
export { type CategoryRow, categories, type NewCategoryRow } from './categories.ts';
export {
  DEFAULT_LOW_STOCK_THRESHOLD,
  type InventoryRow,
  inventory,
  RESERVATION_STATUSES,
  type ReservationLineRow,
  type ReservationRow,
  type ReservationStatus,
  reservationLines,
  reservations,
} from './inventory.ts';
export { outbox } from './outbox.ts';
export {
  type NewProductRow,
  PRODUCT_STATUSES,
  type ProductAttributes,
  type ProductImageRow,
  type ProductRow,
  type ProductStatus,
  productImages,
  products,
} from './products.ts';
export { catalogSchema } from './schema.ts';
