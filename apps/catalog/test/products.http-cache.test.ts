// HTTP caching on the public product reads (the kit's http-cache.ts): a strong ETag, 304 on
// If-None-Match, Cache-Control for a CDN, private for a caller with a token, and a new ETag
// after a write. Against a real cloned database; routes' own behaviour: products.test.ts.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let productId: string;
let draftId: string;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  writer = await staffHeaders(issuer);
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('cameras', 'Cameras') RETURNING id",
  );
  const create = async (sku: string, status: string) => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: writer,
      payload: {
        sku,
        name: `Camera ${sku}`,
        priceMinor: 49_900,
        currency: 'EUR',
        categoryId: rows[0]?.id,
        status,
      },
    });
    expect(res.statusCode, res.body).toBe(201);
    return res.json().id as string;
  };
  productId = await create('HC-1', 'active');
  draftId = await create('HC-2', 'draft');
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

const get = (url: string, headers: Record<string, string> = {}) =>
  t.app.inject({ method: 'GET', url, headers });

describe('GET /v1/products/:id', () => {
  it('200 with a strong ETag, public Cache-Control and Vary: Authorization', async () => {
    const res = await get(`/v1/products/${productId}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect(res.headers['cache-control']).toBe('public, max-age=60, stale-while-revalidate=300');
    expect(String(res.headers.vary)).toMatch(/authorization/i);
  });

  it('If-None-Match with the current ETag → 304 with no body', async () => {
    const { headers } = await get(`/v1/products/${productId}`);
    const res = await get(`/v1/products/${productId}`, {
      'if-none-match': String(headers.etag),
    });
    expect(res.statusCode).toBe(304);
    expect(res.body).toBe('');
    expect(res.headers.etag).toBe(headers.etag);
    expect(res.headers['cache-control']).toBe(headers['cache-control']);
    expect(res.headers['content-type']).toBeUndefined();
    expect(res.headers['content-length']).toBeUndefined();
  });

  it('a PATCH changes the ETag: the old one gets the new body', async () => {
    const before = await get(`/v1/products/${productId}`);
    const patched = await t.app.inject({
      method: 'PATCH',
      url: `/v1/products/${productId}`,
      headers: writer,
      payload: { name: 'Camera HC-1 mark II' },
    });
    expect(patched.statusCode, patched.body).toBe(200);
    expect(patched.headers.etag).toBeUndefined(); // writes are not cached
    const after = await get(`/v1/products/${productId}`, {
      'if-none-match': String(before.headers.etag),
    });
    expect(after.statusCode).toBe(200);
    expect(after.json().name).toBe('Camera HC-1 mark II');
    expect(after.headers.etag).toBeDefined();
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  it('a caller with a token gets private: a draft must never reach a shared cache', async () => {
    const res = await get(`/v1/products/${draftId}`, writer);
    expect(res.statusCode).toBe(200);
    expect(res.json().status).toBe('draft');
    expect(res.headers['cache-control']).toBe('private, max-age=60, stale-while-revalidate=300');
    const anonymous = await get(`/v1/products/${draftId}`, { 'if-none-match': '*' });
    expect(anonymous.statusCode).toBe(404);
    expect(anonymous.headers.etag).toBeUndefined();
    expect(anonymous.headers['cache-control']).toBeUndefined();
  });
});

describe('GET /v1/products', () => {
  it('200 with an ETag and a shorter max-age; the same ETag → 304', async () => {
    const first = await get('/v1/products?limit=10');
    expect(first.statusCode).toBe(200);
    expect(first.headers['cache-control']).toBe('public, max-age=30, stale-while-revalidate=120');
    const again = await get('/v1/products?limit=10', {
      'if-none-match': String(first.headers.etag),
    });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    expect(again.headers.etag).toBe(first.headers.etag);
  });
});
