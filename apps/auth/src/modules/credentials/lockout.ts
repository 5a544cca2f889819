// Account lockout in Redis, keyed by a hash of the normalized email (so unknown emails lock
// exactly like real ones, and Redis never holds addresses). Each run of THRESHOLD failures
// locks the account for BASE·2^(n-1) seconds, capped at MAX; a success clears the history.
// If Redis is unreachable the check lets the login through (logged): the same availability
// choice as the rate limiter (ADR 0005), and argon2 still bounds the guessing rate.
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface LockoutSettings {
  threshold: number;
  baseSec: number;
  maxSec: number;
  /** Failures older than this are forgotten. */
  windowSec: number;
  prefix: string;
}

// Atomic: count the failure, and on the threshold raise the level and set the lock.
const RECORD_FAILURE = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
if n >= tonumber(ARGV[2]) then
  local level = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], 86400)
  local secs = math.min(tonumber(ARGV[3]) * 2 ^ (level - 1), tonumber(ARGV[4]))
  redis.call('SET', KEYS[3], level, 'EX', math.floor(secs))
  redis.call('DEL', KEYS[1])
  return math.floor(secs)
end
return 0`;

// One round trip before a login: seconds left on a lock, and whether there is any failure
// history to clear on success (most logins have none, and then skip the DEL).
const CHECK = `
local ttl = redis.call('TTL', KEYS[3])
local history = redis.call('EXISTS', KEYS[1], KEYS[2])
return { ttl, history }`;

// ioredis sends a defined command as EVALSHA (the script body only once per connection,
// re-sent by itself after a NOSCRIPT), instead of the whole script on every login.
type LockoutRedis = Redis & {
  meridianLockoutCheck(a: string, b: string, c: string): Promise<[number, number]>;
  meridianLockoutFail(...args: (string | number)[]): Promise<number>;
};

export function createLockout(redis: Redis, s: LockoutSettings, onError: (err: unknown) => void) {
  const r = redis as LockoutRedis;
  if (!('meridianLockoutCheck' in redis)) {
    redis.defineCommand('meridianLockoutCheck', { numberOfKeys: 3, lua: CHECK });
    redis.defineCommand('meridianLockoutFail', { numberOfKeys: 3, lua: RECORD_FAILURE });
  }
  const keys = (email: string) => {
    const h = createHash('sha256').update(email).digest('hex').slice(0, 32);
    const base = `${s.prefix}auth:login:${h}`;
    return { failures: `${base}:failures`, level: `${base}:level`, lock: `${base}:lock` };
  };

  return {
    /** Seconds left on a lock (0 if none), and whether a success has history to clear. */
    async check(email: string): Promise<{ lockedFor: number; history: boolean }> {
      const k = keys(email);
      try {
        const [ttl, history] = await r.meridianLockoutCheck(k.failures, k.level, k.lock);
        return { lockedFor: Math.max(ttl, 0), history: history > 0 };
      } catch (err) {
        onError(err);
        return { lockedFor: 0, history: true }; // unknown: let it try to clear later
      }
    },
    /** Records a failure; returns the lock length if this failure started one, else 0. */
    async recordFailure(email: string): Promise<number> {
      const k = keys(email);
      try {
        const secs = await r.meridianLockoutFail(
          k.failures,
          k.level,
          k.lock,
          s.windowSec,
          s.threshold,
          s.baseSec,
          s.maxSec,
        );
        return Number(secs);
      } catch (err) {
        onError(err);
        return 0;
      }
    },
    async reset(email: string): Promise<void> {
      const k = keys(email);
      await redis.del(k.failures, k.level).catch(onError);
    },
  };
}

export type Lockout = ReturnType<typeof createLockout>;
