// Wire shapes for the cart. The cart stores product ids and quantities only; every name and
// price here is catalog's, read when the cart is shown (docs/carts.md). Money is integer
// minor units with its currency, as everywhere in Meridian.
import { type Static, Type } from 'typebox';

/** Distinct lines one cart may hold; enforced under a per-user lock (carts.service.ts). */
export const MAX_CART_LINES = 50;
/** The table's CHECK (quantity BETWEEN 1 AND 1000), said again where it becomes a 400. */
export const MIN_QUANTITY = 1;
export const MAX_QUANTITY = 1000;

// The kit's validator refuses the `urn:uuid:` form; the pattern keeps the schema strict on
// its own for OpenAPI readers. A value Postgres's uuid type refuses would be a 500, not a 400.
const Uuid = Type.String({
  format: 'uuid',
  pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$',
});

export const MoneySchema = Type.Object(
  {
    amountMinor: Type.Integer({ minimum: 0 }),
    currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' }),
  },
  { additionalProperties: false },
);

/** Why a line cannot be bought now; the same words as the PUT's 422 codes. */
export type UnavailableReason = 'product-unavailable' | 'currency-mismatch';

export const CartItemSchema = Type.Object(
  {
    productId: Uuid,
    sku: Type.Union([Type.String(), Type.Null()], {
      description: 'null when the product is no longer in catalog',
    }),
    name: Type.Union([Type.String(), Type.Null()]),
    unitPrice: Type.Union([MoneySchema, Type.Null()], {
      description: "Catalog's current price; null when the product is no longer in catalog",
    }),
    quantity: Type.Integer({ minimum: MIN_QUANTITY, maximum: MAX_QUANTITY }),
    lineTotal: Type.Union([MoneySchema, Type.Null()], { description: 'unitPrice × quantity' }),
    available: Type.Boolean({
      description: 'false: kept in the cart and shown, but left out of subtotal and checkout',
    }),
    unavailableReason: Type.Union(
      [Type.Literal('product-unavailable'), Type.Literal('currency-mismatch'), Type.Null()],
      {
        description:
          'product-unavailable: no longer live in catalog; currency-mismatch: priced in another currency than the cart',
      },
    ),
  },
  { additionalProperties: false },
);

export const CartSchema = Type.Object(
  {
    items: Type.Array(CartItemSchema, {
      maxItems: MAX_CART_LINES,
      description: 'Oldest first',
    }),
    subtotal: Type.Union([MoneySchema, Type.Null()], {
      description: 'Sum of the available lines; null when none is available',
    }),
    itemCount: Type.Integer({
      minimum: 0,
      description: 'Units in the subtotal (the sum of the available lines’ quantities)',
    }),
    lineCount: Type.Integer({
      minimum: 0,
      maximum: MAX_CART_LINES,
      description: `Lines stored, unavailable ones included (at most ${MAX_CART_LINES})`,
    }),
  },
  { additionalProperties: false },
);

export const CartItemParamsSchema = Type.Object(
  { productId: Uuid },
  { additionalProperties: false },
);

export const SetQuantitySchema = Type.Object(
  {
    quantity: Type.Integer({
      minimum: MIN_QUANTITY,
      maximum: MAX_QUANTITY,
      description: 'The line’s new quantity (not an increment)',
    }),
  },
  { additionalProperties: false },
);

export type Money = Static<typeof MoneySchema>;
export type CartItem = Static<typeof CartItemSchema>;
export type Cart = Static<typeof CartSchema>;
export type SetQuantity = Static<typeof SetQuantitySchema>;
