// Wire shapes for orders: what a customer sends at checkout and what every order route
// answers. Money is integer minor units with its currency, as everywhere in Meridian.
import { type Static, Type } from 'typebox';
import { ORDER_STATUSES } from './order-status.ts';

const Money = Type.Object(
  { amountMinor: Type.Integer({ minimum: 0 }), currency: Type.String({ pattern: '^[A-Z]{3}$' }) },
  { additionalProperties: false },
);

const OrderStatusSchema = Type.Enum([...ORDER_STATUSES]);

export const OrderSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    status: OrderStatusSchema,
    statusReason: Type.Union([Type.String(), Type.Null()], {
      description: 'Why the order ended where it did: out-of-stock, payment-declined, …',
    }),
    lines: Type.Array(
      Type.Object(
        {
          productId: Type.String({ format: 'uuid' }),
          sku: Type.String(),
          name: Type.String(),
          unitPrice: Money,
          quantity: Type.Integer({ minimum: 1 }),
          lineTotal: Money,
        },
        { additionalProperties: false },
      ),
    ),
    itemsTotal: Money,
    shipping: Type.Object({ method: Type.String(), price: Money }, { additionalProperties: false }),
    total: Money,
    payment: Type.Union([
      Type.Object(
        {
          status: Type.Enum(['pending', 'succeeded', 'failed', 'canceled', 'refunded']),
          failureCode: Type.Union([Type.String(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
      Type.Null(),
    ]),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const CreateOrderSchema = Type.Object(
  {
    shippingMethod: Type.String({
      pattern: '^[a-z][a-z0-9-]{1,39}$',
      description: 'A shipping method code (GET /v1/shipping-methods)',
    }),
    paymentMethod: Type.String({
      pattern: '^pm_[A-Za-z0-9_]{1,100}$',
      description:
        'A payment method token from the provider, never a card number (sandbox: pm_card_visa, ' +
        'pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds, pm_card_delayed)',
      examples: ['pm_card_visa'],
    }),
  },
  { additionalProperties: false },
);

export const OrderParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export const ListOrdersQuerySchema = Type.Object(
  {
    status: Type.Optional(OrderStatusSchema),
    createdFrom: Type.Optional(Type.String({ format: 'date-time' })),
    createdTo: Type.Optional(Type.String({ format: 'date-time' })),
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(Type.String({ maxLength: 200 })),
    all: Type.Optional(
      Type.Boolean({ description: "Every customer's orders (needs orders:read:any)" }),
    ),
  },
  { additionalProperties: false },
);

export const OrderListSchema = Type.Object(
  {
    items: Type.Array(OrderSchema),
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  { additionalProperties: false },
);

export type Order = Static<typeof OrderSchema>;
export type CreateOrder = Static<typeof CreateOrderSchema>;
export type ListOrdersQuery = Static<typeof ListOrdersQuerySchema>;
