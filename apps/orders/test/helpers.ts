// The usual arrangement for orders' component tests: a test issuer, a real catalog on its
// own database (catalog-fixture.ts), and the orders app on a cloned database, listening on a
// free port so the sandbox processor can deliver its webhooks to it over real HTTP.
import { randomUUID } from 'node:crypto';
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { buildApp } from '../src/app.ts';
import { type Config, ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { type CatalogFixture, serviceToken, startCatalog } from './catalog-fixture.ts';

export type OrdersApp = Awaited<ReturnType<typeof buildApp>>;

export interface OrdersHarness {
  t: TestApp<OrdersApp, Config>;
  issuer: TestIssuer;
  catalog: CatalogFixture;
  url: string;
  /** A second orders instance on the same database and Redis prefix (a replica). */
  replica(): Promise<{ app: OrdersApp; url: string }>;
  close(): Promise<void>;
}

export interface OrdersHarnessOptions {
  /**
   * Puts something between orders and catalog (a TCP proxy a test can cut): called with
   * catalog's address, it returns the port orders is to call instead.
   */
  catalogVia?: (target: { host: string; port: number }) => Promise<{ port: number }>;
}

export async function createOrdersHarness(
  env: Record<string, string> = {},
  options: OrdersHarnessOptions = {},
): Promise<OrdersHarness> {
  const issuer = await createTestIssuer();
  const catalog = await startCatalog(issuer);
  const overrides = { catalogToken: serviceToken(issuer) };
  const catalogUrl = options.catalogVia
    ? `http://127.0.0.1:${(await options.catalogVia({ host: '127.0.0.1', port: Number(new URL(catalog.url).port) })).port}`
    : catalog.url;
  const t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp: (config) => buildApp(config, overrides),
    env: {
      ...issuer.env,
      CATALOG_URL: catalogUrl,
      AUTH_DEV_DEFAULTS: 'true',
      RATE_LIMIT_MAX: '1000000',
      RATE_LIMIT_USER_MAX: '1000000',
      SANDBOX_OUTCOME_DELAY_MS: '20',
      PAYMENT_EVENTS_INTERVAL_MS: '200',
      OUTBOX_RELAY_INTERVAL_MS: '0',
      ...env,
    },
  });
  const url = await listen(t.app);
  await t.app.pg.query(`
    INSERT INTO orders.shipping_methods (code, name, price_minor, currency, min_days, max_days)
    VALUES ('standard', 'Standard', 499, 'EUR', 3, 5), ('dollar', 'US', 999, 'USD', 3, 5)`);
  const replicas: OrdersApp[] = [];
  return {
    t,
    issuer,
    catalog,
    url,
    async replica() {
      const app = await buildApp(t.config, overrides);
      replicas.push(app);
      return { app, url: await listen(app) };
    },
    async close() {
      for (const r of replicas) await r.close();
      await t.close();
      await catalog.close();
      await issuer.close();
    },
  };
}

async function listen(app: OrdersApp): Promise<string> {
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (address === null || typeof address === 'string') throw new Error('orders did not listen');
  return `http://127.0.0.1:${address.port}`;
}

/** A customer: a fresh user id and the headers to act as them. */
export async function customer(issuer: TestIssuer, userId: string = randomUUID()) {
  const token = await issuer.sign({ sub: userId, roles: ['customer'], permissions: [] });
  return { userId, headers: { authorization: `Bearer ${token}` } };
}

export async function staff(issuer: TestIssuer) {
  const token = await issuer.sign({
    sub: randomUUID(),
    roles: ['staff'],
    permissions: ['orders:read:any', 'orders:manage'],
  });
  return { authorization: `Bearer ${token}` };
}

/** Puts lines in a user's cart directly (the cart API has its own tests). */
export async function fillCart(
  t: TestApp<OrdersApp, Config>,
  userId: string,
  lines: { productId: string; quantity: number }[],
) {
  for (const l of lines) {
    await t.app.pg.query(
      'INSERT INTO orders.cart_items (user_id, product_id, quantity) VALUES ($1, $2, $3)',
      [userId, l.productId, l.quantity],
    );
  }
}

/** Polls until `check` returns a value, or fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | null | false>,
  ms = 5_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
