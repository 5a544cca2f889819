// HTTP routes for search: validate, call the service, shape the reply. Nothing more.
// Public reads; a token, if sent, is still verified (a bad one is a 401).
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import { MIN_POPULAR_COUNT } from './search.popular.ts';
import {
  type PopularQuery,
  PopularQuerySchema,
  PopularSearchesSchema,
  SearchPageSchema,
  type SearchQuery,
  SearchQuerySchema,
  SuggestionsSchema,
  type SuggestQuery,
  SuggestQuerySchema,
} from './search.schemas.ts';
import type { SearchService } from './search.service.ts';

const Problem = Type.Ref('Problem');
// OpenAPI: `{}` marks the token as optional on public reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];

// The same answer for everyone, and counts move slowly: a CDN may keep it for a minute, then
// serve it stale for five more while it revalidates (the kit's http-cache.ts).
const POPULAR_HTTP_CACHE = { maxAgeSec: 60, staleWhileRevalidateSec: 300 };

export const searchRoutes: RoutePlugin<{ search: SearchService }> = async (app, { search }) => {
  app.get(
    '/search/products',
    {
      onRequest: app.auth.optional,
      schema: {
        tags: ['search'],
        summary: 'Full-text search over active products, most relevant first',
        description:
          '`q` uses web-search syntax (`"a phrase"`, `or`, `-word`). A name match ranks above ' +
          'a description match. Pass `nextCursor` back as `cursor`, with the same `q`, for ' +
          'the next page.',
        security: optionalBearer,
        querystring: SearchQuerySchema,
        response: { 200: SearchPageSchema, 400: Problem, 401: Problem },
      },
    },
    async (request) => search.search(request.query as SearchQuery),
  );

  app.get(
    '/search/suggest',
    {
      onRequest: app.auth.optional,
      schema: {
        tags: ['search'],
        summary: 'Autocomplete: product names starting with, or close to, a prefix',
        description:
          'Names that start with `prefix` come first, then names with a word within a typo ' +
          'of it. `%`, `_` and `\\` in `prefix` are matched literally.',
        security: optionalBearer,
        querystring: SuggestQuerySchema,
        response: { 200: SuggestionsSchema, 400: Problem, 401: Problem },
      },
    },
    async (request) => search.suggest(request.query as SuggestQuery),
  );

  app.get(
    '/search/popular',
    {
      onRequest: app.auth.optional,
      config: { httpCache: POPULAR_HTTP_CACHE },
      schema: {
        tags: ['search'],
        summary: 'The most searched queries of the last days',
        description:
          'Queries whose first page found at least one product, counted per UTC day and summed ' +
          'over the last `days` days (today included), most counted first, ties by `q`. A ' +
          `query is listed only once counted ${MIN_POPULAR_COUNT} times in the window, so a ` +
          'search made once or twice is never published. 503 while the counts (in Redis) are ' +
          'unreachable.',
        security: optionalBearer,
        querystring: PopularQuerySchema,
        response: { 200: PopularSearchesSchema, 400: Problem, 401: Problem, 503: Problem },
      },
    },
    async (request) => search.popular(request.query as PopularQuery),
  );
};
