// ioredis connections, one per role: a blocking BullMQ worker must not share a socket with
// request-path commands, and each role wants a different failure policy. Every connection
// gets an error listener (an unhandled 'error' would crash the process) and a capped
// reconnect backoff. See docs/redis.md.
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Redis, type RedisOptions } from 'ioredis';

export type RedisRole =
  /** Request path (cache, rate limits, health): fail fast rather than queue forever. */
  | 'request'
  /** BullMQ producers (Queue): retry a little, callers handle the error. */
  | 'producer'
  /** BullMQ workers and blocking reads: retry forever, as BullMQ requires. */
  | 'worker'
  /** Pub/sub subscriber connection (subscriber mode allows no other commands). */
  | 'subscriber';

export interface RedisSettings {
  url: string;
  role: RedisRole;
  /** Shown in CLIENT LIST, so an operator can tell connections apart. */
  name: string;
  onError?: (err: Error) => void;
}

const ROLE_OPTIONS: Record<RedisRole, RedisOptions> = {
  // No offline queue: while disconnected, commands fail at once and callers degrade (the
  // rate limiter lets the request through) instead of every request waiting on a timeout.
  request: { maxRetriesPerRequest: 1, commandTimeout: 1_000, enableOfflineQueue: false },
  producer: { maxRetriesPerRequest: 3, enableOfflineQueue: true },
  worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
  subscriber: { maxRetriesPerRequest: null },
};

export function createRedis({ url, role, name, onError }: RedisSettings): Redis {
  const client = new Redis(url, {
    ...ROLE_OPTIONS[role],
    connectionName: name,
    connectTimeout: 2_000,
    lazyConnect: false,
    // 50 ms, 100 ms, ... capped at 2 s: quick to recover, never a reconnect storm.
    retryStrategy: (times) => Math.min(times * 50, 2_000),
  });
  let lastLogged = 0;
  client.on('error', (err: Error) => {
    // While Redis is down this fires on every reconnect attempt; report at most every 5 s.
    const now = Date.now();
    if (now - lastLogged > 5_000) {
      lastLogged = now;
      onError?.(err);
    }
  });
  return client;
}

/** PING with a deadline, for readiness checks. */
export async function pingRedis(client: Redis, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`redis did not answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([client.ping(), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** Quit politely, and disconnect if the server is unreachable so shutdown never hangs. */
export async function closeRedis(client: Redis): Promise<void> {
  if (client.status === 'end') return;
  try {
    await Promise.race([client.quit(), new Promise((r) => setTimeout(r, 500))]);
  } catch {
    // already closing
  }
  client.disconnect();
}

declare module 'fastify' {
  interface FastifyInstance {
    redis: Redis;
  }
}

export interface RedisPluginOptions {
  url: string;
  name: string;
  connectWaitMs?: number;
}

/** Resolves when the client is ready, or after timeoutMs either way (never rejects). */
export function waitForReady(client: Redis, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      client.off('ready', done);
      resolve();
    };
    const timer = setTimeout(done, timeoutMs);
    client.once('ready', done);
  });
}

const redisPluginImpl: FastifyPluginAsync<RedisPluginOptions> = async (app, opts) => {
  const client = createRedis({
    url: opts.url,
    role: 'request',
    name: opts.name,
    onError: (err) => app.log.warn({ err }, 'redis connection error'),
  });
  app.decorate('redis', client);
  app.addHook('onClose', async () => closeRedis(client));
  // Give the first connection a moment so the first requests find it ready; a Redis that is
  // down must not stop the service from starting (readiness reports it instead).
  await waitForReady(client, opts.connectWaitMs ?? 2_000);
};

/** Registers `app.redis`, the request-path connection. */
export const redisPlugin = fp(redisPluginImpl, { name: '@meridian/redis', fastify: '5.x' });
export type { Redis };
