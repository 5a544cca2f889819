// Who sees what through /graphql: the REST rules, applied by the same services. Drafts only
// for catalog:write; exact stock only for catalog:write; a token that is sent must verify.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addCategory, addProducts, gql } from './graphql.helpers.ts';
import { type CatalogTestApp, createCatalogApp, customerHeaders, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let customer: { authorization: string };
let activeIds: string[];
let draftId: string;

const PROBLEM = 'application/problem+json; charset=utf-8';

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  writer = await staffHeaders(issuer);
  customer = await customerHeaders(issuer);
  const cameras = await addCategory(t, 'cameras');
  activeIds = await addProducts(t, 'cam', 2, [cameras]);
  const { rows } = await t.app.pg.query<{ id: string }>(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status)
     VALUES ('SECRET-1', 'Secret camera', 90000, 'EUR', $1, 'draft') RETURNING id`,
    [cameras],
  );
  draftId = rows[0]?.id as string;
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

describe('drafts', () => {
  const query = `query($id: ID!) { product(id: $id) { id status } }`;

  it('are hidden from anonymous callers and callers without catalog:write (not-found)', async () => {
    for (const headers of [undefined, customer]) {
      const res = await gql(t, query, {
        variables: { id: draftId },
        ...(headers ? { headers } : {}),
      });
      expect(res.status).toBe(200);
      expect(res.body.data).toEqual({ product: null });
      expect(res.body.errors?.[0]?.extensions).toEqual({ code: 'not-found', status: 404 });
    }
  });

  it('are visible to catalog:write by id, and never listed', async () => {
    const res = await gql(t, query, { variables: { id: draftId }, headers: writer });
    expect(res.body).toEqual({ data: { product: { id: draftId, status: 'DRAFT' } } });
    const list = await gql(t, '{ products(first: 100) { nodes { id } } }', { headers: writer });
    expect(list.body.data?.products).toEqual({ nodes: activeIds.map((id) => ({ id })) });
  });
});

describe('stock', () => {
  const query = '{ products { nodes { id stock { onHand reserved available updatedAt } } } }';

  it('is null with unauthorized (401) for every product of an anonymous caller', async () => {
    const res = await gql(t, query);
    expect(res.status).toBe(200);
    expect(res.body.data?.products).toEqual({
      nodes: activeIds.map((id) => ({ id, stock: null })),
    });
    expect(res.body.errors).toHaveLength(activeIds.length);
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'This endpoint needs a Bearer access token.',
      path: ['products', 'nodes', 0, 'stock'],
      extensions: { code: 'unauthorized', status: 401 },
    });
  });

  it('is null with forbidden (403) naming catalog:write for a caller without it', async () => {
    const res = await gql(t, query, { headers: customer });
    expect(res.body.errors?.[0]).toMatchObject({
      message: 'Missing permission: catalog:write.',
      extensions: { code: 'forbidden', status: 403 },
    });
  });

  it('gives catalog:write the counts GET /v1/products/{id}/inventory gives', async () => {
    const res = await gql(t, query, { headers: writer });
    expect(res.body.errors).toBeUndefined();
    const nodes = (res.body.data?.products ?? { nodes: [] }) as {
      nodes: { id: string; stock: Record<string, unknown> }[];
    };
    for (const { id, stock } of nodes.nodes) {
      const rest = (
        await t.app.inject({ url: `/v1/products/${id}/inventory`, headers: writer })
      ).json();
      expect(stock).toEqual({
        onHand: rest.onHand,
        reserved: rest.reserved,
        available: rest.available,
        updatedAt: rest.updatedAt,
      });
    }
  });

  it('costs an anonymous product listing no JWKS fetch', async () => {
    const fetches = issuer.fetchCount();
    expect((await gql(t, '{ products { nodes { id } } }')).status).toBe(200);
    expect(issuer.fetchCount()).toBe(fetches);
  });
});

describe('a token that does not verify', () => {
  it('is a 401 problem+json with WWW-Authenticate, as on REST, before any GraphQL runs', async () => {
    const token = await issuer.sign(
      { sub: 'staff-2', permissions: ['catalog:write'] },
      {
        expiresIn: -60,
        issuedAt: -660,
      },
    );
    const res = await t.app.inject({
      method: 'POST',
      url: '/graphql',
      headers: { authorization: `Bearer ${token}` },
      payload: { query: '{ products { nodes { id } } }' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
    expect(res.json()).toMatchObject({ code: 'invalid-token', instance: '/graphql' });
  });
});
