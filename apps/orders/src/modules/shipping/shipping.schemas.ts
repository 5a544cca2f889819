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
