// Wire shapes for products: what clients send and receive (validated and serialized by these
// schemas, and documented in OpenAPI from them). Prices are integer minor units on the wire.
import { type Static, Type } from 'typebox';
import { textSchema, uuidSchema } from '../../schemas/fields.ts';

/** Attribute keys; the listing filters on them as `attr.<key>`, so the two share one pattern. */
export const ATTRIBUTE_KEY_PATTERN = '^[a-z][a-z0-9_]{0,39}$';
/** How many `attr.<key>` filters one list request may combine. */
export const MAX_ATTRIBUTE_FILTERS = 5;

const Sku = Type.String({
  pattern: '^[A-Z0-9]+(-[A-Z0-9]+)*$',
  maxLength: 64,
  description: 'Upper-case letters and digits in dash-separated groups, unique in the catalog',
  examples: ['LAP-13-AIR'],
});
const Name = textSchema({ minLength: 1, maxLength: 200 });
const Description = Type.Union([textSchema({ maxLength: 5000 }), Type.Null()]);
/** The integer column's largest value; anything above would fail in Postgres as a 500. */
export const MAX_PRICE_MINOR = 2_147_483_647;
const PriceMinor = Type.Integer({
  minimum: 0,
  maximum: MAX_PRICE_MINOR,
  description: 'Price in minor units of currency (cents for EUR)',
});
const PriceBound = Type.Integer({
  minimum: 0,
  maximum: MAX_PRICE_MINOR,
  description: 'Minor units, inclusive',
});
const Currency = Type.String({ pattern: '^[A-Z]{3}$', description: 'ISO 4217' });
const Status = (opts: { default?: string } = {}) =>
  Type.Enum(['draft', 'active', 'archived'], {
    description: 'Only active products are listed; drafts are visible to catalog:write only',
    ...opts,
  });
const AttributeValue = Type.Union([
  textSchema({ maxLength: 200 }),
  // Bounded, hence finite: JSON may spell 1e400, which parses to Infinity and cannot be stored.
  Type.Number({ minimum: -Number.MAX_SAFE_INTEGER, maximum: Number.MAX_SAFE_INTEGER }),
  Type.Boolean(),
]);
// Flat and bounded: scalar values only, so `attr.<key>=<value>` can match them by containment.
const Attributes = Type.Record(Type.String({ pattern: ATTRIBUTE_KEY_PATTERN }), AttributeValue, {
  additionalProperties: false,
  maxProperties: 50,
  description: 'Flat key → string, number or boolean',
  examples: [{ colour: 'silver', ram_gb: 16, touchscreen: false }],
});

export const ProductSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    sku: Type.String(),
    name: Type.String(),
    description: Type.Union([Type.String(), Type.Null()]),
    priceMinor: Type.Integer(),
    currency: Type.String(),
    attributes: Type.Record(Type.String(), AttributeValue),
    status: Status(),
    categoryId: Type.String({ format: 'uuid' }),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const ProductParamsSchema = Type.Object(
  { id: uuidSchema() },
  { additionalProperties: false },
);

// Closed: an unknown field is a 400, not silently dropped.
export const CreateProductSchema = Type.Object(
  {
    sku: Sku,
    name: Name,
    description: Type.Optional(Description),
    priceMinor: PriceMinor,
    currency: Currency,
    attributes: Type.Optional(Attributes),
    status: Type.Optional(Status({ default: 'draft' })),
    categoryId: uuidSchema({ description: 'An existing category' }),
  },
  { additionalProperties: false },
);

// Every field optional, at least one present. `attributes` replaces the whole object.
export const UpdateProductSchema = Type.Object(
  {
    sku: Type.Optional(Sku),
    name: Type.Optional(Name),
    description: Type.Optional(Description),
    priceMinor: Type.Optional(PriceMinor),
    currency: Type.Optional(Currency),
    attributes: Type.Optional(Attributes),
    status: Type.Optional(Status()),
    categoryId: Type.Optional(uuidSchema()),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const PRODUCT_SORTS = ['newest', 'price_asc', 'price_desc'] as const;
export type ProductSort = (typeof PRODUCT_SORTS)[number];
export const DEFAULT_SORT: ProductSort = 'newest';
export const DEFAULT_LIMIT = 20;

export const ProductListQuerySchema = Type.Object(
  {
    categoryId: Type.Optional(uuidSchema({ description: 'This category and every one below it' })),
    minPrice: Type.Optional(PriceBound),
    maxPrice: Type.Optional(PriceBound),
    inStock: Type.Optional(
      Type.Boolean({
        description: 'true: only products with stock available now; false: only those without',
      }),
    ),
    // Optional with defaults (filled in by validation), so OpenAPI does not call them required.
    sort: Type.Optional(Type.Enum(PRODUCT_SORTS, { default: DEFAULT_SORT })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: DEFAULT_LIMIT })),
    cursor: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 400,
        description: 'nextCursor of the previous page, with the same sort',
      }),
    ),
  },
  {
    additionalProperties: false,
    // attr.<key>=<value>: products whose attributes hold exactly that value.
    patternProperties: {
      [`^attr\\.${ATTRIBUTE_KEY_PATTERN.slice(1)}`]: textSchema({ minLength: 1, maxLength: 200 }),
    },
  },
);

/** At most this many ids per lookup: a cart's worth (orders caps a cart at 50 lines). */
export const MAX_LOOKUP_IDS = 50;
const UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';

export const ProductLookupQuerySchema = Type.Object(
  {
    ids: Type.String({
      pattern: `^${UUID}(,${UUID}){0,${MAX_LOOKUP_IDS - 1}}$`,
      description: `Up to ${MAX_LOOKUP_IDS} product ids, comma-separated`,
      examples: ['0b9c2f6e-5a1d-4d8e-9a57-1c3f2e4d5b6a,7f3c2a10-1d2e-4c3b-8a9f-0e1d2c3b4a59'],
    }),
  },
  { additionalProperties: false },
);

export const ProductLookupSchema = Type.Object(
  {
    items: Type.Array(ProductSchema, {
      description: 'The live products among the ids, in their order',
    }),
    missing: Type.Array(Type.String({ format: 'uuid' }), {
      description: 'Ids with no live product for this caller (unknown, deleted, or a draft)',
    }),
  },
  { additionalProperties: false },
);

export const ProductPageSchema = Type.Object({
  items: Type.Array(ProductSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()], {
    description: 'Pass as `cursor` for the next page; null on the last page',
  }),
});

export type Product = Static<typeof ProductSchema>;
export type NewProduct = Static<typeof CreateProductSchema>;
export type ProductChanges = Static<typeof UpdateProductSchema>;
export type ProductListQuery = Static<typeof ProductListQuerySchema>;
