// Who may read and write categories. Reads are public, but a token that is sent is verified
// (a bad one is a 401, never silently ignored); creating needs catalog:write. Tokens come
// from a test issuer whose JWKS the service fetches over real HTTP.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const body = (slug: string) => ({ name: 'Cameras', slug });
const PROBLEM = 'application/problem+json; charset=utf-8';

async function countCategories(): Promise<number> {
  const { rows } = await t.app.pg.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM catalog.categories',
  );
  return rows[0]?.n ?? 0;
}

describe('POST /v1/categories', () => {
  it('checks the permission before the body: a bad body without catalog:write is still 403', async () => {
    const token = await issuer.sign({ sub: 'customer-2', roles: ['customer'], permissions: [] });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/categories',
      headers: bearer(token),
      payload: { nonsense: true },
    });
    expect(res.statusCode).toBe(403);
  });

  it('without a token, returns 401 with WWW-Authenticate and writes nothing', async () => {
    const before = await countCategories();
    const res = await t.app.inject({ method: 'POST', url: '/v1/categories', payload: body('a') });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['www-authenticate']).toBe('Bearer realm="meridian"');
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(await countCategories()).toBe(before);
  });

  it('without catalog:write, returns 403 naming the permission and writes nothing', async () => {
    const before = await countCategories();
    const token = await issuer.sign({
      sub: 'customer-1',
      roles: ['customer'],
      permissions: ['orders:read:own'],
    });
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/categories',
      headers: bearer(token),
      payload: body('b'),
    });
    expect(res.statusCode).toBe(403);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
    expect(res.json()).toMatchObject({
      code: 'forbidden',
      detail: 'Missing permission: catalog:write.',
    });
    expect(await countCategories()).toBe(before);
  });

  it.each([
    ['expired', { expiresIn: -60, issuedAt: -660 }],
    ['for another audience', { audience: 'another-api' }],
    ['from another issuer', { issuer: 'https://evil.example' }],
    ['of another type (an ID token)', { typ: 'JWT' }],
  ])('with a catalog:write token that is %s, returns 401 invalid-token', async (_case, opts) => {
    const token = await issuer.sign({ sub: 'staff-1', permissions: ['catalog:write'] }, opts);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/categories',
      headers: bearer(token),
      payload: body('c'),
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid-token');
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  });

  it('is documented as needing the bearer token', async () => {
    const doc = (await t.app.inject({ url: '/docs/json' })).json();
    expect(doc.paths['/v1/categories'].post.security).toEqual([{ bearerAuth: [] }]);
    expect(doc.paths['/v1/categories'].get.security).toEqual([{}, { bearerAuth: [] }]);
  });
});

describe('GET /v1/categories (optional auth)', () => {
  it('answers anonymous readers without fetching the JWKS', async () => {
    const fetches = issuer.fetchCount();
    const res = await t.app.inject({ url: '/v1/categories' });
    expect(res.statusCode).toBe(200);
    expect(issuer.fetchCount()).toBe(fetches);
  });

  it('answers a reader with a valid token', async () => {
    const res = await t.app.inject({
      url: '/v1/categories',
      headers: bearer(await issuer.sign({ sub: 'customer-2' })),
    });
    expect(res.statusCode).toBe(200);
  });

  it('refuses a token that does not verify instead of ignoring it', async () => {
    const token = await issuer.sign({ sub: 'customer-3' }, { expiresIn: -60, issuedAt: -660 });
    for (const url of ['/v1/categories', '/v1/categories/00000000-0000-4000-8000-000000000000']) {
      const res = await t.app.inject({ url, headers: bearer(token) });
      expect(res.statusCode, url).toBe(401);
      expect(res.json().code).toBe('invalid-token');
    }
  });
});
