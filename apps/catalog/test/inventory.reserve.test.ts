// Reserving stock: the no-oversell acceptance of issue #4 under real concurrency (through
// inject and over real sockets), idempotency by reservation key, all-or-nothing lines, and
// the refusals. Confirm, release and expiry: inventory.lifecycle.test.ts; who may call:
// inventory.auth.test.ts.
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createInventoryFixture,
  type InventoryFixture,
  newKey,
  PROBLEM,
  reserve,
  seedProduct,
  snapshot,
  stockOf,
  UNKNOWN_ID,
} from './inventory.helpers.ts';

let f: InventoryFixture;

beforeAll(async () => {
  f = await createInventoryFixture();
});
afterAll(() => f.close());

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** How many reservation rows hold a line of this product, by status. */
async function holdsOf(productId: string): Promise<Record<string, number>> {
  const { rows } = await f.t.app.pg.query<{ status: string; n: number }>(
    `SELECT r.status, count(*)::int AS n FROM catalog.reservations r
       JOIN catalog.reservation_lines l ON l.reservation_id = r.id
      WHERE l.product_id = $1 GROUP BY r.status`,
    [productId],
  );
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

const countBy = (codes: number[]) =>
  codes.reduce<Record<number, number>>((acc, c) => {
    acc[c] = (acc[c] ?? 0) + 1;
    return acc;
  }, {});

describe('POST /v1/inventory/reservations: no oversell under concurrency', () => {
  it('50 concurrent buyers of 1 unit, 10 in stock (inject): exactly 10 get 201, 40 get 409', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        reserve(f, { reservationKey: newKey('storm'), lines: [{ productId, quantity: 1 }] }),
      ),
    );
    expect(countBy(responses.map((r) => r.statusCode))).toEqual({ 201: 10, 409: 40 });
    for (const res of responses.filter((r) => r.statusCode === 409)) {
      expect(res.json()).toMatchObject({ code: 'insufficient-stock', productIds: [productId] });
    }
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 10 });
    // The 40 refusals left no reservation behind, not even an empty one.
    expect(await holdsOf(productId)).toEqual({ held: 10 });
  });

  it('50 concurrent buyers over real HTTP (separate sockets and pool connections): exactly 10 succeed', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await f.t.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = f.t.app.server.address() as AddressInfo;
    // Watch the row while the storm runs: available must never be seen below zero.
    let lowest = Number.POSITIVE_INFINITY;
    let storming = true;
    const watcher = (async () => {
      while (storming) {
        const s = await stockOf(f, productId);
        if (s) lowest = Math.min(lowest, s.onHand - s.reserved);
      }
    })();
    const statuses = await Promise.all(
      Array.from({ length: 50 }, async () => {
        const res = await fetch(`http://127.0.0.1:${port}/v1/inventory/reservations`, {
          method: 'POST',
          headers: { ...f.orders, 'content-type': 'application/json' },
          body: JSON.stringify({
            reservationKey: newKey('http-storm'),
            lines: [{ productId, quantity: 1 }],
          }),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    storming = false;
    await watcher;
    expect(countBy(statuses)).toEqual({ 201: 10, 409: 40 });
    expect(lowest).toBeGreaterThanOrEqual(0);
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 10 });
    expect(await holdsOf(productId)).toEqual({ held: 10 });
  });

  it('multi-line reservations crossing the same products in opposite order neither deadlock nor oversell', async () => {
    const a = await seedProduct(f, { onHand: 20 });
    const b = await seedProduct(f, { onHand: 20 });
    // Half list a then b, half b then a: locked in request order, these would deadlock.
    const responses = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        reserve(f, {
          reservationKey: newKey('cross'),
          lines:
            i % 2 === 0
              ? [
                  { productId: a, quantity: 1 },
                  { productId: b, quantity: 1 },
                ]
              : [
                  { productId: b, quantity: 1 },
                  { productId: a, quantity: 1 },
                ],
        }),
      ),
    );
    // A deadlock would surface as a 503 (Postgres aborts one transaction with 40P01; the kit
    // answers "try again"), so the exact 201/409 split below is what proves there was none.
    expect(countBy(responses.map((r) => r.statusCode))).toEqual({ 201: 20, 409: 20 });
    expect(await stockOf(f, a)).toEqual({ onHand: 20, reserved: 20 });
    expect(await stockOf(f, b)).toEqual({ onHand: 20, reserved: 20 });
  });
});

describe('POST /v1/inventory/reservations', () => {
  it('holds the units: 201, Location, the reservation, and reserved moves by exactly the quantity', async () => {
    const productId = await seedProduct(f, { onHand: 7 });
    const reservationKey = newKey();
    const res = await reserve(f, { reservationKey, lines: [{ productId, quantity: 3 }] });
    expect(res.statusCode).toBe(201);
    const body = res.json();
    expect(body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      reservationKey,
      status: 'held',
      lines: [{ productId, quantity: 3 }],
      expiresAt: expect.stringMatching(ISO),
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(res.headers.location).toBe(`/v1/inventory/reservations/${body.id}`);
    // Default hold: 15 minutes.
    expect(Date.parse(body.expiresAt) - Date.parse(body.createdAt)).toBe(900_000);
    expect(await stockOf(f, productId)).toEqual({ onHand: 7, reserved: 3 });
    const read = await f.t.app.inject({ url: res.headers.location as string, headers: f.orders });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(body);
    const { rows } = await f.t.app.pg.query(
      'SELECT client_id FROM catalog.reservations WHERE id = $1',
      [body.id],
    );
    expect(rows).toEqual([{ client_id: 'orders' }]);
  });

  it('holds for ttlSeconds when given', async () => {
    const productId = await seedProduct(f);
    const res = await reserve(f, {
      reservationKey: newKey(),
      lines: [{ productId, quantity: 1 }],
      ttlSeconds: 60,
    });
    expect(res.statusCode).toBe(201);
    const { expiresAt, createdAt } = res.json();
    expect(Date.parse(expiresAt) - Date.parse(createdAt)).toBe(60_000);
  });

  it('can take the last unit: available may reach exactly zero', async () => {
    const productId = await seedProduct(f, { onHand: 4 });
    const res = await reserve(f, { reservationKey: newKey(), lines: [{ productId, quantity: 4 }] });
    expect(res.statusCode).toBe(201);
    expect(await stockOf(f, productId)).toEqual({ onHand: 4, reserved: 4 });
  });

  it('answers lines sorted by product id, however they were sent', async () => {
    const ids = [await seedProduct(f), await seedProduct(f), await seedProduct(f)];
    const sorted = [...ids].sort();
    const res = await reserve(f, {
      reservationKey: newKey(),
      lines: [...sorted].reverse().map((productId) => ({ productId, quantity: 1 })),
    });
    expect(res.statusCode).toBe(201);
    expect(res.json().lines.map((l: { productId: string }) => l.productId)).toEqual(sorted);
  });
});

describe('POST /v1/inventory/reservations: idempotent by reservationKey', () => {
  it('the same key sent twice reserves once: 201, then 200 with the same body', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const body = { reservationKey: newKey(), lines: [{ productId, quantity: 2 }] };
    const first = await reserve(f, body);
    const second = await reserve(f, body);
    expect(first.statusCode).toBe(201);
    expect(second.statusCode).toBe(200);
    expect(second.headers.location).toBeUndefined();
    expect(second.json()).toEqual(first.json());
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 2 });
  });

  it('the same key sent 20 times at once reserves once: one 201, nineteen 200 for the same reservation', async () => {
    const productId = await seedProduct(f, { onHand: 100 });
    const body = { reservationKey: newKey('twin'), lines: [{ productId, quantity: 5 }] };
    const responses = await Promise.all(Array.from({ length: 20 }, () => reserve(f, body)));
    expect(countBy(responses.map((r) => r.statusCode))).toEqual({ 200: 19, 201: 1 });
    expect(new Set(responses.map((r) => r.json().id)).size).toBe(1);
    expect(await stockOf(f, productId)).toEqual({ onHand: 100, reserved: 5 });
    expect(await holdsOf(productId)).toEqual({ held: 1 });
  });

  it('counts lines sent in another order, or with upper-case ids, as the same lines', async () => {
    const [a, b] = [await seedProduct(f), await seedProduct(f)] as [string, string];
    const reservationKey = newKey();
    const first = await reserve(f, {
      reservationKey,
      lines: [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 2 },
      ],
    });
    const again = await reserve(f, {
      reservationKey,
      lines: [
        { productId: b.toUpperCase(), quantity: 2 },
        { productId: a, quantity: 1 },
      ],
    });
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json().id).toBe(first.json().id);
    expect(await stockOf(f, b)).toEqual({ onHand: 10, reserved: 2 });
  });

  it.each([
    ['another quantity', (p: string, _q: string) => [{ productId: p, quantity: 2 }]],
    ['another product', (_p: string, q: string) => [{ productId: q, quantity: 1 }]],
    [
      'an extra line',
      (p: string, q: string) => [
        { productId: p, quantity: 1 },
        { productId: q, quantity: 1 },
      ],
    ],
  ])(
    'a key reused with %s is 422 reservation-key-reused and changes nothing',
    async (_case, lines) => {
      const [p, q] = [await seedProduct(f), await seedProduct(f)] as [string, string];
      const reservationKey = newKey();
      expect(
        (await reserve(f, { reservationKey, lines: [{ productId: p, quantity: 1 }] })).statusCode,
      ).toBe(201);
      const before = await snapshot(f);
      const res = await reserve(f, { reservationKey, lines: lines(p, q) });
      expect(res.statusCode).toBe(422);
      expect(res.headers['content-type']).toBe(PROBLEM);
      expect(res.json()).toMatchObject({
        code: 'reservation-key-reused',
        errors: [{ in: 'body', pointer: '/reservationKey' }],
      });
      expect(await snapshot(f)).toEqual(before);
    },
  );

  it('a key whose attempt was refused for stock is free: the retry reserves once stock arrives', async () => {
    const productId = await seedProduct(f, { onHand: 1 });
    const body = { reservationKey: newKey(), lines: [{ productId, quantity: 3 }] };
    expect((await reserve(f, body)).statusCode).toBe(409);
    await f.t.app.pg.query('UPDATE catalog.inventory SET on_hand = 5 WHERE product_id = $1', [
      productId,
    ]);
    expect((await reserve(f, body)).statusCode).toBe(201);
    expect(await stockOf(f, productId)).toEqual({ onHand: 5, reserved: 3 });
  });
});

describe('POST /v1/inventory/reservations: all or nothing', () => {
  it('when one line is short, returns 409 naming it and holds nothing on the other lines', async () => {
    const plenty1 = await seedProduct(f, { onHand: 50 });
    const short = await seedProduct(f, { onHand: 2 });
    const plenty2 = await seedProduct(f, { onHand: 50 });
    const before = await snapshot(f);
    const reservationKey = newKey();
    const res = await reserve(f, {
      reservationKey,
      lines: [
        { productId: plenty1, quantity: 5 },
        { productId: short, quantity: 3 },
        { productId: plenty2, quantity: 5 },
      ],
    });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({
      status: 409,
      code: 'insufficient-stock',
      productIds: [short],
    });
    expect(await snapshot(f)).toEqual(before);
  });

  it('names every short line, and only those', async () => {
    const ok = await seedProduct(f, { onHand: 5 });
    const shortA = await seedProduct(f, { onHand: 0 });
    const shortB = await seedProduct(f, { onHand: null }); // never counted: nothing in stock
    const res = await reserve(f, {
      reservationKey: newKey(),
      lines: [
        { productId: shortA, quantity: 1 },
        { productId: ok, quantity: 5 },
        { productId: shortB, quantity: 1 },
      ],
    });
    expect(res.statusCode).toBe(409);
    expect([...res.json().productIds].sort()).toEqual([shortA, shortB].sort());
    expect(await stockOf(f, ok)).toEqual({ onHand: 5, reserved: 0 });
  });

  it('counts what others hold: 10 on hand with 8 reserved leaves 2 to reserve', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const line = (quantity: number) => ({
      reservationKey: newKey(),
      lines: [{ productId, quantity }],
    });
    expect((await reserve(f, line(8))).statusCode).toBe(201);
    expect((await reserve(f, line(3))).statusCode).toBe(409);
    expect((await reserve(f, line(2))).statusCode).toBe(201);
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 10 });
  });
});

describe('POST /v1/inventory/reservations: products not for sale', () => {
  it.each([
    ['unknown', async () => UNKNOWN_ID],
    ['a draft', () => seedProduct(f, { status: 'draft' })],
    ['archived', () => seedProduct(f, { status: 'archived' })],
    ['deleted', () => seedProduct(f, { deleted: true })],
  ])(
    'a line for a product that is %s is 422 unknown-product, and nothing is held',
    async (_case, make) => {
      const good = await seedProduct(f);
      const bad = await make();
      const before = await snapshot(f);
      const res = await reserve(f, {
        reservationKey: newKey(),
        lines: [
          { productId: good, quantity: 1 },
          { productId: bad, quantity: 1 },
        ],
      });
      expect(res.statusCode).toBe(422);
      expect(res.json()).toMatchObject({
        code: 'unknown-product',
        errors: [
          { in: 'body', pointer: '/lines/1/productId', detail: 'is not a product for sale' },
        ],
      });
      expect(await snapshot(f)).toEqual(before);
    },
  );
});

describe('POST /v1/inventory/reservations: validation', () => {
  const line = { productId: UNKNOWN_ID, quantity: 1 };
  const lines = (n: number) =>
    Array.from({ length: n }, (_, i) => ({
      productId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
      quantity: 1,
    }));

  it.each([
    ['no reservationKey', { lines: [line] }, '/reservationKey'],
    ['an empty reservationKey', { reservationKey: '', lines: [line] }, '/reservationKey'],
    [
      'a reservationKey over 100 characters',
      { reservationKey: 'k'.repeat(101), lines: [line] },
      '/reservationKey',
    ],
    [
      'a NUL in the reservationKey',
      { reservationKey: 'a\u0000b', lines: [line] },
      '/reservationKey',
    ],
    ['no lines', { reservationKey: 'k' }, '/lines'],
    ['an empty lines array', { reservationKey: 'k', lines: [] }, '/lines'],
    ['51 lines', { reservationKey: 'k', lines: lines(51) }, '/lines'],
    [
      'a quantity of 0',
      { reservationKey: 'k', lines: [{ ...line, quantity: 0 }] },
      '/lines/0/quantity',
    ],
    [
      'a negative quantity',
      { reservationKey: 'k', lines: [{ ...line, quantity: -1 }] },
      '/lines/0/quantity',
    ],
    [
      'a quantity over 1000',
      { reservationKey: 'k', lines: [{ ...line, quantity: 1001 }] },
      '/lines/0/quantity',
    ],
    [
      'a fractional quantity',
      { reservationKey: 'k', lines: [{ ...line, quantity: 1.5 }] },
      '/lines/0/quantity',
    ],
    [
      'a quantity sent as a string',
      { reservationKey: 'k', lines: [{ ...line, quantity: '1' }] },
      '/lines/0/quantity',
    ],
    [
      'a productId that is not a uuid',
      { reservationKey: 'k', lines: [{ ...line, productId: 'SKU-1' }] },
      '/lines/0/productId',
    ],
    [
      'a line without productId',
      { reservationKey: 'k', lines: [{ quantity: 1 }] },
      '/lines/0/productId',
    ],
    [
      'an unknown field in a line',
      { reservationKey: 'k', lines: [{ ...line, price: 5 }] },
      '/lines/0/price',
    ],
    [
      'an unknown top-level field',
      { reservationKey: 'k', lines: [line], priority: true },
      '/priority',
    ],
    ['ttlSeconds below 30', { reservationKey: 'k', lines: [line], ttlSeconds: 29 }, '/ttlSeconds'],
    [
      'ttlSeconds above 3600',
      { reservationKey: 'k', lines: [line], ttlSeconds: 3601 },
      '/ttlSeconds',
    ],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_case, body, pointer) => {
    const before = await snapshot(f);
    const res = await reserve(f, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));
    expect(await snapshot(f)).toEqual(before);
  });

  it.each([
    ['twice', (id: string) => id],
    ['twice, once in upper case', (id: string) => id.toUpperCase()],
  ])(
    'refuses a product listed %s with 400 pointing at the second line, and holds nothing',
    async (_case, spell) => {
      const productId = await seedProduct(f);
      const before = await snapshot(f);
      const res = await reserve(f, {
        reservationKey: newKey(),
        lines: [
          { productId, quantity: 1 },
          { productId: spell(productId), quantity: 2 },
        ],
      });
      expect(res.statusCode).toBe(400);
      expect(res.json()).toMatchObject({
        code: 'validation-failed',
        errors: [{ in: 'body', pointer: '/lines/1/productId' }],
      });
      expect(await snapshot(f)).toEqual(before);
    },
  );

  it('accepts 50 lines, the most one reservation may have', async () => {
    const ids = await Promise.all(Array.from({ length: 50 }, () => seedProduct(f, { onHand: 1 })));
    const res = await reserve(f, {
      reservationKey: newKey(),
      lines: ids.map((productId) => ({ productId, quantity: 1 })),
    });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.json().lines).toHaveLength(50);
  });
});
