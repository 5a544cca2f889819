// The cart over HTTP: a small orders service with only the cart routes, on a cloned database,
// pricing from a real catalog reached over real HTTP with a service token. Covers the four
// routes, totals, the catalog-driven 422s, the line cap under concurrency, who may use a
// cart, refused input that changes nothing, and catalog going away.
import { randomUUID } from 'node:crypto';
import { createService } from '@meridian/service-kit';
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogClient, createHttpCatalogClient } from '../src/clients/catalog.ts';
import { type Config, ConfigSchema } from '../src/config.ts';
import { createOrdersDb, DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { cartRoutes } from '../src/modules/carts/carts.routes.ts';
import { MAX_CART_LINES } from '../src/modules/carts/carts.schemas.ts';
import { cartsService } from '../src/modules/carts/carts.service.ts';
import { type CatalogFixture, serviceToken, startCatalog } from './catalog-fixture.ts';

type CartApp = Awaited<ReturnType<typeof createService>>;

interface Stack {
  catalog: CatalogFixture;
  t: TestApp<CartApp, Config>;
  /**
   * Holds the next `size` catalog reads, answered, until all of them have arrived, then lets
   * them go at once: their requests reach the cart's transaction together, which is the race
   * the line cap must survive. Without it, catalog's latency spreads them out.
   */
  holdCatalogReads(size: number): void;
  close(): Promise<void>;
}

interface Gate {
  size: number;
  arrived: number;
  open: () => void;
  opened: Promise<void>;
}

/** A catalog and an orders service that registers only the cart routes, wired like app.ts. */
async function startStack(issuer: TestIssuer): Promise<Stack> {
  const catalog = await startCatalog(issuer);
  let gate: Gate | null = null;
  const buildApp = (config: Config) =>
    createService({
      name: 'orders',
      version: '0.0.0-test',
      description: 'Carts only, for carts.test.ts.',
      config,
      routes: async (app) => {
        const client = createHttpCatalogClient({
          baseUrl: config.CATALOG_URL,
          timeoutMs: config.CATALOG_TIMEOUT_MS,
          retries: { attempts: config.CATALOG_RETRIES, baseDelayMs: 10, maxDelayMs: 50 },
          breaker: { resetTimeoutMs: config.CATALOG_BREAKER_RESET_MS },
          token: serviceToken(issuer),
        });
        app.addHook('onClose', async () => client.close());
        const gated: CatalogClient = {
          ...client,
          async getProducts(ids, requestId) {
            const found = await client.getProducts(ids, requestId);
            const g = gate;
            if (g) {
              g.arrived += 1;
              if (g.arrived >= g.size) {
                gate = null;
                g.open();
              }
              await g.opened;
            }
            return found;
          },
        };
        const carts = cartsService(createOrdersDb(app.pg), gated);
        await app.register(cartRoutes, { prefix: '/v1', carts });
      },
    });
  const t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    env: {
      ...issuer.env,
      AUTH_DEV_DEFAULTS: 'true',
      CATALOG_URL: catalog.url,
      // The cap test sends catalog ~1,000 product reads at once (20 PUTs × 46 lines); the
      // default 1 s per attempt would time some out and open the breaker for the next tests.
      CATALOG_TIMEOUT_MS: '10000',
      RATE_LIMIT_MAX: '100000',
      RATE_LIMIT_USER_MAX: '100000',
    },
  });
  return {
    catalog,
    t,
    holdCatalogReads(size) {
      let open = () => {};
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      gate = { size, arrived: 0, open, opened };
    },
    async close() {
      await t.close();
      await catalog.close();
    },
  };
}

let issuer: TestIssuer;
let s: Stack;
let staffToken: string;

beforeAll(async () => {
  issuer = await createTestIssuer();
  s = await startStack(issuer);
  staffToken = await issuer.sign({
    sub: 'staff-1',
    roles: ['staff'],
    permissions: ['catalog:write'],
  });
});
afterAll(async () => {
  await s?.close();
  await issuer?.close();
});

type Headers = Record<string, string>;

/** A fresh signed-in customer: every test gets its own cart. */
async function newUser(): Promise<{ id: string; headers: Headers }> {
  const id = randomUUID();
  const token = await issuer.sign({ sub: id, roles: ['customer'], permissions: [] });
  return { id, headers: { authorization: `Bearer ${token}` } };
}

/** Staff's call to catalog's API over HTTP; the answer's JSON, after checking its status. */
async function catalogCall(stack: Stack, method: string, path: string, body?: unknown) {
  const res = await fetch(`${stack.catalog.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${staffToken}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// The cart needs a live product and nothing else (no stock), made as staff would make it.
// Not the fixture's product(): catalog now requires a category, which that one does not send.
const categories = new WeakMap<Stack, Promise<string>>();
let skus = 0;
async function product(priceMinor: number, currency = 'EUR', stack = s): Promise<string> {
  let category = categories.get(stack);
  if (!category) {
    category = catalogCall(stack, 'POST', '/v1/categories', {
      name: 'Cart tests',
      slug: 'cart-tests',
    }).then((c: { id: string }) => c.id);
    categories.set(stack, category);
  }
  const created = await catalogCall(stack, 'POST', '/v1/products', {
    sku: `CART-${++skus}-${currency}`,
    name: `Cart product ${skus}`,
    priceMinor,
    currency,
    status: 'active',
    categoryId: await category,
  });
  return created.id;
}

const getCart = (headers: Headers, stack = s) =>
  stack.t.app.inject({ method: 'GET', url: '/v1/cart', headers });
const put = (productId: string, body: unknown, headers: Headers, stack = s) =>
  stack.t.app.inject({
    method: 'PUT',
    url: `/v1/cart/items/${productId}`,
    headers,
    payload: body as object,
  });
const removeItem = (productId: string, headers: Headers, stack = s) =>
  stack.t.app.inject({ method: 'DELETE', url: `/v1/cart/items/${productId}`, headers });
const emptyCart = (headers: Headers, stack = s) =>
  stack.t.app.inject({ method: 'DELETE', url: '/v1/cart', headers });

/** The user's rows as stored, oldest first. */
async function rows(userId: string, stack = s) {
  const { rows } = await stack.t.app.pg.query<{ productId: string; quantity: number }>(
    `SELECT product_id AS "productId", quantity FROM orders.cart_items
      WHERE user_id = $1 ORDER BY added_at, product_id`,
    [userId],
  );
  return rows;
}

const deleteInCatalog = (productId: string) =>
  catalogCall(s, 'DELETE', `/v1/products/${productId}`);

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

describe('GET /v1/cart', () => {
  it('an empty cart: no items, a null subtotal, zero counts', async () => {
    const user = await newUser();
    const res = await getCart(user.headers);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [], subtotal: null, itemCount: 0, lineCount: 0 });
  });
});

describe('PUT /v1/cart/items/:productId', () => {
  it('creates a line (201), then sets its quantity (200); prices and totals in minor units', async () => {
    const user = await newUser();
    const mug = await product(1999);
    const pen = await product(250);

    const created = await put(mug, { quantity: 3 }, user.headers);
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().subtotal).toEqual({ amountMinor: 5997, currency: 'EUR' });

    expect((await put(pen, { quantity: 1 }, user.headers)).statusCode).toBe(201);
    const updated = await put(pen, { quantity: 2 }, user.headers);
    expect(updated.statusCode).toBe(200);

    const cart = (await getCart(user.headers)).json();
    expect(cart).toEqual(updated.json());
    expect(cart.items).toEqual([
      {
        productId: mug,
        sku: expect.stringMatching(/^CART-/),
        name: expect.any(String),
        unitPrice: { amountMinor: 1999, currency: 'EUR' },
        quantity: 3,
        lineTotal: { amountMinor: 5997, currency: 'EUR' },
        available: true,
        unavailableReason: null,
      },
      {
        productId: pen,
        sku: expect.stringMatching(/^CART-/),
        name: expect.any(String),
        unitPrice: { amountMinor: 250, currency: 'EUR' },
        quantity: 2,
        lineTotal: { amountMinor: 500, currency: 'EUR' },
        available: true,
        unavailableReason: null,
      },
    ]);
    expect(cart.subtotal).toEqual({ amountMinor: 6497, currency: 'EUR' });
    expect(cart.itemCount).toBe(5);
    expect(cart.lineCount).toBe(2);
    expect(await rows(user.id)).toEqual([
      { productId: mug, quantity: 3 },
      { productId: pen, quantity: 2 },
    ]);
  });

  it('the bounds themselves are accepted: 1 and 1000', async () => {
    const user = await newUser();
    const id = await product(1);
    expect((await put(id, { quantity: 1000 }, user.headers)).statusCode).toBe(201);
    expect((await put(id, { quantity: 1 }, user.headers)).statusCode).toBe(200);
    expect(await rows(user.id)).toEqual([{ productId: id, quantity: 1 }]);
  });

  it('a product catalog does not know → 422 product-unavailable pointing at /productId, no row', async () => {
    const user = await newUser();
    const res = await put(UNKNOWN, { quantity: 1 }, user.headers);
    expect(res.statusCode).toBe(422);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({
      code: 'product-unavailable',
      errors: [{ in: 'params', pointer: '/productId' }],
    });
    expect(await rows(user.id)).toEqual([]);
  });

  it('a product in another currency than the cart → 422 currency-mismatch, no row', async () => {
    const user = await newUser();
    const eur = await product(1000, 'EUR');
    const usd = await product(1000, 'USD');
    expect((await put(eur, { quantity: 1 }, user.headers)).statusCode).toBe(201);
    const res = await put(usd, { quantity: 1 }, user.headers);
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'currency-mismatch',
      cartCurrency: 'EUR',
      productCurrency: 'USD',
      errors: [{ pointer: '/productId' }],
    });
    expect(await rows(user.id)).toEqual([{ productId: eur, quantity: 1 }]);

    // The same product is fine in a cart of its own currency.
    const other = await newUser();
    expect((await put(usd, { quantity: 1 }, other.headers)).statusCode).toBe(201);
  });
});

describe('DELETE /v1/cart/items/:productId and DELETE /v1/cart', () => {
  it('removes one line (204); a second time → 404 not-in-cart', async () => {
    const user = await newUser();
    const a = await product(100);
    const b = await product(200);
    await put(a, { quantity: 1 }, user.headers);
    await put(b, { quantity: 1 }, user.headers);

    const removed = await removeItem(a, user.headers);
    expect(removed.statusCode).toBe(204);
    expect(removed.body).toBe('');
    expect(await rows(user.id)).toEqual([{ productId: b, quantity: 1 }]);

    const again = await removeItem(a, user.headers);
    expect(again.statusCode).toBe(404);
    expect(again.headers['content-type']).toContain('application/problem+json');
    expect(again.json().code).toBe('not-in-cart');
    expect((await getCart(user.headers)).json().subtotal).toEqual({
      amountMinor: 200,
      currency: 'EUR',
    });
  });

  it('empties the cart (204), and an empty cart empties without complaint', async () => {
    const user = await newUser();
    await put(await product(100), { quantity: 2 }, user.headers);
    await put(await product(300), { quantity: 1 }, user.headers);
    expect((await emptyCart(user.headers)).statusCode).toBe(204);
    expect(await rows(user.id)).toEqual([]);
    expect((await getCart(user.headers)).json()).toMatchObject({ items: [], subtotal: null });
    expect((await emptyCart(user.headers)).statusCode).toBe(204);
  });
});

describe('the line cap', () => {
  it(`holds at ${MAX_CART_LINES} when 20 new products are added at once to a cart of 45`, async () => {
    const user = await newUser();
    // 45 lines already there (products catalog no longer has: they still count as lines).
    await s.t.app.pg.query(
      `INSERT INTO orders.cart_items (user_id, product_id, quantity)
       SELECT $1, gen_random_uuid(), 1 FROM generate_series(1, 45)`,
      [user.id],
    );
    const fresh: string[] = [];
    for (let i = 0; i < 20; i++) fresh.push(await product(100 + i));

    s.holdCatalogReads(fresh.length);
    const results = await Promise.all(fresh.map((id) => put(id, { quantity: 1 }, user.headers)));
    const codes = results.map((r) => r.statusCode);
    expect(codes.filter((c) => c === 201)).toHaveLength(MAX_CART_LINES - 45);
    expect(codes.filter((c) => c === 422)).toHaveLength(20 - (MAX_CART_LINES - 45));
    expect(results.find((r) => r.statusCode === 422)?.json()).toMatchObject({
      code: 'cart-full',
      maxLines: MAX_CART_LINES,
    });
    expect(await rows(user.id)).toHaveLength(MAX_CART_LINES);

    // A full cart still takes a new quantity for a line it has.
    const kept = fresh[codes.indexOf(201)] as string;
    expect((await put(kept, { quantity: 7 }, user.headers)).statusCode).toBe(200);
    const refused = fresh[codes.indexOf(422)] as string;
    expect((await put(refused, { quantity: 1 }, user.headers)).statusCode).toBe(422);
    expect(await rows(user.id)).toHaveLength(MAX_CART_LINES);
  });
});

describe('whose cart', () => {
  it("another user's cart is never visible, removable or changed", async () => {
    const alice = await newUser();
    const bob = await newUser();
    const id = await product(500);
    await put(id, { quantity: 4 }, alice.headers);

    expect((await getCart(bob.headers)).json()).toMatchObject({ items: [], lineCount: 0 });
    expect((await removeItem(id, bob.headers)).statusCode).toBe(404);
    expect((await emptyCart(bob.headers)).statusCode).toBe(204);
    const bobPut = await put(id, { quantity: 1 }, bob.headers);
    expect(bobPut.statusCode, bobPut.body).toBe(201);

    expect(await rows(alice.id)).toEqual([{ productId: id, quantity: 4 }]);
    expect(await rows(bob.id)).toEqual([{ productId: id, quantity: 1 }]);
    expect((await getCart(alice.headers)).json().items[0].quantity).toBe(4);
  });

  it.each([
    ['no token', 401, 'unauthorized', async (): Promise<Headers> => ({})],
    [
      'a service token',
      403,
      'user-required',
      async () => ({ authorization: `Bearer ${await serviceToken(issuer)()}` }),
    ],
    [
      'a user token whose subject is not an account id',
      403,
      'user-required',
      async () => ({ authorization: `Bearer ${await issuer.sign({ sub: 'customer-1' })}` }),
    ],
  ])(
    'with %s every route is refused (%i %s), even with a bad body; nothing changes',
    async (_case, status, code, headersOf) => {
      const user = await newUser();
      const id = await product(100);
      await put(id, { quantity: 2 }, user.headers);
      const headers = await headersOf();

      const responses = [
        await getCart(headers),
        await put(id, { quantity: 5 }, headers),
        await put(id, { nonsense: true }, headers),
        await removeItem(id, headers),
        await emptyCart(headers),
      ];
      for (const res of responses) {
        expect(res.statusCode, res.body).toBe(status);
        expect(res.headers['content-type']).toContain('application/problem+json');
        expect(res.json().code).toBe(code);
      }
      expect(await rows(user.id)).toEqual([{ productId: id, quantity: 2 }]);
    },
  );
});

describe('bad input changes nothing', () => {
  it.each([
    ['a negative quantity', { quantity: -1 }, '/quantity'],
    ['zero', { quantity: 0 }, '/quantity'],
    ['1001', { quantity: 1001 }, '/quantity'],
    ['a string quantity', { quantity: '5' }, '/quantity'],
    ['a fraction', { quantity: 1.5 }, '/quantity'],
    ['no quantity', {}, '/quantity'],
    ['an extra field', { quantity: 2, price: 1 }, '/price'],
  ])('%s → 400 naming the field', async (_case, body, pointer) => {
    const user = await newUser();
    const id = await product(100);
    await put(id, { quantity: 2 }, user.headers);
    const fresh = await product(100);

    for (const target of [id, fresh]) {
      const res = await put(target, body, user.headers);
      expect(res.statusCode, res.body).toBe(400);
      expect(res.json().code).toBe('validation-failed');
      expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    }
    expect(await rows(user.id)).toEqual([{ productId: id, quantity: 2 }]);
  });

  it.each([
    ['not a uuid', 'not-a-uuid'],
    ['a urn:uuid', `urn:uuid:${UNKNOWN}`],
  ])('a product id that is %s → 400 on PUT and DELETE', async (_case, badId) => {
    const user = await newUser();
    const id = await product(100);
    await put(id, { quantity: 2 }, user.headers);

    const putRes = await put(encodeURIComponent(badId), { quantity: 1 }, user.headers);
    expect(putRes.statusCode).toBe(400);
    expect(putRes.json().errors[0]).toMatchObject({ in: 'params', pointer: '/productId' });
    expect((await removeItem(encodeURIComponent(badId), user.headers)).statusCode).toBe(400);
    expect(await rows(user.id)).toEqual([{ productId: id, quantity: 2 }]);
  });
});

describe('when catalog changes under the cart', () => {
  it('a product deleted after it was added is kept and shown as unavailable, outside the subtotal', async () => {
    const user = await newUser();
    const gone = await product(1000);
    const kept = await product(300);
    await put(gone, { quantity: 2 }, user.headers);
    await put(kept, { quantity: 1 }, user.headers);
    await deleteInCatalog(gone);

    const cart = (await getCart(user.headers)).json();
    expect(cart.items).toEqual([
      {
        productId: gone,
        sku: null,
        name: null,
        unitPrice: null,
        quantity: 2,
        lineTotal: null,
        available: false,
        unavailableReason: 'product-unavailable',
      },
      expect.objectContaining({ productId: kept, available: true }),
    ]);
    expect(cart.subtotal).toEqual({ amountMinor: 300, currency: 'EUR' });
    expect(cart.itemCount).toBe(1);
    expect(cart.lineCount).toBe(2);

    // Its quantity can no longer be changed; it can be removed.
    expect((await put(gone, { quantity: 3 }, user.headers)).json().code).toBe(
      'product-unavailable',
    );
    expect(await rows(user.id)).toEqual([
      { productId: gone, quantity: 2 },
      { productId: kept, quantity: 1 },
    ]);
    expect((await removeItem(gone, user.headers)).statusCode).toBe(204);
  });

  it("the only live line sets the currency: a dead line's currency no longer counts", async () => {
    const user = await newUser();
    const eur = await product(1000, 'EUR');
    await put(eur, { quantity: 1 }, user.headers);
    await deleteInCatalog(eur);
    const usd = await product(700, 'USD');
    expect((await put(usd, { quantity: 2 }, user.headers)).statusCode).toBe(201);
    expect((await getCart(user.headers)).json().subtotal).toEqual({
      amountMinor: 1400,
      currency: 'USD',
    });
  });
});

describe('for checkout (the service, inside a transaction)', () => {
  it('listItems reads the raw lines; clear(only) deletes just the lines still as they were read', async () => {
    const user = await newUser();
    const a = await product(100);
    const b = await product(200);
    const c = await product(300);
    await put(a, { quantity: 1 }, user.headers);
    await put(b, { quantity: 2 }, user.headers);
    const db = createOrdersDb(s.t.app.pg);
    // A client the service never calls here: listItems and clear need no catalog.
    const carts = cartsService(db, {} as Parameters<typeof cartsService>[1]);

    const read = await carts.listItems(user.id);
    expect(read).toEqual([
      { productId: a, quantity: 1 },
      { productId: b, quantity: 2 },
    ]);
    // Meanwhile the customer changes b and adds c.
    await put(b, { quantity: 5 }, user.headers);
    await put(c, { quantity: 1 }, user.headers);

    const deleted = await db.transaction(async (tx) => {
      expect(await carts.listItems(user.id, tx)).toHaveLength(3);
      return carts.clear(user.id, tx, read);
    });
    expect(deleted).toBe(1);
    expect(await rows(user.id)).toEqual([
      { productId: b, quantity: 5 },
      { productId: c, quantity: 1 },
    ]);

    // Without `only`, everything goes; a rolled-back transaction takes the delete with it.
    await expect(
      db.transaction(async (tx) => {
        expect(await carts.clear(user.id, tx)).toBe(2);
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(await rows(user.id)).toHaveLength(2);
    expect(await db.transaction((tx) => carts.clear(user.id, tx))).toBe(2);
    expect(await rows(user.id)).toEqual([]);
  });
});

describe('when catalog is down', () => {
  // A stack of its own: stopping this catalog must not affect the tests above.
  let down: Stack;
  beforeAll(async () => {
    down = await startStack(issuer);
  });
  afterAll(async () => {
    await down?.close();
  });

  it('reads and changes answer 503 problem+json and change nothing; removing still works', async () => {
    const user = await newUser();
    const a = await product(100, 'EUR', down);
    const b = await product(200, 'EUR', down);
    const c = await product(300, 'EUR', down);
    expect((await put(a, { quantity: 1 }, user.headers, down)).statusCode).toBe(201);
    expect((await put(b, { quantity: 1 }, user.headers, down)).statusCode).toBe(201);
    await down.catalog.stop();

    const responses = [
      await getCart(user.headers, down),
      await put(a, { quantity: 9 }, user.headers, down),
      await put(c, { quantity: 1 }, user.headers, down),
    ];
    for (const res of responses) {
      expect(res.statusCode, res.body).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.headers['retry-after']).toMatch(/^\d+$/);
      expect(res.json()).toMatchObject({ code: 'dependency-unavailable', dependency: 'catalog' });
    }
    expect(await rows(user.id, down)).toEqual([
      { productId: a, quantity: 1 },
      { productId: b, quantity: 1 },
    ]);

    // Removing needs no prices: it works without catalog.
    expect((await removeItem(b, user.headers, down)).statusCode).toBe(204);
    expect((await emptyCart(user.headers, down)).statusCode).toBe(204);
    expect(await rows(user.id, down)).toEqual([]);
    // And an empty cart is shown without asking catalog.
    expect((await getCart(user.headers, down)).json()).toMatchObject({ items: [], subtotal: null });
  });
});
