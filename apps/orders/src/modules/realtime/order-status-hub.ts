// Order status changes between instances: every change is PUBLISHed on one Redis channel, and
// each process holds ONE subscriber connection that fans messages out to its local listeners
// by order id. Best-effort by design (a lost message only delays a live view; the outbox
// carries what other services rely on). Framework-free. See docs/real-time.md.
import { closeRedis, createRedis, type Redis, waitForReady } from '@meridian/redis';
import { type Static, Type } from 'typebox';
import { Value } from 'typebox/value';

/** What is published after a status change has committed. Validated on receipt. */
export const OrderStatusEventSchema = Type.Object({
  orderId: Type.String({ minLength: 1 }),
  userId: Type.String({ minLength: 1 }),
  status: Type.String({ minLength: 1 }),
  previousStatus: Type.Union([Type.String(), Type.Null()]),
  reason: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  /**
   * When the change happened: the order's new `updated_at`, as the UPDATE returned it (not
   * the app's clock), because the SSE route compares it with the `updatedAt` it reads.
   */
  occurredAt: Type.String({ format: 'date-time' }),
});
export type OrderStatusEvent = Static<typeof OrderStatusEventSchema>;

export type OrderStatusListener = (event: OrderStatusEvent) => void;

/** The slice of a pino logger the hub uses. */
export interface OrderStatusHubLogger {
  warn(obj: object, msg: string): void;
}

export interface OrderStatusHubOptions {
  redisUrl: string;
  /** REDIS_PREFIX, e.g. 'meridian:'; the channel is `${prefix}orders:status`. */
  prefix: string;
  log?: OrderStatusHubLogger;
  /** Connection names in CLIENT LIST: `${name}:status-pub` and `${name}:status-sub`. Default 'orders'. */
  name?: string;
}

export interface OrderStatusHub {
  /** PUBLISH after the transaction committed. Never rejects: a failure is logged and dropped. */
  publish(event: OrderStatusEvent): Promise<void>;
  /** Calls listener for every change of orderId seen from now on; returns the unsubscribe. */
  subscribe(orderId: string, listener: OrderStatusListener): () => void;
  /**
   * Called after the subscriber connection came back and is subscribed again: messages sent
   * while it was away are gone, so callers re-read the current state. Returns the unsubscribe.
   */
  onResubscribe(callback: () => void): () => void;
  /** Local listeners, for one order or in total (tests, a gauge). */
  listenerCount(orderId?: string): number;
  /** Resolves once the channel is subscribed (never rejects). */
  readonly ready: Promise<void>;
  /** Drops every listener, unsubscribes and closes both connections. Idempotent. */
  close(): Promise<void>;
}

export function createOrderStatusHub(options: OrderStatusHubOptions): OrderStatusHub {
  const { redisUrl, prefix, log, name = 'orders' } = options;
  const channel = `${prefix}orders:status`;
  const warn = (err: unknown, msg: string) => log?.warn({ err, channel }, msg);

  // Request role: fail fast. A publish that cannot go out now is worth nothing later.
  const publisher: Redis = createRedis({
    url: redisUrl,
    role: 'request',
    name: `${name}:status-pub`,
    onError: (err) => warn(err, 'order status publisher connection error'),
  });
  // Subscriber mode allows no other command, hence a connection of its own; one per process,
  // however many streams are open, so Redis sees one subscription per instance.
  const subscriber: Redis = createRedis({
    url: redisUrl,
    role: 'subscriber',
    name: `${name}:status-sub`,
    onError: (err) => warn(err, 'order status subscriber connection error'),
  });

  // orderId → its listeners; an entry exists only while it has listeners.
  const listeners = new Map<string, Set<OrderStatusListener>>();
  const resubscribeCallbacks = new Set<() => void>();
  let closed = false;

  const onMessage = (ch: string, message: string) => {
    if (ch !== channel) return;
    let event: unknown;
    try {
      event = JSON.parse(message);
    } catch (err) {
      warn(err, 'order status message is not JSON; dropped');
      return;
    }
    if (!Value.Check(OrderStatusEventSchema, event)) {
      warn(null, 'order status message does not match its schema; dropped');
      return;
    }
    const set = listeners.get(event.orderId);
    if (!set) return;
    // A copy: a listener may unsubscribe (its stream ended) while we iterate.
    for (const listener of [...set]) {
      try {
        listener(event);
      } catch (err) {
        warn(err, 'order status listener threw');
      }
    }
  };

  // ioredis resubscribes by itself after a reconnect; we subscribe again anyway (idempotent in
  // Redis) so that we know when the subscription is back before telling callers to re-read.
  let subscribedOnce = false;
  const onReady = () => {
    if (!subscribedOnce || closed) return;
    subscriber.subscribe(channel).then(
      () => {
        warn(null, 'order status subscriber reconnected; changes meanwhile were missed');
        for (const callback of [...resubscribeCallbacks]) {
          try {
            callback();
          } catch (err) {
            warn(err, 'order status resubscribe callback threw');
          }
        }
      },
      (err) => warn(err, 'order status resubscribe failed'),
    );
  };

  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  const subscribed = subscriber.subscribe(channel).then(
    () => {
      subscribedOnce = true;
    },
    (err) => warn(err, 'order status subscribe failed'),
  );
  // Ready when subscribed and the publisher is connected (it queues nothing while offline).
  const ready = Promise.all([subscribed, waitForReady(publisher, 2_000)]).then(() => undefined);

  async function publish(event: OrderStatusEvent): Promise<void> {
    if (closed) return;
    try {
      await publisher.publish(channel, JSON.stringify(event));
    } catch (err) {
      // The change is committed; only live viewers miss it, and they get the current state
      // when they reconnect. Other services learn of it through the outbox, not from here.
      log?.warn({ err, channel, orderId: event.orderId }, 'order status publish failed');
    }
  }

  function subscribe(orderId: string, listener: OrderStatusListener): () => void {
    let set = listeners.get(orderId);
    if (!set) {
      set = new Set();
      listeners.set(orderId, set);
    }
    set.add(listener);
    return () => {
      const current = listeners.get(orderId);
      if (!current) return;
      current.delete(listener);
      if (current.size === 0) listeners.delete(orderId);
    };
  }

  function onResubscribe(callback: () => void): () => void {
    resubscribeCallbacks.add(callback);
    return () => {
      resubscribeCallbacks.delete(callback);
    };
  }

  function listenerCount(orderId?: string): number {
    if (orderId !== undefined) return listeners.get(orderId)?.size ?? 0;
    let total = 0;
    for (const set of listeners.values()) total += set.size;
    return total;
  }

  async function close(): Promise<void> {
    if (closed) return;
    closed = true;
    listeners.clear();
    resubscribeCallbacks.clear();
    subscriber.off('message', onMessage);
    subscriber.off('ready', onReady);
    await Promise.all([closeRedis(subscriber), closeRedis(publisher)]);
  }

  return { publish, subscribe, onResubscribe, listenerCount, ready, close };
}
