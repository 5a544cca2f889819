// Products and their image metadata. Money is integer minor units + an ISO 4217 currency;
// a product is soft-deleted (deleted_at set) so orders and links that name it keep resolving.
import { sql } from 'drizzle-orm';
import {
  char,
  check,
  customType,
  index,
  integer,
  jsonb,
  text,
  timestamp,
  unique,
  uuid,
} from 'drizzle-orm/pg-core';
import { categories } from './categories.ts';
import { catalogSchema } from './schema.ts';

export const PRODUCT_STATUSES = ['draft', 'active', 'archived'] as const;
export type ProductStatus = (typeof PRODUCT_STATUSES)[number];
export type ProductAttributes = Record<string, string | number | boolean>;

// drizzle has no tsvector type; the column is only ever written by Postgres (GENERATED).
const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

export const products = catalogSchema.table(
  'products',
  {
    id: uuid().primaryKey().defaultRandom(),
    // Unique across deleted rows too: a SKU names one product forever, so old orders stay
    // unambiguous.
    sku: text().notNull().unique(),
    name: text().notNull(),
    description: text(),
    priceMinor: integer().notNull(),
    currency: char({ length: 3 }).notNull(),
    attributes: jsonb().$type<ProductAttributes>().notNull().default({}),
    // text + CHECK rather than a Postgres enum: a CHECK can be changed in one transaction.
    status: text({ enum: PRODUCT_STATUSES }).notNull().default('draft'),
    categoryId: uuid()
      .notNull()
      .references(() => categories.id, { onDelete: 'restrict' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    deletedAt: timestamp({ withTimezone: true }),
    // Written by Postgres from name and description, so it can never drift from them.
    search: tsvector().generatedAlwaysAs(
      sql`setweight(to_tsvector('english', coalesce(name, '')), 'A') || setweight(to_tsvector('english', coalesce(description, '')), 'B')`,
    ),
  },
  (t) => [
    check('products_sku_check', sql`${t.sku} ~ '^[A-Z0-9]+(-[A-Z0-9]+)*$'`),
    check('products_currency_check', sql`${t.currency} ~ '^[A-Z]{3}$'`),
    check('products_price_check', sql`${t.priceMinor} >= 0`),
    check('products_status_check', sql`${t.status} IN ('draft', 'active', 'archived')`),
    // Both keyset indexes are partial on exactly the listing's visibility predicate: the list
    // reads only live, active rows, so drafts, archived and deleted rows cost it nothing, and
    // the index walk stops after limit + 1 entries with no sort step.
    // `newest`: ORDER BY created_at DESC, id DESC; id breaks ties between equal timestamps.
    // NULLS FIRST is what DESC means in an ORDER BY; drizzle would write NULLS LAST, and the
    // planner does not match an index whose null ordering differs, even on NOT NULL columns.
    index('products_newest_idx')
      .on(t.createdAt.desc().nullsFirst(), t.id.desc().nullsFirst())
      .where(sql`deleted_at IS NULL AND status = 'active'`),
    // `price_asc` walks it forwards, `price_desc` backwards: one index serves both.
    index('products_price_idx')
      .on(t.priceMinor, t.id)
      .where(sql`deleted_at IS NULL AND status = 'active'`),
    // The category filter (category_id IN subtree) and the FK check when a category is
    // deleted; Postgres does not index foreign keys by itself.
    index('products_category_id_idx').on(t.categoryId),
    // attributes @> '{"colour":"red"}': jsonb_path_ops is smaller and faster than the default
    // jsonb_ops, and containment is the only operator the API uses.
    index('products_attributes_idx').using('gin', t.attributes.op('jsonb_path_ops')),
    // Full-text search (websearch_to_tsquery … @@ search) with issue #4's search endpoint.
    index('products_search_idx').using('gin', t.search),
    // Trigrams on name: typo-tolerant prefix matching for autocomplete (name ILIKE 'lap%',
    // name % 'labtop'). Needs pg_trgm, created in the migration.
    index('products_name_trgm_idx').using('gin', t.name.op('gin_trgm_ops')),
  ],
);

export type ProductRow = typeof products.$inferSelect;
export type NewProductRow = typeof products.$inferInsert;

export const productImages = catalogSchema.table(
  'product_images',
  {
    id: uuid().primaryKey().defaultRandom(),
    productId: uuid()
      .notNull()
      .references(() => products.id, { onDelete: 'cascade' }),
    url: text().notNull(),
    alt: text().notNull().default(''),
    position: integer().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // The unique (product_id, position) also serves "images of product X in order" and the
  // cascade, so product_id needs no index of its own.
  (t) => [
    unique('product_images_product_position_unique').on(t.productId, t.position),
    check('product_images_position_check', sql`${t.position} >= 0`),
  ],
);

export type ProductImageRow = typeof productImages.$inferSelect;
