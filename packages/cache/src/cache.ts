// createCache: a two-tier read-through cache (in-process LRU → Redis → load()) with
// single-flight, a cross-instance rebuild lock, pub/sub invalidation and a compare-and-set
// write-back. Framework-free, so services and workers use it alike. See ../README.md.
import type { Redis } from 'ioredis';
import type { Registry } from 'prom-client';
import { jitteredTtl } from './jitter.ts';
import { LocalLru } from './local-lru.ts';
import { createCacheMetrics } from './metrics.ts';
import * as store from './redis-store.ts';
import { type Flight, SingleFlight } from './single-flight.ts';

/** The slice of a pino logger the cache uses. */
export interface CacheLogger {
  warn(obj: object, msg: string): void;
}

export interface CacheOptions {
  /** Request-role connection: fails fast while Redis is down. */
  redis: Redis;
  /** Subscriber-role connection, used for nothing else (pub/sub mode allows no commands). */
  subscriber: Redis;
  /** REDIS_PREFIX, e.g. 'meridian:'. */
  prefix: string;
  /** The cache's name, e.g. 'catalog:product'; in keys, the channel and metric labels. */
  name: string;
  /** Redis TTL. */
  ttlMs: number;
  /** Random ± fraction applied to ttlMs, 0–0.5. Default 0.1. */
  jitter?: number;
  /** Local tier TTL; bounds how long an instance can serve a copy it missed an invalidation for. 0 disables the tier. Default 1000. */
  localTtlMs?: number;
  /** Local tier size. Default 1000. */
  localMaxEntries?: number;
  /** Rebuild lock lifetime; longer than a normal load. Default 3000. */
  lockTtlMs?: number;
  /** How long a loser of the lock waits for the winner's value before loading itself. Default 500. */
  lockWaitMs?: number;
  /** Poll interval while waiting. Default 20. */
  lockPollMs?: number;
  registry?: Registry;
  log?: CacheLogger;
}

export interface GetOptions {
  /** Overrides the cache's ttlMs for this value. */
  ttlMs?: number;
}

export interface Cache {
  /** The cached value for key, or load()'s result (then cached). Rejects only if load() does. */
  get<T>(key: string, load: () => Promise<T>, opts?: GetOptions): Promise<T>;
  /** Drops key everywhere. Never rejects: false if Redis could not be told (logged). */
  invalidate(key: string): Promise<boolean>;
  /** Resolves once the invalidation channel is subscribed (never rejects). */
  readonly ready: Promise<void>;
  /** Unsubscribes and clears the local tier. The connections belong to the caller. */
  close(): Promise<void>;
}

export function createCache(options: CacheOptions): Cache {
  const {
    redis,
    subscriber,
    prefix,
    name,
    ttlMs,
    jitter = 0.1,
    localTtlMs = 1_000,
    localMaxEntries = 1_000,
    lockTtlMs = 3_000,
    lockWaitMs = 500,
    lockPollMs = 20,
    log,
  } = options;
  if (!(jitter >= 0 && jitter <= 0.5)) throw new Error(`cache ${name}: jitter must be 0–0.5`);
  if (!(ttlMs > 0)) throw new Error(`cache ${name}: ttlMs must be positive`);

  const base = `${prefix}cache:${name}:`;
  const channel = `${base}invalidate`;
  // A version token must outlive any load that saw the previous one (see README).
  const versionTtlMs = Math.max(ttlMs * 2, 60_000);
  const local = localTtlMs > 0 ? new LocalLru(localMaxEntries, localTtlMs) : null;
  const flights = new SingleFlight();
  const metrics = createCacheMetrics(name, options.registry);

  const warn = (err: unknown, key: string, msg: string) =>
    log?.warn({ err, cache: name, key }, msg);

  /** This instance forgets key: local copy, and any load in flight for it. */
  function dropLocal(key: string): void {
    local?.delete(key);
    flights.invalidate(key);
  }

  function fillLocal(key: string, value: unknown, flight: Flight<unknown>): void {
    if (local && !flight.invalidated) local.set(key, value);
  }

  async function readThrough<T>(
    key: string,
    load: () => Promise<T>,
    flight: Flight<T>,
    opts?: GetOptions,
  ): Promise<T> {
    const keys = store.keysFor(base, key);

    // Tier 2. Redis down → behave as a miss: availability over hit rate.
    let snapshot: store.Snapshot | null = null;
    try {
      snapshot = await store.read(redis, keys);
    } catch (err) {
      warn(err, key, 'cache read failed; loading');
    }
    if (snapshot?.raw != null) {
      metrics.request('redis', 'hit');
      const value = JSON.parse(snapshot.raw) as T;
      fillLocal(key, value, flight);
      return value;
    }
    metrics.request('redis', 'miss');

    // Stampede across instances: one holds the lock and rebuilds, the others wait briefly.
    let lockToken: string | null = null;
    if (snapshot) {
      try {
        lockToken = await store.tryLock(redis, keys, lockTtlMs);
        if (!lockToken) {
          const raw = await store.waitForValue(redis, keys, lockWaitMs, lockPollMs);
          if (raw != null) {
            const value = JSON.parse(raw) as T;
            fillLocal(key, value, flight);
            return value;
          }
          // The holder was slow or failed: load ourselves rather than hang.
        }
      } catch (err) {
        warn(err, key, 'cache lock failed; loading');
      }
    }

    try {
      const stopTimer = metrics.startLoad();
      let value: T;
      try {
        value = await load();
      } finally {
        stopTimer();
      }

      let stale = false;
      const raw = JSON.stringify(value);
      // undefined has no JSON form: return it, cache nothing.
      if (snapshot && raw !== undefined) {
        try {
          const ttl = jitteredTtl(opts?.ttlMs ?? ttlMs, jitter);
          stale = !(await store.compareAndSet(redis, keys, snapshot.version, raw, ttl));
        } catch (err) {
          warn(err, key, 'cache write failed');
        }
      }
      if (!stale && raw !== undefined) fillLocal(key, value, flight);
      return value;
    } finally {
      if (lockToken) {
        await store
          .releaseLock(redis, keys, lockToken)
          .catch((err) => warn(err, key, 'cache unlock failed'));
      }
    }
  }

  async function get<T>(key: string, load: () => Promise<T>, opts?: GetOptions): Promise<T> {
    if (local) {
      const hit = local.get(key);
      if (hit) {
        metrics.request('local', 'hit');
        return hit.value as T;
      }
      metrics.request('local', 'miss');
    }
    return flights.run<T>(key, (flight) => readThrough(key, load, flight, opts));
  }

  async function invalidate(key: string): Promise<boolean> {
    // Our own copy goes now, not when our own message comes back.
    dropLocal(key);
    try {
      await store.invalidate(redis, store.keysFor(base, key), channel, key, versionTtlMs);
      return true;
    } catch (err) {
      // Other instances keep their local copy for at most localTtlMs; the Redis copy, if the
      // DEL was lost, until its TTL. The caller may retry (for example from an outbox).
      warn(err, key, 'cache invalidation failed');
      return false;
    }
  }

  const onMessage = (ch: string, key: string) => {
    if (ch === channel) dropLocal(key);
  };
  // After a reconnect we may have missed invalidations: start the local tier afresh.
  let subscribedOnce = false;
  const onReady = () => {
    if (subscribedOnce) {
      local?.clear();
      flights.invalidateAll();
    }
  };
  subscriber.on('message', onMessage);
  subscriber.on('ready', onReady);
  const ready = subscriber.subscribe(channel).then(
    () => {
      subscribedOnce = true;
    },
    (err) => warn(err, channel, 'cache subscribe failed'),
  );

  async function close(): Promise<void> {
    subscriber.off('message', onMessage);
    subscriber.off('ready', onReady);
    local?.clear();
    if (subscriber.status === 'ready') {
      await subscriber
        .unsubscribe(channel)
        .catch((err) => warn(err, channel, 'unsubscribe failed'));
    }
  }

  return { get, invalidate, ready, close };
}
