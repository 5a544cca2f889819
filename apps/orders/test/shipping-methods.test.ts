// Orders shipping methods over HTTP, against a real cloned database.
import { createTestApp, type TestApp } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
  });
  await t.app.pg.query(`
    INSERT INTO orders.shipping_methods (code, name, price_minor, currency, min_days, max_days, active)
    VALUES ('express', 'Express', 1299, 'EUR', 1, 2, true),
           ('standard', 'Standard', 499, 'EUR', 3, 5, true),
           ('retired', 'Retired', 100, 'EUR', 9, 9, false)`);
});
afterAll(() => t.close());

describe('GET /v1/shipping-methods', () => {
  it('lists active methods cheapest first, money as integer minor units', async () => {
    const res = await t.app.inject({ url: '/v1/shipping-methods' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([
      {
        code: 'standard',
        name: 'Standard',
        price: { amountMinor: 499, currency: 'EUR' },
        estimatedDays: { min: 3, max: 5 },
      },
      {
        code: 'express',
        name: 'Express',
        price: { amountMinor: 1299, currency: 'EUR' },
        estimatedDays: { min: 1, max: 2 },
      },
    ]);
  });
});

describe('schema constraints', () => {
  it('refuses a negative price', async () => {
    await expect(
      t.app.pg.query(
        "INSERT INTO orders.shipping_methods (code, name, price_minor, currency, min_days, max_days) VALUES ('neg', 'N', -1, 'EUR', 1, 1)",
      ),
    ).rejects.toThrow(/shipping_methods_price_check/);
  });

  it('refuses a delivery window that ends before it starts', async () => {
    await expect(
      t.app.pg.query(
        "INSERT INTO orders.shipping_methods (code, name, price_minor, currency, min_days, max_days) VALUES ('odd', 'O', 1, 'EUR', 5, 2)",
      ),
    ).rejects.toThrow(/shipping_methods_days_check/);
  });
});
