// Popular searches, the Redis side: one sorted set per UTC day (member: the normalized query,
// score: how many first pages of it found products), and the top queries of the last few days
// by a union of those sets. Knows nothing of HTTP or Postgres. Why sorted sets, per-day keys
// and the threshold: docs/redis.md#sorted-sets-popular-searches.
import type { Redis } from '@meridian/redis';

/**
 * A query is shown only once it was counted this many times in the window: a floor, so that
 * one person's odd (or personal) search is never published by the API.
 */
export const MIN_POPULAR_COUNT = 3;
/** Longest normalized query counted, in characters; longer ones are not recorded at all. */
export const MAX_POPULAR_QUERY_LENGTH = 64;
/** The widest window GET /v1/search/popular accepts, in UTC days (today included). */
export const MAX_POPULAR_DAYS = 7;
/**
 * Distinct queries kept per day key. Past it, each write drops the lowest-ranked member
 * (fewest counts; among equals, the first in byte order), so a flood of distinct queries
 * cannot grow Redis without bound. Measured with MEMORY USAGE: 1.3-1.7 MB for a full day of
 * ASCII queries (~130-170 bytes a member), so at most ~14 MB for the 8 day keys alive.
 */
export const MAX_QUERIES_PER_DAY = 10_000;
/**
 * A day key lives this long after its last write. Longer than the widest window, so the
 * union never finds a day missing; short enough that old days clean themselves up.
 */
export const DAY_KEY_TTL_SEC = 8 * 24 * 60 * 60;

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * The form a query is counted under, or null if it is not counted: lower-cased, Unicode NFC
 * (a composed and a decomposed "é" are one query), whitespace runs collapsed to one space,
 * trimmed; at most MAX_POPULAR_QUERY_LENGTH code points.
 */
export function normalizeQuery(q: string): string | null {
  const normalized = q.toLowerCase().normalize('NFC').replace(/\s+/g, ' ').trim();
  if (normalized === '') return null;
  // Code points, not UTF-16 units: an emoji is one character here, as a reader counts.
  if ([...normalized].length > MAX_POPULAR_QUERY_LENGTH) return null;
  return normalized;
}

/** YYYY-MM-DD of the UTC day `at` falls in. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

export interface PopularSearch {
  q: string;
  count: number;
}

export interface PopularSearchesOptions {
  redis: Redis;
  /** REDIS_PREFIX: every key starts with it. */
  prefix: string;
  /** The day cap (MAX_QUERIES_PER_DAY); tests lower it. */
  maxPerDay?: number;
}

/** Throws the first error inside an EXEC reply (a MULTI's commands fail one by one). */
function checkExec(results: Array<[Error | null, unknown]> | null): unknown[] {
  if (!results) throw new Error('redis MULTI was aborted');
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

export function popularSearches({
  redis,
  prefix,
  maxPerDay = MAX_QUERIES_PER_DAY,
}: PopularSearchesOptions) {
  const dayKey = (day: string) => `${prefix}catalog:search:popular:${day}`;
  // Exists only inside the MULTI of top(): written, read and deleted in one atomic block, so
  // one name serves every concurrent caller (no other command can run between those three).
  const scratchKey = `${prefix}catalog:search:popular:union`;

  return {
    dayKey,

    /**
     * Counts one search of `q` (already normalized) on the UTC day of `at`. One MULTI: the
     * increment, the cap and the TTL apply together, so no key is ever left without a TTL.
     * O(log N) for a day of N distinct queries.
     */
    async record(q: string, at: Date = new Date()): Promise<void> {
      const key = dayKey(utcDay(at));
      const results = await redis
        .multi()
        .zincrby(key, 1, q)
        // Ranks 0 .. -(cap+1): everything below the top `cap`; nothing while under the cap.
        .zremrangebyrank(key, 0, -(maxPerDay + 1))
        .expire(key, DAY_KEY_TTL_SEC)
        .exec();
      checkExec(results);
    },

    /**
     * The `limit` queries counted most over the `days` UTC days ending on the day of `at`,
     * each counted at least MIN_POPULAR_COUNT times; most counted first, ties by q in byte
     * order (ascending).
     *
     * One MULTI, one round trip:
     * - ZUNIONSTORE of the day keys with every WEIGHT -1: the scratch set holds each query's
     *   combined count, negated. O(N) + O(M log M) for N members across the day sets and M
     *   distinct queries among them (N <= days x maxPerDay, so bounded).
     * - ZRANGE BYSCORE -inf .. -MIN_POPULAR_COUNT LIMIT 0 limit: ascending negated counts is
     *   descending counts, and Redis orders equal scores by member in byte order, so ties come
     *   out ascending with no client-side sort, and the threshold is applied in Redis.
     *   O(log M + limit). Only `limit` members cross the network.
     * - UNLINK of the scratch set: O(1) here, its memory freed off the main thread; nothing
     *   is left behind.
     * The alternative, ZUNION ... WITHSCORES (Redis >= 6.2), is read-only (so it could run on
     * a replica) but sends all M members to the client to be filtered and sorted there: at
     * 7 x 10,000 queries that is megabytes per request instead of `limit` rows. ZREVRANGE on
     * positive counts would order ties by q descending.
     */
    async top(days: number, limit: number, at: Date = new Date()): Promise<PopularSearch[]> {
      const keys = Array.from({ length: days }, (_, i) =>
        dayKey(utcDay(new Date(at.getTime() - i * DAY_MS))),
      );
      const results = await redis
        .multi()
        .zunionstore(scratchKey, keys.length, ...keys, 'WEIGHTS', ...keys.map(() => -1))
        .zrange(
          scratchKey,
          '-inf',
          String(-MIN_POPULAR_COUNT),
          'BYSCORE',
          'LIMIT',
          0,
          limit,
          'WITHSCORES',
        )
        .unlink(scratchKey)
        .exec();
      const range = checkExec(results)[1];
      return parseWithScores(range).map(([q, score]) => ({ q, count: -score }));
    },
  };
}

export type PopularSearches = ReturnType<typeof popularSearches>;

/**
 * A WITHSCORES reply as [member, score] pairs: flat [m, s, m, s] (RESP2, and RESP3 with the
 * default legacy mapping) or already paired (RESP3 with replyMapping 'resp3').
 */
function parseWithScores(reply: unknown): Array<[string, number]> {
  if (!Array.isArray(reply)) throw new Error('unexpected ZRANGE WITHSCORES reply');
  if (reply.every(Array.isArray)) {
    return reply.map(([member, score]) => [String(member), Number(score)]);
  }
  const pairs: Array<[string, number]> = [];
  for (let i = 0; i + 1 < reply.length; i += 2) {
    pairs.push([String(reply[i]), Number(reply[i + 1])]);
  }
  return pairs;
}
