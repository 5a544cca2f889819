// After a reservation is made: reading it, confirm and release (exact numbers, idempotent,
// and racing each other), expiry (the service function, two sweeps at once, and the app's
// interval), staff stock counts, and the CHECKs that hold whatever the code does.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCatalogDb } from '../src/db/client.ts';
import {
  expireReservations,
  startExpirySweep,
} from '../src/modules/inventory/inventory.service.ts';
import {
  act,
  createInventoryFixture,
  type InventoryFixture,
  newKey,
  PROBLEM,
  reserve,
  reserved,
  seedProduct,
  serviceToken,
  snapshot,
  stockOf,
  UNKNOWN_ID,
} from './inventory.helpers.ts';

let f: InventoryFixture;

beforeAll(async () => {
  f = await createInventoryFixture();
});
afterAll(() => f.close());

const HOUR = 3_600_000;

async function statusOf(id: string): Promise<string | undefined> {
  const { rows } = await f.t.app.pg.query<{ status: string }>(
    'SELECT status FROM catalog.reservations WHERE id = $1',
    [id],
  );
  return rows[0]?.status;
}

describe('GET /v1/inventory/reservations/:id', () => {
  it('when the id is unknown, returns 404 problem+json', async () => {
    const res = await f.t.app.inject({
      url: `/v1/inventory/reservations/${UNKNOWN_ID}`,
      headers: f.orders,
    });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json().code).toBe('not-found');
  });

  it('when the id is not a uuid, returns 400 naming the parameter', async () => {
    const res = await f.t.app.inject({ url: '/v1/inventory/reservations/x', headers: f.orders });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'params', pointer: '/id' });
  });
});

describe('POST /v1/inventory/reservations/:id/confirm', () => {
  it('takes the units out of stock: on hand and reserved both drop by exactly the quantities', async () => {
    const a = await seedProduct(f, { onHand: 10 });
    const b = await seedProduct(f, { onHand: 6 });
    const r = await reserved(f, [
      { productId: a, quantity: 3 },
      { productId: b, quantity: 6 },
    ]);
    const res = await act(f, r.id, 'confirm');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: r.id, status: 'confirmed', lines: r.lines });
    expect(await stockOf(f, a)).toEqual({ onHand: 7, reserved: 0 });
    expect(await stockOf(f, b)).toEqual({ onHand: 0, reserved: 0 });
  });

  it('is idempotent: confirming again is 200 with the same reservation, and stock stays', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const r = await reserved(f, [{ productId, quantity: 4 }]);
    const first = await act(f, r.id, 'confirm');
    const second = await act(f, r.id, 'confirm');
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await stockOf(f, productId)).toEqual({ onHand: 6, reserved: 0 });
  });

  it('leaves the other holds on the product alone', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const mine = await reserved(f, [{ productId, quantity: 2 }]);
    await reserved(f, [{ productId, quantity: 5 }]);
    await act(f, mine.id, 'confirm');
    expect(await stockOf(f, productId)).toEqual({ onHand: 8, reserved: 5 });
  });

  it('when the reservation was released, returns 409 reservation-not-held and changes nothing', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const r = await reserved(f, [{ productId, quantity: 4 }]);
    await act(f, r.id, 'release');
    const before = await snapshot(f);
    const res = await act(f, r.id, 'confirm');
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({
      code: 'reservation-not-held',
      reservationStatus: 'released',
    });
    expect(await snapshot(f)).toEqual(before);
  });

  it('when the hold is past its deadline but not swept yet, expires it, gives the units back and returns 409', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const r = await reserved(f, [{ productId, quantity: 4 }]);
    await f.t.app.pg.query(
      "UPDATE catalog.reservations SET expires_at = now() - interval '1 second' WHERE id = $1",
      [r.id],
    );
    const res = await act(f, r.id, 'confirm');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'reservation-not-held',
      reservationStatus: 'expired',
    });
    expect(await statusOf(r.id)).toBe('expired');
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 0 });
  });

  it('when the id is unknown, returns 404', async () => {
    const res = await act(f, UNKNOWN_ID, 'confirm');
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /v1/inventory/reservations/:id/release', () => {
  it('gives the units back: reserved drops by exactly the quantities, on hand stays', async () => {
    const a = await seedProduct(f, { onHand: 10 });
    const b = await seedProduct(f, { onHand: 3 });
    const r = await reserved(f, [
      { productId: a, quantity: 3 },
      { productId: b, quantity: 3 },
    ]);
    const res = await act(f, r.id, 'release');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: r.id, status: 'released' });
    expect(await stockOf(f, a)).toEqual({ onHand: 10, reserved: 0 });
    expect(await stockOf(f, b)).toEqual({ onHand: 3, reserved: 0 });
  });

  it('is idempotent: releasing again is 200 with the same reservation, and stock is given back once', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const other = await reserved(f, [{ productId, quantity: 5 }]);
    const r = await reserved(f, [{ productId, quantity: 4 }]);
    const first = await act(f, r.id, 'release');
    const second = await act(f, r.id, 'release');
    expect(second.statusCode).toBe(200);
    expect(second.json()).toEqual(first.json());
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 5 });
    expect(await statusOf(other.id)).toBe('held');
  });

  it('when the reservation was confirmed, returns 409 reservation-not-held and changes nothing', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const r = await reserved(f, [{ productId, quantity: 4 }]);
    await act(f, r.id, 'confirm');
    const before = await snapshot(f);
    const res = await act(f, r.id, 'release');
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({
      code: 'reservation-not-held',
      reservationStatus: 'confirmed',
    });
    expect(await snapshot(f)).toEqual(before);
  });

  it('makes the units reservable again', async () => {
    const productId = await seedProduct(f, { onHand: 2 });
    const r = await reserved(f, [{ productId, quantity: 2 }]);
    await act(f, r.id, 'release');
    await reserved(f, [{ productId, quantity: 2 }]);
    expect(await stockOf(f, productId)).toEqual({ onHand: 2, reserved: 2 });
  });
});

describe('confirm and release racing on one reservation', () => {
  it('exactly one wins, and the stock matches the winner', async () => {
    for (let round = 0; round < 10; round++) {
      const productId = await seedProduct(f, { onHand: 10 });
      const r = await reserved(f, [{ productId, quantity: 3 }]);
      const [confirm, release] = await Promise.all([
        act(f, r.id, 'confirm'),
        act(f, r.id, 'release'),
      ]);
      const codes = [confirm.statusCode, release.statusCode].sort();
      expect(codes).toEqual([200, 409]);
      const confirmed = confirm.statusCode === 200;
      expect(await statusOf(r.id)).toBe(confirmed ? 'confirmed' : 'released');
      expect(await stockOf(f, productId)).toEqual(
        confirmed ? { onHand: 7, reserved: 0 } : { onHand: 10, reserved: 0 },
      );
    }
  });
});

describe('expireReservations(db, now)', () => {
  const db = () => createCatalogDb(f.t.app.pg);

  it('turns held reservations past their deadline into expired and gives their units back', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const soon = await reserved(f, [{ productId, quantity: 2 }], { ttlSeconds: 60 });
    const later = await reserved(f, [{ productId, quantity: 3 }], { ttlSeconds: 3600 });
    // Two minutes on: the 60 s hold has lapsed, the hour-long one has not.
    const expired = await expireReservations(db(), new Date(Date.now() + 120_000));
    expect(expired).toBeGreaterThanOrEqual(1);
    expect(await statusOf(soon.id)).toBe('expired');
    expect(await statusOf(later.id)).toBe('held');
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 3 });
  });

  it('leaves confirmed and released reservations alone, and does nothing the second time', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const confirmed = await reserved(f, [{ productId, quantity: 1 }]);
    const released = await reserved(f, [{ productId, quantity: 2 }]);
    const held = await reserved(f, [{ productId, quantity: 3 }]);
    await act(f, confirmed.id, 'confirm');
    await act(f, released.id, 'release');
    const future = new Date(Date.now() + 2 * HOUR);
    await expireReservations(db(), future);
    expect(await expireReservations(db(), future)).toBe(0);
    expect(await statusOf(confirmed.id)).toBe('confirmed');
    expect(await statusOf(released.id)).toBe('released');
    expect(await statusOf(held.id)).toBe('expired');
    expect(await stockOf(f, productId)).toEqual({ onHand: 9, reserved: 0 });
  });

  it('after expiry: confirm is 409, release is 200 with nothing to give back, the key replays the expired reservation', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const reservationKey = newKey();
    const lines = [{ productId, quantity: 4 }];
    const r = (await reserve(f, { reservationKey, lines })).json();
    await expireReservations(db(), new Date(Date.now() + 2 * HOUR));
    const confirm = await act(f, r.id, 'confirm');
    expect(confirm.statusCode).toBe(409);
    expect(confirm.json()).toMatchObject({
      code: 'reservation-not-held',
      reservationStatus: 'expired',
    });
    const release = await act(f, r.id, 'release');
    expect(release.statusCode).toBe(200);
    expect(release.json().status).toBe('expired');
    const replay = await reserve(f, { reservationKey, lines });
    expect(replay.statusCode).toBe(200);
    expect(replay.json()).toMatchObject({ id: r.id, status: 'expired' });
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 0 });
  });

  it('two sweeps at once (two replicas) expire each reservation once and give stock back once', async () => {
    const a = await seedProduct(f, { onHand: 1000 });
    const b = await seedProduct(f, { onHand: 1000 });
    // More than one batch of 100, with lines on shared products.
    const ids = [];
    for (let i = 0; i < 250; i++) {
      const r = await reserved(f, [
        { productId: a, quantity: 1 },
        { productId: b, quantity: 2 },
      ]);
      ids.push(r.id);
    }
    expect(await stockOf(f, a)).toEqual({ onHand: 1000, reserved: 250 });
    const future = new Date(Date.now() + 2 * HOUR);
    const [one, two] = await Promise.all([
      expireReservations(db(), future),
      expireReservations(db(), future),
    ]);
    // Other tests' holds lapse too; these 250 are among them, each counted once.
    const { rows } = await f.t.app.pg.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM catalog.reservations WHERE id = ANY($1) AND status = 'expired'",
      [ids],
    );
    expect(rows[0]?.n).toBe(250);
    expect(one + two).toBeGreaterThanOrEqual(250);
    expect(await stockOf(f, a)).toEqual({ onHand: 1000, reserved: 0 });
    expect(await stockOf(f, b)).toEqual({ onHand: 1000, reserved: 0 });
  });
});

describe('the in-process expiry sweep', () => {
  const lapse = (g: InventoryFixture, id: string) =>
    g.t.app.pg.query(
      "UPDATE catalog.reservations SET expires_at = now() - interval '1 second' WHERE id = $1",
      [id],
    );

  it('startExpirySweep expires on every tick, logs what it did, and does nothing after stop()', async () => {
    const logged: object[] = [];
    const log = {
      info: (obj: object) => logged.push(obj),
      error: (obj: object) => logged.push(obj),
    };
    const sweep = startExpirySweep(createCatalogDb(f.t.app.pg), { intervalMs: 20, log });
    const productId = await seedProduct(f, { onHand: 5 });
    const first = await reserved(f, [{ productId, quantity: 2 }]);
    await lapse(f, first.id);
    await expect.poll(() => statusOf(first.id), { timeout: 5_000, interval: 20 }).toBe('expired');
    expect(logged).toContainEqual({ expired: expect.any(Number) });
    await sweep.stop();
    const second = await reserved(f, [{ productId, quantity: 3 }]);
    await lapse(f, second.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await statusOf(second.id)).toBe('held');
    expect(await stockOf(f, productId)).toEqual({ onHand: 5, reserved: 3 });
  });

  it('expires lapsed holds on its interval, and stops when the app closes', async () => {
    const g = await createInventoryFixture({ RESERVATION_EXPIRY_INTERVAL_MS: '50' });
    try {
      const productId = await seedProduct(g, { onHand: 5 });
      const r = await reserved(g, [{ productId, quantity: 5 }]);
      await lapse(g, r.id);
      await expect
        .poll(async () => stockOf(g, productId), { timeout: 5_000, interval: 50 })
        .toEqual({ onHand: 5, reserved: 0 });
      const read = await g.t.app.inject({
        url: `/v1/inventory/reservations/${r.id}`,
        headers: g.orders,
      });
      expect(read.json().status).toBe('expired');
    } finally {
      // close() would hang on a sweep that never stops, or fail on one using a closed pool.
      await g.close();
    }
  });
});

describe('GET and PUT /v1/products/:id/inventory', () => {
  const url = (id: string) => `/v1/products/${id}/inventory`;
  const put = (id: string, payload: unknown) =>
    f.t.app.inject({ method: 'PUT', url: url(id), headers: f.staff, payload: payload as object });

  it('reads zeros for a product never counted', async () => {
    const productId = await seedProduct(f, { onHand: null });
    const res = await f.t.app.inject({ url: url(productId), headers: f.staff });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      productId,
      onHand: 0,
      reserved: 0,
      available: 0,
      lowStockThreshold: 5,
      updatedAt: null,
    });
  });

  it('sets on hand (creating the row), and reads back on hand, reserved and available', async () => {
    const productId = await seedProduct(f, { onHand: null, status: 'draft' });
    const res = await put(productId, { onHand: 12 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      productId,
      onHand: 12,
      reserved: 0,
      available: 12,
      lowStockThreshold: 5,
      updatedAt: expect.any(String),
    });
    await f.t.app.pg.query("UPDATE catalog.products SET status = 'active' WHERE id = $1", [
      productId,
    ]);
    await reserved(f, [{ productId, quantity: 5 }]);
    const read = await f.t.app.inject({ url: url(productId), headers: f.staff });
    expect(read.json()).toMatchObject({ onHand: 12, reserved: 5, available: 7 });
    const again = await put(productId, { onHand: 20 });
    expect(again.json()).toMatchObject({ onHand: 20, reserved: 5, available: 15 });
  });

  it('accepts on hand equal to what is reserved', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await reserved(f, [{ productId, quantity: 6 }]);
    const res = await put(productId, { onHand: 6 });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ onHand: 6, reserved: 6, available: 0 });
  });

  it('below what is reserved, returns 409 below-reserved and changes nothing', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await reserved(f, [{ productId, quantity: 6 }]);
    const res = await put(productId, { onHand: 5 });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({ code: 'below-reserved', reserved: 6 });
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 6 });
  });

  it.each([
    ['unknown', async () => UNKNOWN_ID],
    ['deleted', () => seedProduct(f, { deleted: true })],
  ])('for a product that is %s, GET and PUT return 404 and write nothing', async (_case, make) => {
    const productId = await make();
    const before = await snapshot(f);
    expect((await f.t.app.inject({ url: url(productId), headers: f.staff })).statusCode).toBe(404);
    const res = await put(productId, { onHand: 3 });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not-found');
    expect(await snapshot(f)).toEqual(before);
  });

  it.each([
    ['a negative count', { onHand: -1 }, '/onHand'],
    ['a fractional count', { onHand: 1.5 }, '/onHand'],
    ['a count sent as a string', { onHand: '5' }, '/onHand'],
    ['a count beyond the integer column', { onHand: 2_147_483_648 }, '/onHand'],
    ['no count', {}, '/onHand'],
    ['an unknown field', { onHand: 1, reserved: 0 }, '/reserved'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_case, body, pointer) => {
    const productId = await seedProduct(f, { onHand: 10 });
    const res = await put(productId, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 0 });
  });
});

describe('database constraints (whatever the code does)', () => {
  const sql = (text: string, params: unknown[]) => f.t.app.pg.query(text, params);

  it('refuse an UPDATE that would reserve more than is on hand', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await expect(
      sql('UPDATE catalog.inventory SET reserved = on_hand + 1 WHERE product_id = $1', [productId]),
    ).rejects.toThrow(/inventory_reserved_on_hand_check/);
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 0 });
  });

  it('refuse negative stock and negative reservations', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    await expect(
      sql('UPDATE catalog.inventory SET on_hand = -1 WHERE product_id = $1', [productId]),
    ).rejects.toThrow(/inventory_on_hand_check/);
    await expect(
      sql('UPDATE catalog.inventory SET reserved = -1 WHERE product_id = $1', [productId]),
    ).rejects.toThrow(/inventory_reserved_check/);
  });

  it('refuse a confirm-like UPDATE that takes more off on hand than is reserved for it', async () => {
    const productId = await seedProduct(f, { onHand: 5 });
    await reserved(f, [{ productId, quantity: 5 }]);
    await expect(
      sql('UPDATE catalog.inventory SET on_hand = on_hand - 1 WHERE product_id = $1', [productId]),
    ).rejects.toThrow(/inventory_reserved_on_hand_check/);
  });

  it('refuse an unknown status, a zero quantity and a reused reservation key', async () => {
    const productId = await seedProduct(f);
    const r = await reserved(f, [{ productId, quantity: 1 }]);
    await expect(
      sql("UPDATE catalog.reservations SET status = 'cancelled' WHERE id = $1", [r.id]),
    ).rejects.toThrow(/reservations_status_check/);
    await expect(
      sql('UPDATE catalog.reservation_lines SET quantity = 0 WHERE reservation_id = $1', [r.id]),
    ).rejects.toThrow(/reservation_lines_quantity_check/);
    const { rows } = await f.t.app.pg.query<{ key: string }>(
      'SELECT reservation_key AS key FROM catalog.reservations WHERE id = $1',
      [r.id],
    );
    await expect(
      sql(
        'INSERT INTO catalog.reservations (reservation_key, client_id, expires_at) VALUES ($1, $2, now())',
        [rows[0]?.key, 'orders'],
      ),
    ).rejects.toThrow(/reservations_client_key_unique/);
  });

  it('keep a reserved product from being hard-deleted, and drop its inventory row with it otherwise', async () => {
    const held = await seedProduct(f);
    await reserved(f, [{ productId: held, quantity: 1 }]);
    await expect(sql('DELETE FROM catalog.products WHERE id = $1', [held])).rejects.toThrow(
      /reservation_lines_product_id_products_id_fk/,
    );
    const free = await seedProduct(f);
    await sql('DELETE FROM catalog.products WHERE id = $1', [free]);
    expect(await stockOf(f, free)).toBeNull();
  });
});

describe('reservations belong to the client that made them', () => {
  it('another service gets 404 for a reservation it did not make, and cannot confirm or release it', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const r = await reserved(f, [{ productId, quantity: 2 }]);
    const shipping = await serviceToken(f.issuer, 'shipping');
    const read = await f.t.app.inject({
      url: `/v1/inventory/reservations/${r.id}`,
      headers: shipping,
    });
    expect(read.statusCode).toBe(404);
    expect((await act(f, r.id, 'confirm', shipping)).statusCode).toBe(404);
    expect((await act(f, r.id, 'release', shipping)).statusCode).toBe(404);
    expect(await statusOf(r.id)).toBe('held');
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 2 });
  });

  it('keys are per client: another service using the same key gets its own reservation', async () => {
    const productId = await seedProduct(f, { onHand: 10 });
    const body = { reservationKey: newKey(), lines: [{ productId, quantity: 1 }] };
    const mine = await reserve(f, body);
    expect(mine.statusCode).toBe(201);
    // Neither a collision (422 would tell it the key exists) nor a view of ours.
    const theirs = await reserve(f, body, await serviceToken(f.issuer, 'shipping'));
    expect(theirs.statusCode).toBe(201);
    expect(theirs.json().id).not.toBe(mine.json().id);
    expect(await stockOf(f, productId)).toEqual({ onHand: 10, reserved: 2 });
  });
});
