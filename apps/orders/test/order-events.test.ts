// GET /v1/orders/:id/events over real HTTP, with two app instances sharing one Redis and one
// cloned database: a change published on instance B must reach a stream open on instance A.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '@meridian/config';
import { createRedis, type Redis } from '@meridian/redis';
import { createService, type ServiceInstance } from '@meridian/service-kit';
import {
  createTestDatabase,
  createTestIssuer,
  type TestDatabase,
  type TestIssuer,
  testEnv,
  uniquePrefix,
} from '@meridian/testing';
import type pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Config, ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import {
  ORDER_STATUSES,
  type OrderStatus,
  isTerminal as orderIsTerminal,
} from '../src/modules/orders/order-status.ts';
import {
  type OrderSnapshot,
  orderEventsRoutes,
} from '../src/modules/realtime/order-events.routes.ts';
import {
  createOrderStatusHub,
  type OrderStatusEvent,
  type OrderStatusHub,
} from '../src/modules/realtime/order-status-hub.ts';
import { connectSse } from './sse-client.ts';

const HEARTBEAT_MS = 250;

const isTerminal = (status: string) =>
  (ORDER_STATUSES as readonly string[]).includes(status) && orderIsTerminal(status as OrderStatus);

interface Instance {
  app: ServiceInstance;
  hub: OrderStatusHub;
  base: string;
  /** The hub's connection name prefix, to find its subscriber in CLIENT LIST. */
  name: string;
}

let issuer: TestIssuer;
let db: TestDatabase;
let config: Config;
let a: Instance;
let b: Instance;
let admin: Redis;
let pool: pg.Pool;
/** Test hooks run inside instance A's loadOrder, around its read. */
const beforeRead = new Map<string, () => Promise<void>>();
const afterRead = new Map<string, () => Promise<void>>();

async function readOrder(p: pg.Pool, id: string): Promise<OrderSnapshot | null> {
  const { rows } = await p.query(
    'SELECT id, user_id, status, status_reason, updated_at FROM orders.orders WHERE id = $1',
    [id],
  );
  const row = rows[0];
  if (!row) return null;
  return {
    id: row.id,
    userId: row.user_id,
    status: row.status,
    reason: row.status_reason,
    updatedAt: (row.updated_at as Date).toISOString(),
  };
}

async function startInstance(
  label: string,
  opts: { heartbeatMs?: number; hooks?: boolean } = {},
): Promise<Instance> {
  const name = `orders-${label}-${randomUUID().slice(0, 8)}`;
  const hub = createOrderStatusHub({
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    name,
  });
  const app = await createService({
    name: 'orders',
    version: '0.0.0',
    description: 'order events test instance',
    config,
    routes: async (api) => {
      await api.register(orderEventsRoutes, {
        prefix: '/v1',
        hub,
        isTerminal,
        heartbeatMs: opts.heartbeatMs ?? HEARTBEAT_MS,
        resyncJitterMs: 50,
        loadOrder: async (id) => {
          if (opts.hooks) await beforeRead.get(id)?.();
          const order = await readOrder(api.pg, id);
          if (opts.hooks) await afterRead.get(id)?.();
          return order;
        },
      });
    },
  });
  app.addHook('onClose', async () => hub.close());
  await app.listen({ port: 0, host: '127.0.0.1' });
  await hub.ready;
  const { port } = app.server.address() as AddressInfo;
  return { app, hub, base: `http://127.0.0.1:${port}`, name };
}

beforeAll(async () => {
  issuer = await createTestIssuer();
  db = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
  config = loadConfig(
    ConfigSchema,
    testEnv({
      ...issuer.env,
      DATABASE_URL: db.url,
      AUTH_DEV_DEFAULTS: 'true',
      REDIS_PREFIX: uniquePrefix('order-events'),
    }),
  );
  a = await startInstance('a', { hooks: true });
  b = await startInstance('b');
  pool = a.app.pg;
  admin = createRedis({ url: config.REDIS_URL, role: 'request', name: 'order-events-test' });
});

afterAll(async () => {
  await a?.app.close();
  await b?.app.close();
  admin?.disconnect();
  await db?.drop();
  await issuer?.close();
});

// --- arrange helpers -------------------------------------------------------------------------

async function createOrder(userId: string, path: OrderStatus[] = []): Promise<string> {
  const { rows } = await pool.query(
    `INSERT INTO orders.orders (user_id, currency, items_total_minor, shipping_method, shipping_minor, total_minor)
     VALUES ($1, 'EUR', 1000, 'standard', 500, 1500) RETURNING id`,
    [userId],
  );
  const id: string = rows[0].id;
  for (const status of path) await transition(id, status);
  return id;
}

/** The committed status change (as the webhook handler would make it) and its event. */
async function transition(
  orderId: string,
  to: OrderStatus,
  reason: string | null = null,
): Promise<OrderStatusEvent> {
  // The self-join's `p` is the row as it was before this UPDATE.
  const { rows } = await pool.query(
    `UPDATE orders.orders o SET status = $2, status_reason = $3, updated_at = clock_timestamp()
     FROM orders.orders p WHERE o.id = $1 AND p.id = o.id
     RETURNING o.user_id, p.status AS previous_status, o.updated_at`,
    [orderId, to, reason],
  );
  return {
    orderId,
    userId: rows[0].user_id,
    status: to,
    previousStatus: rows[0].previous_status,
    reason,
    occurredAt: (rows[0].updated_at as Date).toISOString(),
  };
}

const customerToken = (userId: string) =>
  issuer.sign({ sub: userId, roles: ['customer'], permissions: [] });
const staffToken = () =>
  issuer.sign({ sub: randomUUID(), roles: ['staff'], permissions: ['orders:read:any'] });

/** An SSE client on `instance` for the order's events. */
const connect = (instance: Instance, orderId: string, headers: Record<string, string> = {}) =>
  connectSse(`${instance.base}/v1/orders/${orderId}/events`, headers);

async function waitFor(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const withoutRequestDetails = (body: Record<string, unknown>) => {
  const { requestId: _r, instance: _i, ...rest } = body;
  return rest;
};

// --- tests -----------------------------------------------------------------------------------

describe('GET /v1/orders/:id/events', () => {
  it('sends the owner the current status at once, as an SSE stream proxies will not buffer', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId, ['awaiting_payment']);
    const current = await readOrder(pool, orderId);
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    try {
      expect(client.response.status).toBe(200);
      expect(client.response.headers.get('content-type')).toMatch(/^text\/event-stream/);
      expect(client.response.headers.get('cache-control')).toContain('no-cache');
      expect(client.response.headers.get('x-accel-buffering')).toBe('no');
      const first = await client.take((m) => m.event !== undefined, 1_000);
      expect(first.event).toBe('status');
      expect(first.retry).toBe('3000');
      expect(first.id).toBe(String(Date.parse(current?.updatedAt as string)));
      expect(JSON.parse(first.data as string)).toEqual({
        orderId,
        status: 'awaiting_payment',
        previousStatus: null,
        reason: null,
        occurredAt: current?.updatedAt,
      });
    } finally {
      client.close();
    }
  });

  it('delivers a change published on instance B to a stream on instance A in well under a second', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId, ['awaiting_payment']);
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    try {
      expect((await client.nextStatus()).data.status).toBe('awaiting_payment');
      // The webhook handler on B commits the change, then publishes it.
      const started = performance.now();
      const event = await transition(orderId, 'paid', 'payment-succeeded');
      await b.hub.publish(event);
      const paid = await client.nextStatus(1_000);
      const elapsed = performance.now() - started;
      expect(paid.data).toEqual({
        orderId,
        status: 'paid',
        previousStatus: 'awaiting_payment',
        reason: 'payment-succeeded',
        occurredAt: event.occurredAt,
      });
      expect(paid.id).toBe(String(Date.parse(event.occurredAt)));
      expect(elapsed).toBeLessThan(1_000);
    } finally {
      client.close();
    }
  });

  it("answers another user's order with the same 404 as an order that does not exist", async () => {
    const orderId = await createOrder(randomUUID());
    const stranger = await customerToken(randomUUID());
    const headers = { authorization: `Bearer ${stranger}` };
    const theirs = await fetch(`${a.base}/v1/orders/${orderId}/events`, { headers });
    const missing = await fetch(`${a.base}/v1/orders/${randomUUID()}/events`, { headers });
    expect(theirs.status).toBe(404);
    expect(missing.status).toBe(404);
    const theirsBody = (await theirs.json()) as Record<string, unknown>;
    expect(theirsBody.code).toBe('order-not-found');
    expect(withoutRequestDetails(theirsBody)).toEqual(
      withoutRequestDetails((await missing.json()) as Record<string, unknown>),
    );
    expect(a.hub.listenerCount(orderId)).toBe(0);
  });

  it('lets staff with orders:read:any watch any order', async () => {
    const orderId = await createOrder(randomUUID());
    const client = await connect(a, orderId, { authorization: `Bearer ${await staffToken()}` });
    try {
      expect(client.response.status).toBe(200);
      expect((await client.nextStatus()).data.status).toBe('pending');
    } finally {
      client.close();
    }
  });

  it('without a token → 401; a malformed id → 400', async () => {
    const orderId = await createOrder(randomUUID());
    const anonymous = await fetch(`${a.base}/v1/orders/${orderId}/events`);
    expect(anonymous.status).toBe(401);
    await anonymous.body?.cancel();
    const bad = await fetch(`${a.base}/v1/orders/not-a-uuid/events`, {
      headers: { authorization: `Bearer ${await customerToken(randomUUID())}` },
    });
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toMatch(/problem\+json/);
    await bad.body?.cancel();
  });

  it('ends the stream after a terminal status, and answers a reconnect that has it with 204', async () => {
    const userId = randomUUID();
    const token = await customerToken(userId);
    const orderId = await createOrder(userId, ['awaiting_payment']);
    const client = await connect(a, orderId, { authorization: `Bearer ${token}` });
    await client.nextStatus();
    const event = await transition(orderId, 'payment_failed', 'card-declined');
    await b.hub.publish(event);
    const final = await client.nextStatus();
    expect(final.data.status).toBe('payment_failed');
    await expect(
      Promise.race([client.ended.then(() => 'ended'), new Promise((r) => setTimeout(r, 1_000))]),
    ).resolves.toBe('ended');
    await waitFor(() => a.hub.listenerCount(orderId) === 0);

    // EventSource reconnects after the stream ends; 204 is what tells it to stop.
    const again = await fetch(`${a.base}/v1/orders/${orderId}/events`, {
      headers: { authorization: `Bearer ${token}`, 'last-event-id': final.id },
    });
    expect(again.status).toBe(204);
    // Without the id (a new viewer), the final status is sent once, then the stream ends.
    const late = await connect(a, orderId, { authorization: `Bearer ${token}` });
    expect((await late.nextStatus()).data.status).toBe('payment_failed');
    await late.ended;
  });

  it('removes the listener when the client disconnects', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId);
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    await client.nextStatus();
    expect(a.hub.listenerCount(orderId)).toBe(1);
    client.close();
    await waitFor(() => a.hub.listenerCount(orderId) === 0);
  });

  it('removes the listener when the client leaves before its stream starts', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId);
    const controller = new AbortController();
    let handled!: () => void;
    const loaded = new Promise<void>((resolve) => {
      handled = resolve;
    });
    beforeRead.set(orderId, async () => {
      beforeRead.delete(orderId);
      controller.abort();
      await new Promise((r) => setTimeout(r, 100)); // the socket is gone by the time we answer
      setTimeout(handled, 100);
    });
    await fetch(`${a.base}/v1/orders/${orderId}/events`, {
      headers: { authorization: `Bearer ${await customerToken(userId)}` },
      signal: controller.signal,
    }).catch(() => undefined);
    await loaded;
    expect(a.hub.listenerCount(orderId)).toBe(0);
  });

  it('sends a comment heartbeat while nothing happens', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId);
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    try {
      await client.nextStatus();
      const beat = await client.take((m) => m.comment !== undefined, HEARTBEAT_MS * 4);
      expect(beat.comment).toBe('keep-alive');
      expect(beat.event).toBeUndefined();
    } finally {
      client.close();
    }
  });

  it('does not miss a change committed between its subscribe and its read', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId);
    // The read sees 'pending'; the change commits and is published before the first event.
    afterRead.set(orderId, async () => {
      afterRead.delete(orderId);
      await b.hub.publish(await transition(orderId, 'awaiting_payment'));
      await new Promise((r) => setTimeout(r, 100)); // let it reach A's hub
    });
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    try {
      expect((await client.nextStatus()).data.status).toBe('pending');
      expect((await client.nextStatus(1_000)).data.status).toBe('awaiting_payment');
    } finally {
      client.close();
    }
  });

  it('drops a duplicate or older event the read already reflects', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId);
    const created = await readOrder(pool, orderId);
    // The change commits and is published after subscribe but before the read sees it.
    beforeRead.set(orderId, async () => {
      beforeRead.delete(orderId);
      await b.hub.publish(await transition(orderId, 'awaiting_payment'));
      await new Promise((r) => setTimeout(r, 100));
    });
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    try {
      expect((await client.nextStatus()).data.status).toBe('awaiting_payment');
      // A late copy of an older change must not move the client backwards.
      await b.hub.publish({
        orderId,
        userId,
        status: 'pending',
        previousStatus: null,
        occurredAt: created?.updatedAt as string,
      });
      await b.hub.publish(await transition(orderId, 'cancelled', 'customer'));
      expect((await client.nextStatus()).data.status).toBe('cancelled');
    } finally {
      client.close();
    }
  });

  it('after its subscriber reconnects, re-reads and sends a change it missed', async () => {
    const userId = randomUUID();
    const orderId = await createOrder(userId, ['awaiting_payment']);
    const client = await connect(a, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    try {
      await client.nextStatus();
      // A change whose message is lost: committed, never published.
      await transition(orderId, 'paid');
      const list = (await admin.call('CLIENT', 'LIST', 'TYPE', 'pubsub')) as string;
      const line = list.split('\n').find((l) => l.includes(` name=${a.name}:status-sub `));
      const id = /(?:^|\s)id=(\d+)/.exec(line ?? '')?.[1];
      expect(id).toBeDefined();
      await admin.call('CLIENT', 'KILL', 'ID', id as string);
      expect((await client.nextStatus(3_000)).data.status).toBe('paid');
    } finally {
      client.close();
    }
  });

  it('keeps an idle stream open past the server idle-socket timeout', {
    timeout: 20_000,
  }, async () => {
    // No heartbeat for a minute: only the socket timeout could close this stream.
    const quiet = await startInstance('quiet', { heartbeatMs: 60_000 });
    try {
      const userId = randomUUID();
      const orderId = await createOrder(userId, ['awaiting_payment']);
      const client = await connect(quiet, orderId, {
        authorization: `Bearer ${await customerToken(userId)}`,
      });
      await client.nextStatus();
      await new Promise((r) => setTimeout(r, 11_000)); // connectionTimeout is 10 s
      await b.hub.publish(await transition(orderId, 'paid'));
      expect((await client.nextStatus()).data.status).toBe('paid');
    } finally {
      await quiet.app.close();
    }
  });

  it('is documented in OpenAPI as a text/event-stream response', async () => {
    const res = await fetch(`${a.base}/docs/json`);
    const spec = (await res.json()) as {
      paths: Record<string, { get: { responses: Record<string, { content?: object }> } }>;
    };
    const op = spec.paths['/v1/orders/{id}/events']?.get;
    expect(Object.keys(op?.responses['200']?.content ?? {})).toEqual(['text/event-stream']);
    expect(Object.keys(op?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '204', '400', '401', '404']),
    );
  });

  it('app.close() ends open streams and completes promptly', async () => {
    const closing = await startInstance('closing');
    const userId = randomUUID();
    const orderId = await createOrder(userId);
    const client = await connect(closing, orderId, {
      authorization: `Bearer ${await customerToken(userId)}`,
    });
    await client.nextStatus();
    expect(closing.hub.listenerCount(orderId)).toBe(1);
    const started = performance.now();
    const outcome = await Promise.race([
      closing.app.close().then(() => 'closed'),
      new Promise((r) => setTimeout(r, 3_000, 'still open')),
    ]);
    expect(outcome).toBe('closed');
    expect(performance.now() - started).toBeLessThan(1_500);
    await client.ended;
  });
});
