// Shared arrangement for the inventory tests: the catalog app on a cloned database, a test
// issuer with the tokens the tests act as, and small helpers that seed products with stock
// and read the numbers back straight from the tables (the assertions check the database,
// not only what the API says).
import type { TestIssuer } from '@meridian/testing';
import { expect } from 'vitest';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

export type { CatalogTestApp };
export type Headers = { authorization: string };

export const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
export const PROBLEM = 'application/problem+json; charset=utf-8';

export interface InventoryFixture {
  t: CatalogTestApp;
  issuer: TestIssuer;
  /** The orders service: a client-credentials token with inventory:reserve. */
  orders: Headers;
  /** Staff: catalog:write, and not inventory:reserve. */
  staff: Headers;
  categoryId: string;
  close(): Promise<void>;
}

/** A service token as the auth service signs them for the client-credentials grant. */
export async function serviceToken(
  issuer: TestIssuer,
  clientId: string,
  scopes = ['inventory:reserve'],
): Promise<Headers> {
  const token = await issuer.sign({
    sub: `service:${clientId}`,
    client_id: clientId,
    scope: scopes.join(' '),
    roles: [],
    permissions: scopes,
  });
  return { authorization: `Bearer ${token}` };
}

export async function createInventoryFixture(
  env: Record<string, string> = {},
): Promise<InventoryFixture> {
  const { t, issuer } = await createCatalogApp(env);
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('stock', 'Stock') RETURNING id",
  );
  return {
    t,
    issuer,
    orders: await serviceToken(issuer, 'orders'),
    staff: await staffHeaders(issuer),
    categoryId: rows[0]?.id as string,
    async close() {
      await t.close();
      await issuer.close();
    },
  };
}

let skuSeq = 0;

/**
 * A product of its own for one test, `onHand` units in stock (no inventory row when null).
 * Inserted directly: these tests are about stock, not about creating products.
 */
export async function seedProduct(
  f: InventoryFixture,
  opts: { onHand?: number | null; status?: string; deleted?: boolean } = {},
): Promise<string> {
  const { rows } = await f.t.app.pg.query<{ id: string }>(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status, deleted_at)
     VALUES ($1, 'Stocked item', 1000, 'EUR', $2, $3, $4) RETURNING id`,
    [
      `INV-${process.pid}-${++skuSeq}`,
      f.categoryId,
      opts.status ?? 'active',
      opts.deleted ? new Date() : null,
    ],
  );
  const id = rows[0]?.id as string;
  const onHand = opts.onHand === undefined ? 10 : opts.onHand;
  if (onHand !== null) {
    await f.t.app.pg.query('INSERT INTO catalog.inventory (product_id, on_hand) VALUES ($1, $2)', [
      id,
      onHand,
    ]);
  }
  return id;
}

/** The inventory row as stored, or null when the product has none. */
export async function stockOf(
  f: InventoryFixture,
  productId: string,
): Promise<{ onHand: number; reserved: number } | null> {
  const { rows } = await f.t.app.pg.query<{ onHand: number; reserved: number }>(
    'SELECT on_hand AS "onHand", reserved FROM catalog.inventory WHERE product_id = $1',
    [productId],
  );
  return rows[0] ?? null;
}

/** Every inventory and reservation row: to prove a refused request changed nothing. */
export async function snapshot(f: InventoryFixture): Promise<unknown> {
  const q = async (sql: string) => (await f.t.app.pg.query(sql)).rows;
  return {
    inventory: await q('SELECT * FROM catalog.inventory ORDER BY product_id'),
    reservations: await q('SELECT * FROM catalog.reservations ORDER BY id'),
    lines: await q('SELECT * FROM catalog.reservation_lines ORDER BY reservation_id, product_id'),
  };
}

let keySeq = 0;
/** A reservation key no other test uses. */
export const newKey = (label = 'order') => `${label}-${process.pid}-${++keySeq}`;

export interface Line {
  productId: string;
  quantity: number;
}

export function reserve(f: InventoryFixture, payload: unknown, headers: Headers = f.orders) {
  return f.t.app.inject({
    method: 'POST',
    url: '/v1/inventory/reservations',
    headers,
    payload: payload as object,
  });
}

/** Reserves and expects a 201; returns the reservation. */
export async function reserved(
  f: InventoryFixture,
  lines: Line[],
  extra: Record<string, unknown> = {},
): Promise<{ id: string; status: string; lines: Line[]; expiresAt: string }> {
  const res = await reserve(f, { reservationKey: newKey(), lines, ...extra });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

export function act(
  f: InventoryFixture,
  id: string,
  action: 'confirm' | 'release',
  headers: Headers = f.orders,
) {
  return f.t.app.inject({
    method: 'POST',
    url: `/v1/inventory/reservations/${id}/${action}`,
    headers,
  });
}
