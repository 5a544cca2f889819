// Shipping use cases, free of HTTP.
import type { OrdersDb } from '../../db/client.ts';
import { findActiveShippingMethods } from './shipping.repository.ts';
import type { ShippingMethod } from './shipping.schemas.ts';

export function shippingService(db: OrdersDb) {
  return {
    async listActive(): Promise<ShippingMethod[]> {
      const rows = await findActiveShippingMethods(db);
      return rows.map((r) => ({
        code: r.code,
        name: r.name,
        price: { amountMinor: r.priceMinor, currency: r.currency },
        estimatedDays: { min: r.minDays, max: r.maxDays },
      }));
    },
  };
}

export type ShippingService = ReturnType<typeof shippingService>;
