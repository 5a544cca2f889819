// Wire shapes for shipping methods. Prices stay integers in minor units on the wire too.
import { type Static, Type } from 'typebox';

export const ShippingMethodSchema = Type.Object(
  {
    code: Type.String(),
    name: Type.String(),
    price: Type.Object({
      amountMinor: Type.Integer({ minimum: 0 }),
      currency: Type.String({ minLength: 3, maxLength: 3 }),
    }),
    estimatedDays: Type.Object({ min: Type.Integer(), max: Type.Integer() }),
  },
  { additionalProperties: false },
);

export const ShippingMethodListSchema = Type.Object({ items: Type.Array(ShippingMethodSchema) });

export type ShippingMethod = Static<typeof ShippingMethodSchema>;

export const ShippingCodeParamsSchema = Type.Object({
  code: Type.String({ pattern: '^[a-z][a-z0-9-]{1,39}$', description: 'Stable, URL-safe key' }),
});

// What staff send to create or change a method. Closed: unknown fields are refused.
export const ShippingMethodInputSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 80 }),
    price: Type.Object(
      {
        amountMinor: Type.Integer({ minimum: 0, maximum: 1_000_000_00 }),
        currency: Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' }),
      },
      { additionalProperties: false },
    ),
    estimatedDays: Type.Object(
      {
        min: Type.Integer({ minimum: 0, maximum: 365 }),
        max: Type.Integer({ minimum: 0, maximum: 365 }),
      },
      { additionalProperties: false },
    ),
    active: Type.Optional(Type.Boolean({ default: true })),
  },
  { additionalProperties: false },
);

export type ShippingMethodInput = Static<typeof ShippingMethodInputSchema>;
