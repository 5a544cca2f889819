// Wire shapes for search: full-text product search, name suggestions (autocomplete) and the
// popular searches of the last days.
// Closed querystrings: an unknown parameter is a 400, not silently ignored.
import { type Static, Type } from 'typebox';
import { textSchema } from '../../schemas/fields.ts';
import { MAX_POPULAR_DAYS, MIN_POPULAR_COUNT } from './search.popular.ts';

export const DEFAULT_SEARCH_LIMIT = 20;
export const MAX_SEARCH_LIMIT = 50;
export const DEFAULT_SUGGEST_LIMIT = 10;
export const MAX_SUGGEST_LIMIT = 10;
export const DEFAULT_POPULAR_LIMIT = 10;
export const MAX_POPULAR_LIMIT = 20;

export const SearchQuerySchema = Type.Object(
  {
    q: textSchema({
      minLength: 1,
      maxLength: 200,
      description:
        'Web-search syntax: words are ANDed, "quoted phrase", `or`, `-excluded`. Only stop ' +
        'words or punctuation match nothing (an empty page, not an error).',
      examples: ['"espresso machine" -manual'],
    }),
    // Optional with defaults (filled in by validation), so OpenAPI does not call it required.
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_SEARCH_LIMIT, default: DEFAULT_SEARCH_LIMIT }),
    ),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 400,
        description: 'nextCursor of the previous page, with the same q',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SearchHitSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    sku: Type.String(),
    name: Type.String(),
    priceMinor: Type.Integer({ description: 'Price in minor units of currency' }),
    currency: Type.String(),
    rank: Type.Number({
      description: 'ts_rank_cd: higher is more relevant; a name match weighs most',
    }),
    headline: Type.String({
      description:
        'A snippet of the description (or the name) with matched words wrapped in `**`. ' +
        'Plain text, not HTML.',
    }),
  },
  { additionalProperties: false },
);

export const SearchPageSchema = Type.Object(
  {
    items: Type.Array(SearchHitSchema),
    nextCursor: Type.Union([Type.String(), Type.Null()], {
      description: 'Pass as `cursor`, with the same `q`, for the next page; null on the last page',
    }),
  },
  { additionalProperties: false },
);

export const SuggestQuerySchema = Type.Object(
  {
    prefix: textSchema({
      minLength: 2,
      maxLength: 100,
      description: 'The start of a product name, as typed; small typos are tolerated',
      examples: ['lapt'],
    }),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_SUGGEST_LIMIT, default: DEFAULT_SUGGEST_LIMIT }),
    ),
  },
  { additionalProperties: false },
);

export const SuggestionsSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        { id: Type.String({ format: 'uuid' }), name: Type.String() },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const PopularQuerySchema = Type.Object(
  {
    days: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: MAX_POPULAR_DAYS,
        default: MAX_POPULAR_DAYS,
        description: 'UTC days to count over, today included',
      }),
    ),
    limit: Type.Optional(
      Type.Integer({ minimum: 1, maximum: MAX_POPULAR_LIMIT, default: DEFAULT_POPULAR_LIMIT }),
    ),
  },
  { additionalProperties: false },
);

export const PopularSearchesSchema = Type.Object(
  {
    items: Type.Array(
      Type.Object(
        {
          q: Type.String({ description: 'The query as counted: lower-cased, spaces collapsed' }),
          count: Type.Integer({
            minimum: MIN_POPULAR_COUNT,
            description: 'Searches of q in the window that found at least one product',
          }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export type SearchQuery = Static<typeof SearchQuerySchema>;
export type SearchPage = Static<typeof SearchPageSchema>;
export type SearchHit = Static<typeof SearchHitSchema>;
export type SuggestQuery = Static<typeof SuggestQuerySchema>;
export type Suggestions = Static<typeof SuggestionsSchema>;
export type PopularQuery = Static<typeof PopularQuerySchema>;
export type PopularSearchesPage = Static<typeof PopularSearchesSchema>;
