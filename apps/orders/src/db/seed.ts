// `pnpm db:seed`: demo shipping methods, idempotent (upsert by code).
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { ConfigSchema } from '../config.ts';
import { createOrdersDb } from './client.ts';
import { shippingMethods } from './schema/index.ts';

const METHODS = [
  { code: 'standard', name: 'Standard', priceMinor: 499, currency: 'EUR', minDays: 3, maxDays: 5 },
  { code: 'express', name: 'Express', priceMinor: 1299, currency: 'EUR', minDays: 1, maxDays: 2 },
  { code: 'pickup', name: 'Store pickup', priceMinor: 0, currency: 'EUR', minDays: 0, maxDays: 1 },
];

const config = loadConfigOrExit(ConfigSchema);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'orders-seed',
});
try {
  for (const m of METHODS) {
    await createOrdersDb(pool)
      .insert(shippingMethods)
      .values(m)
      .onConflictDoUpdate({ target: shippingMethods.code, set: m });
  }
  console.error(`orders: seeded ${METHODS.length} shipping methods`);
} finally {
  await pool.end();
}
