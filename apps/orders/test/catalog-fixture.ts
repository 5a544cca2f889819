// A real catalog service for orders' tests: catalog's own buildApp on its own cloned database,
// listening on a free port, trusting the same test issuer as orders. Products and stock are
// made through catalog's HTTP API with a staff token, as staff would; orders reaches it over
// real HTTP with a service token (`service:orders`, `inventory:reserve`), as in production.
import { buildApp as buildCatalog } from '@meridian/catalog/app';
import { ConfigSchema as CatalogConfigSchema } from '@meridian/catalog/config';
import {
  MIGRATIONS_FOLDER as CATALOG_MIGRATIONS,
  DB_SCHEMA as CATALOG_SCHEMA,
} from '@meridian/catalog/db';
import { createTestApp, type TestIssuer } from '@meridian/testing';

export interface CatalogFixture {
  url: string;
  /** Creates an active product with stock; returns its id. */
  product(p: {
    sku: string;
    name?: string;
    priceMinor: number;
    currency?: string;
    onHand: number;
  }): Promise<string>;
  /** Staff changes the price (PATCH /v1/products/:id). */
  setPrice(productId: string, priceMinor: number): Promise<void>;
  /** Staff counts the stock again (PUT /v1/products/:id/inventory). */
  restock(productId: string, onHand: number): Promise<void>;
  /** Staff deletes the product (soft delete): it is no longer for sale. */
  remove(productId: string): Promise<void>;
  /** { onHand, reserved, available } straight from catalog's API. */
  stock(productId: string): Promise<{ onHand: number; reserved: number; available: number }>;
  /** Holds stock as orders would (its service token), straight to catalog; returns the hold. */
  reserve(
    reservationKey: string,
    lines: { productId: string; quantity: number }[],
  ): Promise<{ id: string; status: string }>;
  /** The status of orders' reservation with this key, or null when there is none. */
  reservationStatus(reservationKey: string): Promise<string | null>;
  /** Reservations in catalog's database by status, for "nothing left dangling" checks. */
  reservationsByStatus(): Promise<Record<string, number>>;
  /**
   * Moves the deadline of orders' hold with this key into the past, as if its TTL had run
   * out; catalog's own confirm then expires it (and gives the units back).
   */
  lapse(reservationKey: string): Promise<void>;
  /** Stops catalog (connection refused from now on); `close` still cleans up. */
  stop(): Promise<void>;
  close(): Promise<void>;
}

/** The service token orders presents to catalog. */
export const serviceToken = (issuer: TestIssuer) => () =>
  issuer.sign({
    sub: 'service:orders',
    client_id: 'orders',
    roles: [],
    permissions: ['inventory:reserve'],
  });

export async function startCatalog(issuer: TestIssuer): Promise<CatalogFixture> {
  const t = await createTestApp({
    schema: CATALOG_SCHEMA,
    migrationsFolder: CATALOG_MIGRATIONS,
    configSchema: CatalogConfigSchema,
    buildApp: buildCatalog,
    // The relay and the expiry sweep are not what these tests are about.
    env: { ...issuer.env, OUTBOX_RELAY_INTERVAL_MS: '0', RATE_LIMIT_MAX: '1000000' },
  });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  if (address === null || typeof address === 'string') throw new Error('catalog did not listen');
  const url = `http://127.0.0.1:${address.port}`;
  const staff = async () => ({
    authorization: `Bearer ${await issuer.sign({ sub: 'staff-1', roles: ['staff'], permissions: ['catalog:write'] })}`,
  });
  let stopped = false;
  let categoryId: Promise<string> | undefined;
  const category = () => {
    categoryId ??= (async () => {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/categories',
        headers: await staff(),
        payload: { name: 'Everything', slug: 'everything' },
      });
      if (res.statusCode !== 201) throw new Error(`category: ${res.body}`);
      return res.json<{ id: string }>().id;
    })();
    return categoryId;
  };

  return {
    url,
    async product({ sku, name = sku, priceMinor, currency = 'EUR', onHand }) {
      const created = await t.app.inject({
        method: 'POST',
        url: '/v1/products',
        headers: await staff(),
        payload: {
          sku,
          name,
          priceMinor,
          currency,
          status: 'active',
          categoryId: await category(),
        },
      });
      if (created.statusCode !== 201) throw new Error(`product: ${created.body}`);
      const id = created.json<{ id: string }>().id;
      const stocked = await t.app.inject({
        method: 'PUT',
        url: `/v1/products/${id}/inventory`,
        headers: await staff(),
        payload: { onHand, lowStockThreshold: 0 },
      });
      if (stocked.statusCode !== 200) throw new Error(`stock: ${stocked.body}`);
      return id;
    },
    async setPrice(productId, priceMinor) {
      const res = await t.app.inject({
        method: 'PATCH',
        url: `/v1/products/${productId}`,
        headers: await staff(),
        payload: { priceMinor },
      });
      if (res.statusCode !== 200) throw new Error(`price: ${res.body}`);
    },
    async restock(productId, onHand) {
      const res = await t.app.inject({
        method: 'PUT',
        url: `/v1/products/${productId}/inventory`,
        headers: await staff(),
        payload: { onHand },
      });
      if (res.statusCode !== 200) throw new Error(`restock: ${res.body}`);
    },
    async remove(productId) {
      const res = await t.app.inject({
        method: 'DELETE',
        url: `/v1/products/${productId}`,
        headers: await staff(),
      });
      if (res.statusCode !== 204) throw new Error(`delete: ${res.body}`);
    },
    async stock(productId) {
      const res = await t.app.inject({
        url: `/v1/products/${productId}/inventory`,
        headers: await staff(),
      });
      return res.json();
    },
    async reserve(reservationKey, lines) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/inventory/reservations',
        headers: { authorization: `Bearer ${await serviceToken(issuer)()}` },
        payload: { reservationKey, lines },
      });
      if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`reserve: ${res.body}`);
      return res.json();
    },
    async reservationStatus(reservationKey) {
      const { rows } = await t.app.pg.query<{ status: string }>(
        "SELECT status FROM catalog.reservations WHERE client_id = 'orders' AND reservation_key = $1",
        [reservationKey],
      );
      return rows[0]?.status ?? null;
    },
    async reservationsByStatus() {
      const { rows } = await t.app.pg.query<{ status: string; n: number }>(
        'SELECT status, count(*)::int AS n FROM catalog.reservations GROUP BY status',
      );
      return Object.fromEntries(rows.map((r) => [r.status, r.n]));
    },
    async lapse(reservationKey) {
      const { rowCount } = await t.app.pg.query(
        `UPDATE catalog.reservations SET expires_at = now() - interval '1 second'
         WHERE client_id = 'orders' AND reservation_key = $1 AND status = 'held'`,
        [reservationKey],
      );
      if (rowCount !== 1) throw new Error(`lapse: no held reservation ${reservationKey}`);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await t.app.close();
    },
    async close() {
      if (!stopped) await t.app.close();
      stopped = true;
      await t.db.drop();
    },
  };
}
