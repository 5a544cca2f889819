// Who may read and write products. Reads are public, but a token that is sent is verified;
// every write needs catalog:write, checked before the body is parsed; drafts are visible
// only to catalog:write. Tokens come from a test issuer whose JWKS is fetched over real HTTP.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp, customerHeaders, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let customer: { authorization: string };
let categoryId: string;
let activeId: string;
let draftId: string;

const PROBLEM = 'application/problem+json; charset=utf-8';

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  writer = await staffHeaders(issuer);
  customer = await customerHeaders(issuer);
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('cameras', 'Cameras') RETURNING id",
  );
  categoryId = rows[0]?.id as string;
  const products = await t.app.pg.query<{ id: string; status: string }>(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status)
     VALUES ('CAM-1', 'Camera', 50000, 'EUR', $1, 'active'), ('CAM-2', 'Secret camera', 90000, 'EUR', $1, 'draft')
     RETURNING id, status`,
    [categoryId],
  );
  activeId = products.rows.find((r) => r.status === 'active')?.id as string;
  draftId = products.rows.find((r) => r.status === 'draft')?.id as string;
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

/** A snapshot of every product row, to prove a refused request changed nothing. */
async function snapshot(): Promise<unknown[]> {
  const { rows } = await t.app.pg.query('SELECT * FROM catalog.products ORDER BY id');
  return rows;
}

const validBody = () => ({
  sku: 'CAM-9',
  name: 'Camera nine',
  priceMinor: 1000,
  currency: 'EUR',
  categoryId,
});

// Every write route, with a body that would succeed for a writer.
const writes = () =>
  [
    { method: 'POST', url: '/v1/products', payload: validBody() },
    { method: 'PATCH', url: `/v1/products/${activeId}`, payload: { name: 'Renamed' } },
    { method: 'DELETE', url: `/v1/products/${activeId}` },
  ] as const;

describe('writes to /v1/products', () => {
  it('without a token, return 401 with WWW-Authenticate and change nothing', async () => {
    const before = await snapshot();
    for (const req of writes()) {
      const res = await t.app.inject(req);
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(401);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="meridian"');
      expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('without catalog:write, return 403 naming the permission and change nothing', async () => {
    const before = await snapshot();
    for (const req of writes()) {
      const res = await t.app.inject({ ...req, headers: customer });
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(403);
      expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
      expect(res.json()).toMatchObject({
        code: 'forbidden',
        detail: 'Missing permission: catalog:write.',
      });
    }
    expect(await snapshot()).toEqual(before);
  });

  it('check the permission before the body: an invalid or malformed body is still 403', async () => {
    for (const method of ['POST', 'PATCH'] as const) {
      const url = method === 'POST' ? '/v1/products' : `/v1/products/${activeId}`;
      const invalid = await t.app.inject({
        method,
        url,
        headers: customer,
        payload: { nonsense: true },
      });
      expect(invalid.statusCode, `${method} invalid`).toBe(403);
      const malformed = await t.app.inject({
        method,
        url,
        headers: { ...customer, 'content-type': 'application/json' },
        payload: '{"oops":',
      });
      expect(malformed.statusCode, `${method} malformed`).toBe(403);
    }
  });

  it('check the token before the path: a bad id without a token is 401, not 400', async () => {
    const res = await t.app.inject({ method: 'DELETE', url: '/v1/products/not-a-uuid' });
    expect(res.statusCode).toBe(401);
  });

  it.each([
    ['expired', { expiresIn: -60, issuedAt: -660 }],
    ['for another audience', { audience: 'another-api' }],
    ['from another issuer', { issuer: 'https://evil.example' }],
  ])('with a catalog:write token that is %s, return 401 invalid-token', async (_case, opts) => {
    const token = await issuer.sign({ sub: 'staff-2', permissions: ['catalog:write'] }, opts);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: { authorization: `Bearer ${token}` },
      payload: validBody(),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid-token');
  });

  it('are documented as needing the bearer token; reads as taking it optionally', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    expect(doc.paths['/v1/products'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/v1/products'].get.security).toEqual([{}, { bearerAuth: [] }]);
    const one = doc.paths['/v1/products/{id}'];
    expect(one.patch.security).toEqual([{ bearerAuth: [] }]);
    expect(one.delete.security).toEqual([{ bearerAuth: [] }]);
    expect(one.get.security).toEqual([{}, { bearerAuth: [] }]);
  });
});

describe('reads of /v1/products (optional auth)', () => {
  it('answer anonymous readers without fetching the JWKS', async () => {
    const fetches = issuer.fetchCount();
    expect((await t.app.inject({ url: '/v1/products' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: `/v1/products/${activeId}` })).statusCode).toBe(200);
    expect(issuer.fetchCount()).toBe(fetches);
  });

  it('refuse a token that does not verify instead of ignoring it', async () => {
    const token = await issuer.sign({ sub: 'customer-3' }, { expiresIn: -60, issuedAt: -660 });
    for (const url of ['/v1/products', `/v1/products/${activeId}`]) {
      const res = await t.app.inject({ url, headers: { authorization: `Bearer ${token}` } });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('invalid-token');
    }
  });

  it('hide a draft from anonymous readers and from readers without catalog:write', async () => {
    const anonymous = await t.app.inject({ url: `/v1/products/${draftId}` });
    expect(anonymous.statusCode).toBe(404);
    const reader = await t.app.inject({ url: `/v1/products/${draftId}`, headers: customer });
    expect(reader.statusCode).toBe(404);
  });

  it('show a draft to catalog:write, but never list it', async () => {
    const res = await t.app.inject({ url: `/v1/products/${draftId}`, headers: writer });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: draftId, status: 'draft' });
    const list = await t.app.inject({ url: '/v1/products', headers: writer });
    expect(list.json().items.map((p: { id: string }) => p.id)).toEqual([activeId]);
  });
});
