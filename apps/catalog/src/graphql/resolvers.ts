// GraphQL resolvers: thin, like route handlers. They check arguments, call the same services
// the REST routes call, and shape the answer. The rules that matter (drafts only for
// catalog:write, cursors, filters) live in those services, so both APIs apply them alike.
//
// Per-product fields (category, stock) are mercurius loaders: every product on a page asks,
// and mercurius hands the asks of one tick to the loader together, which answers them all
// with one statement (batch.ts). A page of 5 or of 50 products with their categories and
// stock is 3 statements either way; docs/rest-vs-graphql.md has the measured counts.
import { forbidden, unauthorized } from '@meridian/auth-verify';
import { AppError, type FieldError } from '@meridian/errors';
import type { FastifyRequest } from 'fastify';
import type { CategoryNode } from '../modules/categories/categories.schemas.ts';
import type { CategoryService } from '../modules/categories/categories.service.ts';
import {
  ATTRIBUTE_KEY_PATTERN,
  MAX_ATTRIBUTE_FILTERS,
  type Product,
  type ProductSort,
} from '../modules/products/products.schemas.ts';
import type { ProductListInput, ProductService } from '../modules/products/products.service.ts';
import { MAX_SEARCH_LIMIT } from '../modules/search/search.schemas.ts';
import type { SearchService } from '../modules/search/search.service.ts';
import type { BatchReads } from './batch.ts';
import { GraphQLScalarType } from './graphql-js.ts';

export type Principal = FastifyRequest['principal'];

/** What every resolver sees besides its arguments (mercurius adds `reply` and `app`). */
export interface GraphqlContext {
  principal: Principal;
  /** The category tree indexed by id, read at most once per request (Category.children). */
  categoryIndex?: Promise<Map<string, CategoryNode>>;
}

export interface GraphqlServices {
  products: ProductService;
  categories: CategoryService;
  search: SearchService;
  batch: BatchReads;
}

// --- arguments ------------------------------------------------------------------------------
// GraphQL's types already hold (Int is 32-bit, enums are closed); these are the REST
// schemas' remaining bounds, so a value REST refuses with a 400 is refused here too.

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ATTRIBUTE_KEY = new RegExp(ATTRIBUTE_KEY_PATTERN);
const MAX_PAGE = 100;
const MAX_CURSOR_LENGTH = 400;

class ArgumentErrors {
  readonly errors: FieldError[] = [];
  add(pointer: string, detail: string): void {
    this.errors.push({ in: 'args', pointer, detail });
  }
  text(pointer: string, value: string, max: number): void {
    if (value.length < 1 || value.length > max) {
      this.add(pointer, `must be 1 to ${max} characters`);
    } else if (value.includes('\u0000')) {
      this.add(pointer, 'must not contain U+0000');
    }
  }
  int(pointer: string, value: number, min: number, max: number): void {
    if (value < min || value > max) this.add(pointer, `must be between ${min} and ${max}`);
  }
  uuid(pointer: string, value: string): void {
    if (!UUID.test(value)) this.add(pointer, 'must be a UUID');
  }
  /** Throws the REST API's validation-failed problem, as a GraphQL error, if any were found. */
  check(): void {
    if (this.errors.length === 0) return;
    throw new AppError({
      status: 400,
      code: 'validation-failed',
      title: 'Validation failed',
      detail: 'Invalid arguments; see errors.',
      errors: this.errors,
    });
  }
}

interface ProductsArgs {
  filter?: {
    categoryId?: string | null;
    minPrice?: number | null;
    maxPrice?: number | null;
    inStock?: boolean | null;
    attributes?: { key: string; value: string }[] | null;
  } | null;
  sort: 'NEWEST' | 'PRICE_ASC' | 'PRICE_DESC';
  first: number;
  after?: string | null;
}

/** The GraphQL arguments as GET /v1/products's query, checked the way its schema checks it. */
function productListInput(args: ProductsArgs): ProductListInput {
  const bad = new ArgumentErrors();
  const filter = args.filter ?? {};
  bad.int('/first', args.first, 1, MAX_PAGE);
  if (args.after != null) bad.text('/after', args.after, MAX_CURSOR_LENGTH);
  if (filter.categoryId != null) bad.uuid('/filter/categoryId', filter.categoryId);
  if (filter.minPrice != null) bad.int('/filter/minPrice', filter.minPrice, 0, 2_147_483_647);
  if (filter.maxPrice != null) bad.int('/filter/maxPrice', filter.maxPrice, 0, 2_147_483_647);
  if (filter.minPrice != null && filter.maxPrice != null && filter.minPrice > filter.maxPrice) {
    bad.add('/filter/minPrice', 'must be <= maxPrice');
  }
  const attributes = filter.attributes ?? [];
  if (attributes.length > MAX_ATTRIBUTE_FILTERS) {
    bad.add('/filter/attributes', `must have at most ${MAX_ATTRIBUTE_FILTERS} items`);
  }
  const input: ProductListInput = {
    sort: args.sort.toLowerCase() as ProductSort,
    limit: args.first,
  };
  attributes.slice(0, MAX_ATTRIBUTE_FILTERS).forEach(({ key, value }, i) => {
    const pointer = `/filter/attributes/${i}`;
    if (!ATTRIBUTE_KEY.test(key)) bad.add(`${pointer}/key`, `must match ${ATTRIBUTE_KEY_PATTERN}`);
    else if (input[`attr.${key}`] !== undefined) bad.add(`${pointer}/key`, 'is already filtered');
    bad.text(`${pointer}/value`, value, 200);
    input[`attr.${key}`] = value;
  });
  bad.check();
  if (args.after != null) input.cursor = args.after;
  if (filter.categoryId != null) input.categoryId = filter.categoryId;
  if (filter.minPrice != null) input.minPrice = filter.minPrice;
  if (filter.maxPrice != null) input.maxPrice = filter.maxPrice;
  if (filter.inStock != null) input.inStock = filter.inStock;
  return input;
}

const pageInfo = (nextCursor: string | null) => ({
  endCursor: nextCursor,
  hasNextPage: nextCursor !== null,
});

// --- who may see what -----------------------------------------------------------------------

/** Drafts are unreleased: only those who may edit the catalog see them (as on REST). */
const canEditCatalog = (principal: Principal) =>
  principal?.permissions.includes('catalog:write') ?? false;

/** Stock counts are staff data: the same 401/403 as GET /v1/products/{id}/inventory. */
function requireCatalogWrite(principal: Principal): void {
  if (!principal) throw unauthorized();
  if (!canEditCatalog(principal)) throw forbidden(['catalog:write']);
}

// --- the category tree ------------------------------------------------------------------------

function indexTree(roots: CategoryNode[]): Map<string, CategoryNode> {
  const index = new Map<string, CategoryNode>();
  const pending = [...roots];
  for (let node = pending.pop(); node; node = pending.pop()) {
    index.set(node.id, node);
    pending.push(...node.children);
  }
  return index;
}

/** Output-only: products' attributes, already a flat JSON object. */
const AttributesScalar = new GraphQLScalarType({
  name: 'Attributes',
  serialize: (value) => value,
  parseValue: () => {
    throw new TypeError('Attributes is an output type.');
  },
  parseLiteral: () => {
    throw new TypeError('Attributes is an output type.');
  },
});

type Loader<T> = (queries: { obj: Product }[], context: GraphqlContext) => Promise<(T | null)[]>;

export function createResolvers(s: GraphqlServices) {
  const resolvers = {
    Attributes: AttributesScalar,
    Query: {
      async products(_root: unknown, args: ProductsArgs) {
        const page = await s.products.list(productListInput(args));
        return { nodes: page.items, pageInfo: pageInfo(page.nextCursor) };
      },

      async product(_root: unknown, args: { id: string }, ctx: GraphqlContext) {
        const bad = new ArgumentErrors();
        bad.uuid('/id', args.id);
        bad.check();
        return s.products.get(args.id, { includeDrafts: canEditCatalog(ctx.principal) });
      },

      // A cached value (the category cache): read-only here too.
      categories: () => s.categories.tree(),

      async search(_root: unknown, args: { q: string; first: number; after?: string | null }) {
        const bad = new ArgumentErrors();
        bad.text('/q', args.q, 200);
        bad.int('/first', args.first, 1, MAX_SEARCH_LIMIT);
        if (args.after != null) bad.text('/after', args.after, MAX_CURSOR_LENGTH);
        bad.check();
        const page = await s.search.search({
          q: args.q,
          limit: args.first,
          ...(args.after != null ? { cursor: args.after } : {}),
        });
        return { nodes: page.items, pageInfo: pageInfo(page.nextCursor) };
      },
    },

    Product: {
      status: (product: Product) => product.status.toUpperCase(),
    },

    Category: {
      // Tree nodes carry their children; a product's category (from the loader) does not, so
      // it is found in the tree, read once per request however many products ask.
      async children(
        category: { id: string; children?: CategoryNode[] },
        _args: unknown,
        ctx: GraphqlContext,
      ) {
        if (category.children) return category.children;
        ctx.categoryIndex ??= s.categories.tree().then(indexTree);
        return (await ctx.categoryIndex).get(category.id)?.children ?? [];
      },
    },
  };

  const category: Loader<unknown> = async (queries) => {
    const byId = await s.batch.categoriesByIds(queries.map((q) => q.obj.categoryId));
    return queries.map((q) => byId.get(q.obj.categoryId) ?? null);
  };

  // The permission is checked once per batch, before any query: every product's stock field
  // then carries the same 401/403 error, and no count is read for a caller who may not see it.
  const stock: Loader<unknown> = async (queries, ctx) => {
    requireCatalogWrite(ctx.principal);
    const byId = await s.batch.stockByProductIds(queries.map((q) => q.obj.id));
    return queries.map((q) => byId.get(q.obj.id) ?? null);
  };

  return { resolvers, loaders: { Product: { category, stock } } };
}
