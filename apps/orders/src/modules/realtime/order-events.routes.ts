// GET /orders/:id/events: an order's status as server-sent events. The current state first,
// then every change any instance publishes through the hub, until a terminal status.
// See docs/real-time.md for the protocol choices (SSE, Last-Event-ID, heartbeats, proxies).
import { PassThrough } from 'node:stream';
import { requirePrincipal } from '@meridian/auth-verify';
import { AppError } from '@meridian/errors';
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import type { OrderStatusEvent, OrderStatusHub } from './order-status-hub.ts';

/** What the route needs to know about an order. */
export interface OrderSnapshot {
  id: string;
  userId: string;
  status: string;
  /** ISO 8601; its epoch milliseconds are the SSE event id. */
  updatedAt: string;
  reason?: string | null;
}

export type OrderEventsRoutesOptions = {
  hub: OrderStatusHub;
  loadOrder: (orderId: string) => Promise<OrderSnapshot | null>;
  isTerminal: (status: string) => boolean;
  /** A comment line this often keeps proxies from closing an idle stream. Default 15 000. */
  heartbeatMs?: number;
  /** The reconnection delay the browser's EventSource is told to use. Default 3 000. */
  retryMs?: number;
  /** After the hub's subscriber reconnects, each stream re-reads within this. Default 1 000. */
  resyncJitterMs?: number;
};

/** Who may watch an order's events besides its owner. */
export const READ_ANY_ORDER = 'orders:read:any';

// One answer for "no such order" and "not yours", so order ids cannot be probed.
const orderNotFound = () =>
  new AppError({ status: 404, code: 'order-not-found', detail: 'There is no such order.' });

const Problem = Type.Ref('Problem');
const ParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

/** The data of every `status` event; `previousStatus` is null for the state sent on connect. */
interface StatusData {
  orderId: string;
  status: string;
  previousStatus: string | null;
  reason: string | null;
  occurredAt: string;
}

interface OpenStream {
  write(chunk: string): void;
  end(): void;
  resync(): void;
}

/** The Last-Event-ID header as epoch milliseconds, or null when absent or not ours. */
function parseLastEventId(header: string | string[] | undefined): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (value === undefined || !/^\d{1,16}$/.test(value)) return null;
  return Number(value);
}

function formatEvent(id: number, data: StatusData, retryMs?: number): string {
  const retry = retryMs === undefined ? '' : `retry: ${retryMs}\n`;
  return `${retry}id: ${id}\nevent: status\ndata: ${JSON.stringify(data)}\n\n`;
}

export const orderEventsRoutes: RoutePlugin<OrderEventsRoutesOptions> = async (app, opts) => {
  const { hub, loadOrder, isTerminal } = opts;
  const heartbeatMs = opts.heartbeatMs ?? 15_000;
  const retryMs = opts.retryMs ?? 3_000;
  const resyncJitterMs = opts.resyncJitterMs ?? 1_000;

  // Per open stream: this Set entry, the hub's Map entry, and the socket. One heartbeat timer
  // and one resubscribe callback serve them all.
  const open = new Set<OpenStream>();
  if (!(heartbeatMs > 0)) throw new Error('orderEventsRoutes: heartbeatMs must be positive');
  const heartbeat = setInterval(() => {
    for (const stream of open) stream.write(': keep-alive\n\n');
  }, heartbeatMs);
  heartbeat.unref();
  const offResubscribe = hub.onResubscribe(() => {
    for (const stream of open) stream.resync();
  });
  // preClose runs before the server stops: ending the streams lets close() finish instead of
  // waiting on connections that would otherwise never go idle.
  app.addHook('preClose', async () => {
    for (const stream of [...open]) stream.end();
  });
  app.addHook('onClose', async () => {
    clearInterval(heartbeat);
    offResubscribe();
  });

  app.get(
    '/orders/:id/events',
    {
      onRequest: [app.auth.required],
      schema: {
        tags: ['orders'],
        summary: "An order's status as server-sent events (the owner, or orders:read:any)",
        description:
          'A `status` event with the current state, then one per change, until a terminal ' +
          'status. A client that reconnects with Last-Event-ID equal to a terminal status ' +
          'gets 204, which tells EventSource to stop. Comment heartbeats keep proxies open.',
        security: [{ bearerAuth: [] }],
        params: ParamsSchema,
        produces: ['text/event-stream'],
        response: {
          200: Type.String({ description: 'text/event-stream' }),
          204: Type.Null({ description: 'The client already has the final status' }),
          400: Problem,
          401: Problem,
          404: Problem,
        },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      const orderId = request.params.id;

      // Subscribe before reading, so a change committed after the read is not missed; events
      // that arrive meanwhile wait in `early` and are compared with what the read returned.
      const early: OrderStatusEvent[] = [];
      let onEvent: (event: OrderStatusEvent) => void = (event) => early.push(event);
      const unsubscribe = hub.subscribe(orderId, (event) => onEvent(event));

      let order: OrderSnapshot | null;
      try {
        order = await loadOrder(orderId);
      } catch (err) {
        unsubscribe();
        throw err;
      }
      const allowed =
        order !== null &&
        (order.userId === principal.userId || principal.permissions.includes(READ_ANY_ORDER));
      if (!order || !allowed) {
        unsubscribe();
        throw orderNotFound();
      }

      const currentId = Date.parse(order.updatedAt);
      const lastEventId = parseLastEventId(request.headers['last-event-id']);
      if (isTerminal(order.status) && lastEventId !== null && lastEventId >= currentId) {
        // Reconnected after the final event: 204 is what makes EventSource stop retrying.
        unsubscribe();
        return reply.code(204).send(null);
      }

      const stream = new PassThrough();
      let last = { id: currentId, status: order.status };
      let resyncTimer: NodeJS.Timeout | undefined;
      let finished = false;

      const entry: OpenStream = {
        write(chunk) {
          if (!finished) stream.write(chunk);
        },
        end() {
          if (finished) return;
          finished = true;
          cleanup();
          stream.end();
        },
        resync() {
          if (finished) return;
          clearTimeout(resyncTimer);
          // Spread out: every open stream of this instance re-reads at once otherwise.
          resyncTimer = setTimeout(
            () => {
              loadOrder(orderId).then(
                (fresh) => {
                  if (!fresh) return;
                  offer({
                    orderId,
                    status: fresh.status,
                    previousStatus: last.status,
                    reason: fresh.reason ?? null,
                    occurredAt: fresh.updatedAt,
                  });
                },
                (err) => request.log.warn({ err, orderId }, 'order events resync failed'),
              );
            },
            Math.floor(Math.random() * resyncJitterMs),
          );
        },
      };

      function cleanup() {
        unsubscribe();
        clearTimeout(resyncTimer);
        open.delete(entry);
      }

      function send(id: number, data: StatusData, withRetry = false) {
        entry.write(formatEvent(id, data, withRetry ? retryMs : undefined));
        last = { id, status: data.status };
        if (isTerminal(data.status)) entry.end();
      }

      // A change is sent only if it is news: not the status we last sent, and not older than
      // it (a late message, or one the read already reflected). Statuses never repeat in the
      // order state machine, so "same status" means "already sent".
      function offer(data: StatusData) {
        const id = Date.parse(data.occurredAt);
        if (finished || !Number.isFinite(id) || data.status === last.status || id < last.id) return;
        send(id, data);
      }
      const fromEvent = (event: OrderStatusEvent): StatusData => ({
        orderId,
        status: event.status,
        previousStatus: event.previousStatus,
        reason: event.reason ?? null,
        occurredAt: event.occurredAt,
      });

      // The connection stays open far longer than the server's idle-socket timeout
      // (connectionTimeout); the heartbeat, not that timeout, is what detects a dead peer.
      request.raw.socket?.setTimeout(0);
      reply.raw.on('close', () => entry.end());
      // Also covers a client gone before we got here (its 'close' already fired): Fastify
      // destroys a stream it is handed for a closed response.
      stream.on('close', () => entry.end());
      open.add(entry);

      // The current state first, even on a reconnect: state events are idempotent, and this is
      // what repairs anything a client missed while it, or our subscriber, was away.
      send(
        currentId,
        {
          orderId,
          status: order.status,
          previousStatus: null,
          reason: order.reason ?? null,
          occurredAt: order.updatedAt,
        },
        true,
      );
      for (const event of early) offer(fromEvent(event));
      onEvent = (event) => offer(fromEvent(event));

      return reply
        .header('content-type', 'text/event-stream; charset=utf-8')
        .header('cache-control', 'no-cache, no-transform')
        .header('x-accel-buffering', 'no')
        .header('connection', 'keep-alive')
        .send(stream);
    },
  );
};
