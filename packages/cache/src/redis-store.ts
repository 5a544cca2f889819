// Tier 2: the Redis side of the cache. Values are JSON with a jittered TTL; a per-key
// version token makes the write-back a compare-and-set, and a short NX lock lets one
// instance rebuild a key while the others wait. Key layout and reasons: ../README.md.
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

// Write the value only if the key's version is still the one seen before the load started.
// An invalidation in between replaced the version, so a stale load cannot write back.
const CAS_SET = `
local current = redis.call('GET', KEYS[2])
if current == false then current = '' end
if current ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
return 1`;

// Release the lock only if we still hold it (it may have expired and been taken by another).
const RELEASE_LOCK = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export interface RedisKeys {
  value: string;
  version: string;
  lock: string;
}

export function keysFor(base: string, key: string): RedisKeys {
  return { value: `${base}v:${key}`, version: `${base}ver:${key}`, lock: `${base}lock:${key}` };
}

export interface Snapshot {
  /** The JSON stored for the key, or null on a miss. */
  raw: string | null;
  /** The version token seen with it ('' if none): the compare in compareAndSet. */
  version: string;
}

/** Value and version in one round trip. */
export async function read(redis: Redis, keys: RedisKeys): Promise<Snapshot> {
  const [raw, version] = await redis.mget(keys.value, keys.version);
  return { raw: raw ?? null, version: version ?? '' };
}

/** true if written, false if an invalidation replaced the version since `seen`. */
export async function compareAndSet(
  redis: Redis,
  keys: RedisKeys,
  seen: string,
  raw: string,
  ttlMs: number,
): Promise<boolean> {
  const written = await redis.eval(CAS_SET, 2, keys.value, keys.version, seen, raw, ttlMs);
  return written === 1;
}

/**
 * Drops the value and replaces the version in one MULTI, then tells every instance.
 * A fresh random token (not INCR) cannot come back to a value a slow loader saw earlier.
 */
export async function invalidate(
  redis: Redis,
  keys: RedisKeys,
  channel: string,
  key: string,
  versionTtlMs: number,
): Promise<void> {
  const results = await redis
    .multi()
    .set(keys.version, randomUUID(), 'PX', versionTtlMs)
    .del(keys.value)
    .publish(channel, key)
    .exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('invalidate transaction aborted');
}

/** A lock token if we got the lock, or null if another instance holds it. */
export async function tryLock(
  redis: Redis,
  keys: RedisKeys,
  ttlMs: number,
): Promise<string | null> {
  const token = randomUUID();
  const ok = await redis.set(keys.lock, token, 'PX', ttlMs, 'NX');
  return ok === 'OK' ? token : null;
}

export async function releaseLock(redis: Redis, keys: RedisKeys, token: string): Promise<void> {
  await redis.eval(RELEASE_LOCK, 1, keys.lock, token);
}

/**
 * Polls while another instance holds the lock: the value once it appears, or null when the
 * lock is gone without a value or waitMs has passed (the caller then loads by itself).
 */
export async function waitForValue(
  redis: Redis,
  keys: RedisKeys,
  waitMs: number,
  pollMs: number,
): Promise<string | null> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, pollMs));
    const [raw, lock] = await redis.mget(keys.value, keys.lock);
    if (raw != null) return raw;
    if (lock == null) return null;
  }
  return null;
}
