// Shipping use cases, free of HTTP.

import { AppError } from '@meridian/errors';
import type { OrdersDb } from '../../db/client.ts';
import type { ShippingMethodRow } from '../../db/schema/index.ts';
import { findActiveShippingMethods, upsertShippingMethod } from './shipping.repository.ts';
import type { ShippingMethod, ShippingMethodInput } from './shipping.schemas.ts';

const toMethod = (r: ShippingMethodRow): ShippingMethod => ({
  code: r.code,
  name: r.name,
  price: { amountMinor: r.priceMinor, currency: r.currency },
  estimatedDays: { min: r.minDays, max: r.maxDays },
});

export function shippingService(db: OrdersDb) {
  return {
    async listActive(): Promise<ShippingMethod[]> {
      return (await findActiveShippingMethods(db)).map(toMethod);
    },

    async put(code: string, input: ShippingMethodInput) {
      // The table's CHECK would refuse it too; saying so here gives a 400 naming the field.
      if (input.estimatedDays.min > input.estimatedDays.max) {
        throw new AppError({
          status: 400,
          code: 'validation-failed',
          detail: 'estimatedDays.min must not exceed estimatedDays.max.',
          errors: [{ in: 'body', pointer: '/estimatedDays/min', detail: 'must be <= max' }],
        });
      }
      const { row, created } = await upsertShippingMethod(db, {
        code,
        name: input.name,
        priceMinor: input.price.amountMinor,
        currency: input.price.currency,
        minDays: input.estimatedDays.min,
        maxDays: input.estimatedDays.max,
        active: input.active ?? true,
      });
      return { method: toMethod(row), created };
    },
  };
}

export type ShippingService = ReturnType<typeof shippingService>;
