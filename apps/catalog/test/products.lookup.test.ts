// GET /v1/products/lookup: several products by id in one call, as orders prices a cart.
import { randomUUID } from 'node:crypto';
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
const ids: Record<'a' | 'b' | 'draft' | 'gone', string> = { a: '', b: '', draft: '', gone: '' };

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  const { rows: cat } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('lookup', 'Lookup') RETURNING id",
  );
  const insert = async (sku: string, status: string, deleted = false) => {
    const { rows } = await t.app.pg.query<{ id: string }>(
      `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status, deleted_at)
       VALUES ($1, $1, 1000, 'EUR', $2, $3, $4) RETURNING id`,
      [sku, cat[0]?.id, status, deleted ? new Date() : null],
    );
    return rows[0]?.id as string;
  };
  ids.a = await insert('LOOK-A', 'active');
  ids.b = await insert('LOOK-B', 'active');
  ids.draft = await insert('LOOK-DRAFT', 'draft');
  ids.gone = await insert('LOOK-GONE', 'active', true);
});
afterAll(async () => {
  await t?.close();
  await issuer?.close();
});

const lookup = (list: string[], headers: Record<string, string> = {}) =>
  t.app.inject({ url: `/v1/products/lookup?ids=${list.join(',')}`, headers });

describe('GET /v1/products/lookup', () => {
  it('answers the live products in the order asked, and lists the rest as missing', async () => {
    const unknown = randomUUID();
    const res = await lookup([ids.b, unknown, ids.a, ids.gone, ids.draft, ids.a]);
    expect(res.statusCode).toBe(200);
    const body = res.json();
    expect(body.items.map((p: { sku: string }) => p.sku)).toEqual(['LOOK-B', 'LOOK-A']);
    expect(body.items[0]).toMatchObject({ id: ids.b, priceMinor: 1000, currency: 'EUR' });
    expect(body.missing).toEqual([unknown, ids.gone, ids.draft]);
  });

  it('shows drafts to catalog:write, as GET /products/:id does', async () => {
    const res = await lookup([ids.draft], await staffHeaders(issuer));
    expect(res.json()).toMatchObject({ items: [{ sku: 'LOOK-DRAFT' }], missing: [] });
  });

  it('is the same product GET /products/:id serves (one cache)', async () => {
    const one = await t.app.inject({ url: `/v1/products/${ids.a}` });
    const many = await lookup([ids.a]);
    expect(many.json().items[0]).toEqual(one.json());
  });

  it('refuses more than 50 ids, a malformed id, an empty list or extra parameters with 400', async () => {
    const fiftyOne = Array.from({ length: 51 }, () => randomUUID());
    const cases = [
      lookup(fiftyOne),
      lookup([ids.a, 'not-a-uuid']),
      t.app.inject({ url: '/v1/products/lookup?ids=' }),
      t.app.inject({ url: '/v1/products/lookup' }),
      t.app.inject({ url: `/v1/products/lookup?ids=${ids.a}&sort=price_asc` }),
      lookup([`${ids.a},`]),
    ];
    for (const res of await Promise.all(cases)) {
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
    }
    expect((await lookup(Array.from({ length: 50 }, () => randomUUID()))).statusCode).toBe(200);
  });
});
