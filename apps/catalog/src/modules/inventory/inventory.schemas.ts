// Wire shapes for stock and reservations: what callers send and receive (validated and
// serialized by these schemas, and documented in OpenAPI from them).
import { type Static, Type } from 'typebox';
import { textSchema, uuidSchema } from '../../schemas/fields.ts';

export const MAX_LINES = 50;
export const MAX_LINE_QUANTITY = 1000;
export const DEFAULT_TTL_SECONDS = 900;
/** The integer column's largest value; anything above would fail in Postgres as a 500. */
const MAX_ON_HAND = 2_147_483_647;

export const StockSchema = Type.Object(
  {
    productId: Type.String({ format: 'uuid' }),
    onHand: Type.Integer({ description: 'Units in the warehouse, reserved ones included' }),
    reserved: Type.Integer({ description: 'Units held by open reservations' }),
    available: Type.Integer({ description: 'onHand - reserved: what can still be reserved' }),
    updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()], {
      description: 'Null until stock is first set',
    }),
  },
  { additionalProperties: false },
);

const lowStockThresholdSchema = (description: string) =>
  Type.Integer({ minimum: 0, maximum: MAX_ON_HAND, description });

// What staff read and write: the stock and the product's low-stock threshold. (StockSchema
// alone is the stock as GraphQL shows it too.)
export const StaffStockSchema = Type.Object(
  {
    ...StockSchema.properties,
    lowStockThreshold: lowStockThresholdSchema(
      'An inventory.low-stock event is emitted when available falls below this; 0: never',
    ),
  },
  { additionalProperties: false },
);

export const StockParamsSchema = Type.Object(
  { id: uuidSchema({ description: 'Product id' }) },
  { additionalProperties: false },
);

// Closed: an unknown field is a 400, not silently dropped.
export const SetStockSchema = Type.Object(
  {
    onHand: Type.Integer({
      minimum: 0,
      maximum: MAX_ON_HAND,
      description: 'The counted units on hand; may not be below what is reserved',
    }),
    lowStockThreshold: Type.Optional(
      lowStockThresholdSchema(
        'Emit inventory.low-stock when available falls below this (0: never); unchanged ' +
          'when absent, 5 for a product counted for the first time',
      ),
    ),
  },
  { additionalProperties: false },
);

const LineSchema = Type.Object(
  {
    productId: uuidSchema({ description: 'An active product; one line per product' }),
    quantity: Type.Integer({ minimum: 1, maximum: MAX_LINE_QUANTITY }),
  },
  { additionalProperties: false },
);

export const CreateReservationSchema = Type.Object(
  {
    reservationKey: textSchema({
      minLength: 1,
      maxLength: 100,
      description:
        'Idempotency key chosen by the caller (an order id, say): the same key again returns ' +
        'the first reservation instead of reserving twice',
      examples: ['order-7f3c2a'],
    }),
    lines: Type.Array(LineSchema, { minItems: 1, maxItems: MAX_LINES }),
    ttlSeconds: Type.Optional(
      Type.Integer({
        minimum: 30,
        maximum: 3600,
        default: DEFAULT_TTL_SECONDS,
        description: 'How long the hold lasts unless confirmed or released',
      }),
    ),
  },
  { additionalProperties: false },
);

export const ReservationSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    reservationKey: Type.String(),
    status: Type.Enum(['held', 'confirmed', 'released', 'expired'], {
      description: 'held until confirmed, released, or expired at expiresAt',
    }),
    lines: Type.Array(
      Type.Object(
        { productId: Type.String({ format: 'uuid' }), quantity: Type.Integer() },
        { additionalProperties: false },
      ),
    ),
    expiresAt: Type.String({ format: 'date-time' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const ReservationParamsSchema = Type.Object(
  { id: uuidSchema() },
  { additionalProperties: false },
);

export type Stock = Static<typeof StockSchema>;
export type StaffStock = Static<typeof StaffStockSchema>;
export type SetStock = Static<typeof SetStockSchema>;
export type NewReservation = Static<typeof CreateReservationSchema>;
export type Reservation = Static<typeof ReservationSchema>;
