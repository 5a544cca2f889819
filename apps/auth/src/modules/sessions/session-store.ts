// Server-side sessions in Redis. The cookie holds a 256-bit random id; Redis holds only its
// SHA-256 (a leaked dump or MONITOR output cannot be replayed as a cookie). Each session has
// a public id for listing and revoking, a CSRF token, an idle timeout (the key's TTL, pushed
// forward on use) and an absolute timeout (never pushed). See docs/jwt-and-sessions.md.
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AppError } from '@meridian/errors';
import type { Redis } from 'ioredis';

export interface SessionSettings {
  idleSec: number;
  absoluteSec: number;
  prefix: string;
}

export interface Session {
  id: string;
  userId: string;
  csrfToken: string;
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  ip: string;
  userAgent: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
// Only refresh lastSeenAt/TTL this often: a busy tab should not write to Redis per request.
const TOUCH_EVERY_MS = 15_000;

// Sessions live only in Redis: without it nobody can be told apart, so the honest answer is
// 503 (try again), never a 500 and never a 401 that would send the user to log in again.
const unavailable = (cause: unknown) =>
  new AppError({
    status: 503,
    code: 'sessions-unavailable',
    detail: 'Sessions are unavailable for a moment; retry shortly.',
    headers: { 'retry-after': '5' },
    cause,
  });

/** Every method of `store`, with Redis failures turned into the 503 above. */
function guarded<T extends Record<string, (...args: never[]) => Promise<unknown>>>(store: T): T {
  const out = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(store)) {
    out[name] = async (...args: never[]) => {
      try {
        return await fn.apply(out, args);
      } catch (err) {
        throw err instanceof AppError ? err : unavailable(err);
      }
    };
  }
  return out as T;
}

export function createSessionStore(redis: Redis, s: SessionSettings) {
  const sessionKey = (hash: string) => `${s.prefix}auth:session:${hash}`;
  const userKey = (userId: string) => `${s.prefix}auth:user-sessions:${userId}`;
  const ttlMs = (expiresAt: number, now: number) =>
    Math.max(1, Math.min(s.idleSec * 1000, expiresAt - now));

  function parse(raw: Record<string, string>): Session | null {
    if (!raw.id || !raw.userId || !raw.csrfToken) return null;
    return {
      id: raw.id,
      userId: raw.userId,
      csrfToken: raw.csrfToken,
      createdAt: Number(raw.createdAt),
      lastSeenAt: Number(raw.lastSeenAt),
      expiresAt: Number(raw.expiresAt),
      ip: raw.ip ?? '',
      userAgent: raw.userAgent ?? '',
    };
  }

  return guarded({
    async create(userId: string, meta: { ip: string; userAgent: string }) {
      const token = randomBytes(32).toString('base64url');
      const hash = sha256(token);
      const now = Date.now();
      const session: Session = {
        id: randomUUID(),
        userId,
        csrfToken: randomBytes(32).toString('base64url'),
        createdAt: now,
        lastSeenAt: now,
        expiresAt: now + s.absoluteSec * 1000,
        ip: meta.ip,
        userAgent: meta.userAgent.slice(0, 256),
      };
      const fields = Object.entries(session).flatMap(([k, v]) => [k, String(v)]);
      await redis
        .multi()
        .hset(sessionKey(hash), ...fields)
        .pexpire(sessionKey(hash), ttlMs(session.expiresAt, now))
        .hset(userKey(userId), session.id, hash)
        .expire(userKey(userId), s.absoluteSec)
        .exec();
      return { token, session };
    },

    /** The live session for a cookie value, touched; null if unknown, idle or past its end. */
    async get(token: string): Promise<Session | null> {
      if (!/^[A-Za-z0-9_-]{43}$/.test(token)) return null;
      const hash = sha256(token);
      const session = parse(await redis.hgetall(sessionKey(hash)));
      if (!session) return null;
      const now = Date.now();
      if (now >= session.expiresAt) {
        await this.destroyByHash(session.userId, session.id, hash);
        return null;
      }
      if (now - session.lastSeenAt >= TOUCH_EVERY_MS) {
        session.lastSeenAt = now;
        await redis
          .multi()
          .hset(sessionKey(hash), 'lastSeenAt', String(now))
          .pexpire(sessionKey(hash), ttlMs(session.expiresAt, now))
          .exec();
      }
      return session;
    },

    async list(userId: string): Promise<Session[]> {
      const index = await redis.hgetall(userKey(userId));
      const entries = Object.entries(index);
      if (entries.length === 0) return [];
      const pipe = redis.pipeline();
      for (const [, hash] of entries) pipe.hgetall(sessionKey(hash));
      const results = (await pipe.exec()) ?? [];
      const live: Session[] = [];
      const gone: string[] = [];
      results.forEach(([err, raw], i) => {
        const session = err ? null : parse(raw as Record<string, string>);
        if (session && session.expiresAt > Date.now()) live.push(session);
        else gone.push(entries[i]?.[0] ?? '');
      });
      // Idle sessions expire on their own; tidy their index entries while we are here.
      if (gone.length) await redis.hdel(userKey(userId), ...gone);
      return live.sort((a, b) => b.lastSeenAt - a.lastSeenAt);
    },

    async destroyByHash(userId: string, id: string, hash: string): Promise<void> {
      await redis.multi().del(sessionKey(hash)).hdel(userKey(userId), id).exec();
    },

    /** Revokes one of a user's sessions by its public id; false if there was none. */
    async revoke(userId: string, id: string): Promise<boolean> {
      const hash = await redis.hget(userKey(userId), id);
      if (!hash) return false;
      await this.destroyByHash(userId, id, hash);
      return true;
    },

    async destroy(token: string): Promise<void> {
      const hash = sha256(token);
      const session = parse(await redis.hgetall(sessionKey(hash)));
      if (session) await this.destroyByHash(session.userId, session.id, hash);
      else await redis.del(sessionKey(hash));
    },

    /** Revokes all of a user's sessions except, optionally, one; returns how many. */
    async revokeAll(userId: string, exceptId?: string): Promise<number> {
      const index = await redis.hgetall(userKey(userId));
      const victims = Object.entries(index).filter(([id]) => id !== exceptId);
      if (victims.length === 0) return 0;
      const multi = redis.multi();
      for (const [id, hash] of victims) multi.del(sessionKey(hash)).hdel(userKey(userId), id);
      await multi.exec();
      return victims.length;
    },
  });
}

export type SessionStore = ReturnType<typeof createSessionStore>;
