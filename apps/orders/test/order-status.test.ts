// The order state machine is written twice: ORDER_TRANSITIONS in code and
// orders.order_status_transitions with its trigger in the database. These tests hold the two
// to each other, pair by pair, and show the trigger refusing what the table does not allow.
import { randomUUID } from 'node:crypto';
import { createTestDatabase, type TestDatabase } from '@meridian/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import {
  canTransition,
  isTerminal,
  ORDER_STATUSES,
  ORDER_TRANSITIONS,
  type OrderStatus,
} from '../src/modules/orders/order-status.ts';

let database: TestDatabase;
let pool: pg.Pool;

beforeAll(async () => {
  database = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
  pool = new pg.Pool({ connectionString: database.url, max: 4 });
});
afterAll(async () => {
  await pool?.end();
  await database?.drop();
});

const pairKey = (from: string, to: string) => `${from}->${to}`;

async function tablePairs(): Promise<string[]> {
  const { rows } = await pool.query<{ from_status: string; to_status: string }>(
    'SELECT from_status::text, to_status::text FROM orders.order_status_transitions',
  );
  return rows.map((r) => pairKey(r.from_status, r.to_status)).sort();
}

const codePairs = () =>
  Object.entries(ORDER_TRANSITIONS)
    .flatMap(([from, tos]) => tos.map((to) => pairKey(from, to)))
    .sort();

/** A new order, pending as every order starts, then walked to `status` by legal steps. */
async function orderIn(status: OrderStatus): Promise<string> {
  const { rows } = await pool.query<{ id: string }>(
    `INSERT INTO orders.orders (user_id, currency, items_total_minor, shipping_method, shipping_minor, total_minor)
     VALUES ($1, 'EUR', 1000, 'standard', 0, 1000) RETURNING id`,
    [randomUUID()],
  );
  const id = (rows[0] as { id: string }).id;
  for (const step of pathTo(status)) {
    await pool.query('UPDATE orders.orders SET status = $2 WHERE id = $1', [id, step]);
  }
  return id;
}

/** The statuses after 'pending' on a shortest legal path to `target` (breadth first). */
function pathTo(target: OrderStatus): OrderStatus[] {
  const previous = new Map<OrderStatus, OrderStatus | null>([['pending', null]]);
  const queue: OrderStatus[] = ['pending'];
  while (queue.length > 0) {
    const at = queue.shift() as OrderStatus;
    for (const next of ORDER_TRANSITIONS[at]) {
      if (!previous.has(next)) {
        previous.set(next, at);
        queue.push(next);
      }
    }
  }
  if (!previous.has(target)) throw new Error(`${target} cannot be reached from pending`);
  const path: OrderStatus[] = [];
  for (let s: OrderStatus | null = target; s && s !== 'pending'; s = previous.get(s) ?? null) {
    path.unshift(s);
  }
  return path;
}

async function statusOf(id: string): Promise<string> {
  const { rows } = await pool.query<{ status: string }>(
    'SELECT status FROM orders.orders WHERE id = $1',
    [id],
  );
  return (rows[0] as { status: string }).status;
}

/** The error a statement failed with, or null when it succeeded. */
async function failure(sql: string, params: unknown[]) {
  try {
    await pool.query(sql, params);
    return null;
  } catch (err) {
    return err as { code?: string; constraint?: string; message: string };
  }
}

describe('ORDER_TRANSITIONS and orders.order_status_transitions', () => {
  it('list exactly the same pairs', async () => {
    const table = await tablePairs();
    expect(table.length).toBeGreaterThan(0);
    expect(table).toEqual(codePairs());
  });

  it('ORDER_STATUSES is the order_status enum, in the same order', async () => {
    const { rows } = await pool.query<{ label: string }>(
      `SELECT e.enumlabel AS label FROM pg_enum e
       JOIN pg_type t ON t.oid = e.enumtypid JOIN pg_namespace n ON n.oid = t.typnamespace
       WHERE n.nspname = 'orders' AND t.typname = 'order_status' ORDER BY e.enumsortorder`,
    );
    expect(rows.map((r) => r.label)).toEqual([...ORDER_STATUSES]);
  });

  it('canTransition and isTerminal agree with the table for every pair of statuses', async () => {
    const table = new Set(await tablePairs());
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        expect(canTransition(from, to), pairKey(from, to)).toBe(table.has(pairKey(from, to)));
      }
      const outgoing = [...table].filter((p) => p.startsWith(`${from}->`));
      expect(isTerminal(from), from).toBe(outgoing.length === 0);
    }
  });
});

describe('the orders_status_transition trigger', () => {
  it('refuses paid -> pending and cancelled -> paid with a check_violation, changing nothing', async () => {
    for (const [from, to] of [
      ['paid', 'pending'],
      ['cancelled', 'paid'],
    ] as const) {
      const id = await orderIn(from);
      const err = await failure('UPDATE orders.orders SET status = $2 WHERE id = $1', [id, to]);
      expect(err?.code, pairKey(from, to)).toBe('23514');
      expect(err?.constraint).toBe('orders_status_transition');
      expect(err?.message).toContain(`illegal order status change: ${from} -> ${to}`);
      expect(await statusOf(id)).toBe(from);
    }
  });

  it('accepts a legal change', async () => {
    const id = await orderIn('awaiting_payment');
    expect(await failure('UPDATE orders.orders SET status = $2 WHERE id = $1', [id, 'paid'])).toBe(
      null,
    );
    expect(await statusOf(id)).toBe('paid');
  });

  it('allows exactly the table’s pairs, for every (from, to), and any update that keeps the status', async () => {
    const table = new Set(await tablePairs());
    const outcomes: string[] = [];
    const expected: string[] = [];
    for (const from of ORDER_STATUSES) {
      for (const to of ORDER_STATUSES) {
        const id = await orderIn(from);
        const err = await failure(
          'UPDATE orders.orders SET status = $2, status_reason = $3 WHERE id = $1',
          [id, to, 'test'],
        );
        const legal = from === to || table.has(pairKey(from, to));
        outcomes.push(`${pairKey(from, to)} ${err ? `refused ${err.code}` : 'accepted'}`);
        expected.push(`${pairKey(from, to)} ${legal ? 'accepted' : 'refused 23514'}`);
        expect(await statusOf(id)).toBe(legal ? to : from);
      }
    }
    expect(outcomes).toEqual(expected);
  });

  it('refuses a new order that does not start as pending', async () => {
    for (const status of ORDER_STATUSES) {
      const err = await failure(
        `INSERT INTO orders.orders (user_id, status, currency, items_total_minor, shipping_method, shipping_minor, total_minor)
         VALUES ($1, $2, 'EUR', 1000, 'standard', 0, 1000)`,
        [randomUUID(), status],
      );
      if (status === 'pending') {
        expect(err, status).toBe(null);
      } else {
        expect(err?.code, status).toBe('23514');
        expect(err?.constraint).toBe('orders_status_transition');
      }
    }
  });

  it('checks every row of a multi-row UPDATE', async () => {
    const legal = await orderIn('awaiting_payment');
    const illegal = await orderIn('cancelled');
    const err = await failure("UPDATE orders.orders SET status = 'paid' WHERE id = ANY($1)", [
      [legal, illegal],
    ]);
    expect(err?.code).toBe('23514');
    // The statement is atomic: the legal row did not move either.
    expect(await statusOf(legal)).toBe('awaiting_payment');
    expect(await statusOf(illegal)).toBe('cancelled');
  });
});
