// The payment-event inbox's retry policy, against the real table: a failed event backs off
// exponentially, and one that keeps failing is set aside instead of looping for ever.
import { createTestDatabase, type TestDatabase } from '@meridian/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrdersDb, DB_SCHEMA, MIGRATIONS_FOLDER, type OrdersDb } from '../src/db/client.ts';
import {
  claimEvents,
  MAX_EVENT_ATTEMPTS,
  markFailed,
  recordEvent,
} from '../src/modules/payments/payment-events.repository.ts';

let database: TestDatabase;
let pool: pg.Pool;
let db: OrdersDb;
beforeAll(async () => {
  database = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
  pool = new pg.Pool({ connectionString: database.url, max: 2 });
  db = createOrdersDb(pool);
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const event = (id: string) => ({
  id,
  provider: 'sandbox',
  type: 'payment.succeeded',
  providerPaymentId: `pay_${id}`,
  payload: { id },
});

async function state(id: string) {
  const { rows } = await pool.query<{
    attempts: number;
    wait_s: number | null;
    gave_up: boolean;
    last_error: string;
  }>(
    `SELECT attempts, CASE WHEN available_at = 'infinity' THEN NULL
              ELSE extract(epoch FROM available_at - now())::float END AS wait_s,
            available_at = 'infinity' AS gave_up, last_error
       FROM orders.payment_events WHERE id = $1`,
    [id],
  );
  return rows[0];
}

describe('payment-event inbox retries', () => {
  it('stores an event once, however often it is delivered', async () => {
    expect(await recordEvent(db, event('evt_once'))).toBe(true);
    expect(await recordEvent(db, event('evt_once'))).toBe(false);
  });

  it('backs off exponentially after a failure', async () => {
    await recordEvent(db, event('evt_backoff'));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const claimed = await claimEvents(db, 10, 30_000);
      expect(claimed.map((r) => r.id)).toContain('evt_backoff');
      await markFailed(db, 'evt_backoff', new Error('catalog down'));
      await pool.query(
        "UPDATE orders.payment_events SET available_at = now() WHERE id = 'evt_backoff' AND $1::int < 3",
        [attempt],
      );
    }
    const s = await state('evt_backoff');
    expect(s?.attempts).toBe(3);
    expect(s?.gave_up).toBe(false);
    // 2^(3-1) = 4 s after the third failure.
    expect(s?.wait_s).toBeGreaterThan(3);
    expect(s?.wait_s).toBeLessThanOrEqual(4.1);
    expect(s?.last_error).toBe('catalog down');
  });

  it(`sets an event aside after ${MAX_EVENT_ATTEMPTS} failed attempts: never claimed again`, async () => {
    await recordEvent(db, event('evt_poison'));
    await pool.query("UPDATE orders.payment_events SET attempts = $1 WHERE id = 'evt_poison'", [
      MAX_EVENT_ATTEMPTS,
    ]);
    await markFailed(db, 'evt_poison', new Error('refund refused'));
    const s = await state('evt_poison');
    expect(s?.gave_up).toBe(true);
    expect(s?.last_error).toBe(`gave up after ${MAX_EVENT_ATTEMPTS} attempts: refund refused`);
    const claimed = await claimEvents(db, 100, 30_000);
    expect(claimed.map((r) => r.id)).not.toContain('evt_poison');
  });
});
