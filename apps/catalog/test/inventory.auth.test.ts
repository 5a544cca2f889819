// Who may hold stock and who may count it. Reservations need the inventory:reserve scope (the
// orders service's client-credentials token); stock counts need catalog:write. Both checks
// run before the body is parsed, and a refused request changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInventoryFixture,
  type Headers,
  type InventoryFixture,
  newKey,
  PROBLEM,
  reserve,
  reserved,
  seedProduct,
  serviceToken,
  snapshot,
  stockOf,
} from './inventory.helpers.ts';

let f: InventoryFixture;
let customer: Headers;
let productId: string;
let reservationId: string;

beforeAll(async () => {
  f = await createInventoryFixture();
  const token = await f.issuer.sign({
    sub: 'customer-1',
    roles: ['customer'],
    permissions: ['orders:read:own'],
  });
  customer = { authorization: `Bearer ${token}` };
  productId = await seedProduct(f, { onHand: 10 });
  reservationId = (await reserved(f, [{ productId, quantity: 1 }])).id;
});
afterAll(() => f.close());

// Every reservation route, with a request that would succeed for the orders service.
const reservationRoutes = () =>
  [
    {
      method: 'POST',
      url: '/v1/inventory/reservations',
      payload: { reservationKey: newKey('auth'), lines: [{ productId, quantity: 1 }] },
    },
    { method: 'GET', url: `/v1/inventory/reservations/${reservationId}` },
    { method: 'POST', url: `/v1/inventory/reservations/${reservationId}/confirm` },
    { method: 'POST', url: `/v1/inventory/reservations/${reservationId}/release` },
  ] as const;

const stockRoutes = () =>
  [
    { method: 'GET', url: `/v1/products/${productId}/inventory` },
    { method: 'PUT', url: `/v1/products/${productId}/inventory`, payload: { onHand: 99 } },
  ] as const;

describe('/v1/inventory/reservations', () => {
  it('without a token, return 401 with WWW-Authenticate and change nothing', async () => {
    const before = await snapshot(f);
    for (const req of reservationRoutes()) {
      const res = await f.t.app.inject(req);
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(401);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="meridian"');
      expect(res.json()).toMatchObject({ code: 'unauthorized' });
    }
    expect(await snapshot(f)).toEqual(before);
  });

  it.each([
    ['a customer', () => customer],
    ['staff with catalog:write', () => f.staff],
  ])(
    'for %s (a user token without the scope), return 403 naming it and change nothing',
    async (_who, headers) => {
      const before = await snapshot(f);
      for (const req of reservationRoutes()) {
        const res = await f.t.app.inject({ ...req, headers: headers() });
        expect(res.statusCode, `${req.method} ${req.url}`).toBe(403);
        expect(res.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
        expect(res.json()).toMatchObject({
          code: 'forbidden',
          detail: 'Missing permission: inventory:reserve.',
        });
      }
      expect(await snapshot(f)).toEqual(before);
    },
  );

  it('for a service token with other scopes only, return 403', async () => {
    const other = await serviceToken(f.issuer, 'reports', ['catalog:read']);
    const res = await reserve(
      f,
      { reservationKey: newKey(), lines: [{ productId, quantity: 1 }] },
      other,
    );
    expect(res.statusCode).toBe(403);
  });

  it('check the scope before the body: an invalid or malformed body is still 403', async () => {
    const invalid = await reserve(f, { nonsense: true }, customer);
    expect(invalid.statusCode).toBe(403);
    const malformed = await f.t.app.inject({
      method: 'POST',
      url: '/v1/inventory/reservations',
      headers: { ...customer, 'content-type': 'application/json' },
      payload: '{"oops":',
    });
    expect(malformed.statusCode).toBe(403);
  });

  it('with the orders service token (client credentials, inventory:reserve), reserve: 201', async () => {
    const orders = await f.issuer.sign({
      sub: 'service:orders',
      client_id: 'orders',
      scope: 'inventory:reserve',
      roles: [],
      permissions: ['inventory:reserve'],
    });
    const res = await reserve(
      f,
      { reservationKey: newKey(), lines: [{ productId, quantity: 1 }] },
      { authorization: `Bearer ${orders}` },
    );
    expect(res.statusCode).toBe(201);
  });

  it.each([
    ['expired', { expiresIn: -60, issuedAt: -660 }],
    ['for another audience', { audience: 'another-api' }],
    ['from another issuer', { issuer: 'https://evil.example' }],
  ])('with a scoped token that is %s, return 401 invalid-token', async (_case, opts) => {
    const token = await f.issuer.sign(
      { sub: 'service:orders', client_id: 'orders', permissions: ['inventory:reserve'] },
      opts,
    );
    const res = await reserve(
      f,
      { reservationKey: newKey(), lines: [{ productId, quantity: 1 }] },
      { authorization: `Bearer ${token}` },
    );
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid-token');
  });
});

describe('/v1/products/:id/inventory', () => {
  it('without a token, return 401', async () => {
    for (const req of stockRoutes()) {
      const res = await f.t.app.inject(req);
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(401);
    }
    expect(await stockOf(f, productId)).toMatchObject({ onHand: 10 });
  });

  it.each([
    ['a customer', () => customer],
    ['the orders service (inventory:reserve only)', () => f.orders],
  ])('for %s, return 403 naming catalog:write and change nothing', async (_who, headers) => {
    for (const req of stockRoutes()) {
      const res = await f.t.app.inject({ ...req, headers: headers() });
      expect(res.statusCode, `${req.method} ${req.url}`).toBe(403);
      expect(res.json().detail).toBe('Missing permission: catalog:write.');
    }
    expect(await stockOf(f, productId)).toMatchObject({ onHand: 10 });
  });

  it('for staff with catalog:write, read and set: 200', async () => {
    const read = await f.t.app.inject({ ...stockRoutes()[0], headers: f.staff });
    expect(read.statusCode).toBe(200);
    const other = await seedProduct(f, { onHand: 1 });
    const set = await f.t.app.inject({
      method: 'PUT',
      url: `/v1/products/${other}/inventory`,
      headers: f.staff,
      payload: { onHand: 3 },
    });
    expect(set.statusCode).toBe(200);
  });
});

describe('OpenAPI', () => {
  it('documents every inventory route as needing the bearer token', async () => {
    const doc = (await f.t.app.inject({ url: '/docs/json' })).json();
    const bearer = [{ bearerAuth: [] }];
    expect(doc.paths['/v1/inventory/reservations'].post.security).toEqual(bearer);
    expect(doc.paths['/v1/inventory/reservations/{id}'].get.security).toEqual(bearer);
    expect(doc.paths['/v1/inventory/reservations/{id}/confirm'].post.security).toEqual(bearer);
    expect(doc.paths['/v1/inventory/reservations/{id}/release'].post.security).toEqual(bearer);
    expect(doc.paths['/v1/products/{id}/inventory'].get.security).toEqual(bearer);
    expect(doc.paths['/v1/products/{id}/inventory'].put.security).toEqual(bearer);
    expect(Object.keys(doc.paths['/v1/inventory/reservations'].post.responses)).toEqual(
      expect.arrayContaining(['200', '201', '400', '401', '403', '409', '422']),
    );
  });
});
