// Search use cases: full-text product search with cursors, name suggestions, and popular
// searches (counted in Redis, search.popular.ts). Knows nothing of HTTP, so GraphQL's search
// (issue #4) can call the same functions.
import { createHash } from 'node:crypto';
import { AppError } from '@meridian/errors';
import type { Redis } from '@meridian/redis';
import type { CatalogDb } from '../../db/client.ts';
import { badCursor, decodeCursor, encodeCursor } from '../cursor.ts';
import { MAX_POPULAR_DAYS, normalizeQuery, popularSearches } from './search.popular.ts';
import {
  findSearchPage,
  findSuggestions,
  type SearchKeyset,
  type SearchRow,
} from './search.repository.ts';
import {
  DEFAULT_POPULAR_LIMIT,
  DEFAULT_SEARCH_LIMIT,
  DEFAULT_SUGGEST_LIMIT,
  type PopularQuery,
  type PopularSearchesPage,
  type SearchPage,
  type SearchQuery,
  type Suggestions,
  type SuggestQuery,
} from './search.schemas.ts';

// --- cursors ------------------------------------------------------------------------------
// base64url JSON of { h: hash of q, r: rank, id }. Opaque, unsigned (it only moves where a
// public result list starts), and checked strictly like the product list's: a garbled cursor
// is a 400, never a 500 or a wrong page. `h` ties it to its query: a rank means nothing under
// another q, so reusing the cursor there is refused instead of silently skipping rows.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
// A non-negative float4 as Postgres prints it (shortest exact form): 0.1, 1.2, 1e-05, 3.4e+38.
const RANK = /^(0|[1-9]\d*)(\.\d+)?(e[-+]\d+)?$/;

const queryHash = (q: string) =>
  createHash('sha256').update(q, 'utf8').digest('base64url').slice(0, 16);

function encodeSearchCursor(q: string, row: SearchRow): string {
  return encodeCursor({ h: queryHash(q), r: row.rankKey, id: row.id });
}

function decodeSearchCursor(cursor: string, q: string): SearchKeyset {
  const { h, r, id } = decodeCursor(cursor, ['h', 'r', 'id']);
  if (typeof id !== 'string' || !UUID.test(id)) throw badCursor();
  // Finite and within float4, so the ::real cast in SQL cannot fail as a 500.
  if (typeof r !== 'string' || !RANK.test(r) || !(Number(r) <= 3.4e38)) throw badCursor();
  if (h !== queryHash(q)) {
    throw badCursor('The cursor belongs to another query; start again without a cursor.');
  }
  return { rank: r, id };
}

// --- popular searches ----------------------------------------------------------------------

/** The slice of a pino logger the service uses (the app's logger fits). */
export interface SearchLogger {
  warn(obj: object, msg: string): void;
}

export interface SearchServiceDeps {
  /** The request-role connection (fails fast while Redis is down). */
  redis: Redis;
  /** REDIS_PREFIX. */
  prefix: string;
  /** Where a failed popular-search write is reported; it never fails the search. */
  log: SearchLogger;
}

// Popular searches exist only in Redis: without it there is nothing to show, so the honest
// answer is a 503 to retry (never a 500, which would read as a bug in this service).
const popularUnavailable = (cause: unknown) =>
  new AppError({
    status: 503,
    code: 'popular-searches-unavailable',
    detail: 'Popular searches are unavailable for a moment; retry shortly.',
    headers: { 'retry-after': '5' },
    cause,
  });

/**
 * Without `deps` (GraphQL's instance) searches are not counted, and popular() has nothing to
 * read from.
 */
export function searchService(db: CatalogDb, deps?: SearchServiceDeps) {
  const popular = deps ? popularSearches({ redis: deps.redis, prefix: deps.prefix }) : undefined;

  /**
   * Fire-and-forget: called after the page is computed and not awaited, so Redis being slow
   * or down costs the search nothing. Only first pages count: a cursor continues a search
   * already counted.
   */
  function countSearch(query: SearchQuery, page: SearchPage): void {
    if (!popular || !deps || query.cursor !== undefined || page.items.length === 0) return;
    const q = normalizeQuery(query.q);
    if (q === null) return;
    popular.record(q).catch((err: unknown) => {
      deps.log.warn({ err }, 'popular search not recorded');
    });
  }

  return {
    /** One page of active products matching q, most relevant first. */
    async search(query: SearchQuery): Promise<SearchPage> {
      // Validation fills in the default; the fallback only serves callers that skip it.
      const limit = query.limit ?? DEFAULT_SEARCH_LIMIT;
      // One row more than the page tells whether another page follows, without a COUNT.
      const rows = await findSearchPage(db, {
        q: query.q,
        limit: limit + 1,
        after: query.cursor === undefined ? undefined : decodeSearchCursor(query.cursor, query.q),
      });
      const page = rows.slice(0, limit);
      const last = page.at(-1);
      const result: SearchPage = {
        items: page.map((row) => ({
          id: row.id,
          sku: row.sku,
          name: row.name,
          priceMinor: row.priceMinor,
          currency: row.currency,
          rank: Number(row.rankKey),
          headline: row.headline,
        })),
        nextCursor: rows.length > limit && last ? encodeSearchCursor(query.q, last) : null,
      };
      countSearch(query, result);
      return result;
    },

    /** Up to `limit` active products whose name starts with, or nearly matches, the prefix. */
    async suggest(query: SuggestQuery): Promise<Suggestions> {
      const rows = await findSuggestions(db, {
        prefix: query.prefix,
        limit: query.limit ?? DEFAULT_SUGGEST_LIMIT,
      });
      return { items: rows.map((row) => ({ id: row.id, name: row.name })) };
    },

    /** The most searched queries of the last `days` UTC days (MIN_POPULAR_COUNT or more). */
    async popular(query: PopularQuery): Promise<PopularSearchesPage> {
      if (!popular) throw new Error('searchService was built without Redis: no popular searches');
      try {
        const items = await popular.top(
          query.days ?? MAX_POPULAR_DAYS,
          query.limit ?? DEFAULT_POPULAR_LIMIT,
        );
        return { items };
      } catch (err) {
        throw popularUnavailable(err);
      }
    },
  };
}

export type SearchService = ReturnType<typeof searchService>;
