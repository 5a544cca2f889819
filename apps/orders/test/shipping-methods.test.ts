// Orders shipping methods over HTTP, against a real cloned database.
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  t = await createTestApp({
    env: { ...issuer.env, AUTH_DEV_DEFAULTS: 'true' },
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
afterAll(async () => {
  await t.close();
  await issuer.close();
});

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

describe('PUT /v1/shipping-methods/:code', () => {
  const method = {
    name: 'Next day',
    price: { amountMinor: 1999, currency: 'EUR' },
    estimatedDays: { min: 1, max: 1 },
  };
  const staff = () =>
    issuer.sign({ sub: 'staff-1', roles: ['staff'], permissions: ['orders:manage'] });
  const put = async (code: string, payload: unknown, token?: string) =>
    t.app.inject({
      method: 'PUT',
      url: `/v1/shipping-methods/${code}`,
      payload: payload as object,
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });
  const count = async () =>
    Number((await t.app.pg.query('SELECT count(*) FROM orders.shipping_methods')).rows[0].count);

  it('creates (201 + Location), then replaces (200) a method for staff', async () => {
    const token = await staff();
    const created = await put('next-day', method, token);
    expect(created.statusCode).toBe(201);
    expect(created.headers.location).toBe('/v1/shipping-methods/next-day');
    expect(created.json()).toEqual({ code: 'next-day', ...method });
    const replaced = await put(
      'next-day',
      { ...method, price: { amountMinor: 2499, currency: 'EUR' } },
      token,
    );
    expect(replaced.statusCode).toBe(200);
    expect(replaced.json().price.amountMinor).toBe(2499);
    const list = await t.app.inject({ url: '/v1/shipping-methods' });
    expect(list.json().items.map((m: { code: string }) => m.code)).toContain('next-day');
  });

  it('without a token → 401; without orders:manage → 403, even with a bad body; nothing written', async () => {
    const before = await count();
    const anonymous = await put('sneaky', method);
    expect(anonymous.statusCode).toBe(401);
    const customer = await issuer.sign({ sub: 'customer-1', roles: ['customer'], permissions: [] });
    const forbidden = await put('sneaky', { nonsense: true }, customer);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json().detail).toContain('orders:manage');
    const expired = await issuer.sign(
      { sub: 'staff-1', permissions: ['orders:manage'] },
      { expiresIn: -60 },
    );
    expect((await put('sneaky', method, expired)).statusCode).toBe(401);
    expect(await count()).toBe(before);
  });

  it.each([
    ['min above max', { ...method, estimatedDays: { min: 5, max: 2 } }, '/estimatedDays/min'],
    [
      'a lower-case currency',
      { ...method, price: { amountMinor: 1, currency: 'eur' } },
      '/price/currency',
    ],
    [
      'a negative price',
      { ...method, price: { amountMinor: -1, currency: 'EUR' } },
      '/price/amountMinor',
    ],
    ['an unknown field', { ...method, discount: 5 }, ''],
  ])('%s → 400 naming the field, nothing written', async (_label, payload, pointer) => {
    const before = await count();
    const res = await put('bad-one', payload, await staff());
    expect(res.statusCode).toBe(400);
    if (pointer)
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(await count()).toBe(before);
  });

  it('a malformed code → 400', async () => {
    expect((await put('Not_A_Code', method, await staff())).statusCode).toBe(400);
  });
});
