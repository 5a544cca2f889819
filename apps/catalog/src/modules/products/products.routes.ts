// HTTP routes for products: validate, call the service, shape the reply. Nothing more.
// Reads are public but verify a token if one is sent; writes need catalog:write.
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  CreateProductSchema,
  ProductListQuerySchema,
  ProductLookupQuerySchema,
  ProductLookupSchema,
  ProductPageSchema,
  ProductParamsSchema,
  ProductSchema,
  UpdateProductSchema,
} from './products.schemas.ts';
import type { ProductListInput, ProductService } from './products.service.ts';

const Problem = Type.Ref('Problem');
// OpenAPI: `{}` marks the token as optional on public reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

// Drafts are unreleased: only those who may edit the catalog see them.
const canSeeDrafts = (request: FastifyRequest) =>
  request.principal?.permissions.includes('catalog:write') ?? false;

// HTTP caching on the public reads (the kit's http-cache.ts): a strong ETag, 304 on
// If-None-Match, `public` for a CDN. The kit answers any request with Authorization
// `private`. One product depends on the token (drafts need catalog:write), so it also varies
// on Authorization; the list shows active products to everyone and does not.
const PRODUCT_HTTP_CACHE = {
  maxAgeSec: 60,
  staleWhileRevalidateSec: 300,
  vary: ['Authorization'],
};
const LIST_HTTP_CACHE = { maxAgeSec: 30, staleWhileRevalidateSec: 120 };

export const productRoutes: RoutePlugin<{ products: ProductService }> = async (
  app,
  { products },
) => {
  app.get(
    '/products',
    {
      onRequest: app.auth.optional,
      config: { httpCache: LIST_HTTP_CACHE },
      schema: {
        tags: ['products'],
        summary: 'List active products: filters, sort, keyset pagination',
        description:
          'Filter by `categoryId` (its whole subtree), `minPrice`/`maxPrice` (minor units) and ' +
          'up to 5 `attr.<key>=<value>` pairs. Pass `nextCursor` back as `cursor`, with the ' +
          'same `sort`, for the next page.',
        security: optionalBearer,
        querystring: ProductListQuerySchema,
        response: { 200: ProductPageSchema, 400: Problem, 401: Problem },
      },
    },
    async (request) => products.list(request.query as ProductListInput),
  );

  // Before /products/:id in the source for the reader; Fastify matches the static segment
  // first whatever the order.
  app.get(
    '/products/lookup',
    {
      onRequest: app.auth.optional,
      schema: {
        tags: ['products'],
        summary: 'Several products by id in one call (drafts only with catalog:write)',
        description:
          'For a caller pricing several products at once (orders, a cart): one request instead ' +
          'of one per product. Unknown, deleted and (for most callers) draft ids are listed in ' +
          '`missing`, not an error.',
        security: optionalBearer,
        querystring: ProductLookupQuerySchema,
        response: { 200: ProductLookupSchema, 400: Problem, 401: Problem },
      },
    },
    async (request) =>
      products.lookup(request.query.ids.split(','), { includeDrafts: canSeeDrafts(request) }),
  );

  app.get(
    '/products/:id',
    {
      onRequest: app.auth.optional,
      config: { httpCache: PRODUCT_HTTP_CACHE },
      schema: {
        tags: ['products'],
        summary: 'Get one product (drafts only with catalog:write)',
        security: optionalBearer,
        params: ProductParamsSchema,
        response: { 200: ProductSchema, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => products.get(request.params.id, { includeDrafts: canSeeDrafts(request) }),
  );

  app.post(
    '/products',
    {
      // Both before body parsing: a caller without the permission learns nothing about the body.
      onRequest: [app.auth.required, app.auth.requirePermission('catalog:write')],
      schema: {
        tags: ['products'],
        summary: 'Create a product (needs catalog:write)',
        security: requiredBearer,
        body: CreateProductSchema,
        response: {
          201: ProductSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request, reply) => {
      const product = await products.create(request.body);
      return reply.code(201).header('location', `/v1/products/${product.id}`).send(product);
    },
  );

  app.patch(
    '/products/:id',
    {
      // Both before body parsing: a caller without the permission learns nothing about the body.
      onRequest: [app.auth.required, app.auth.requirePermission('catalog:write')],
      schema: {
        tags: ['products'],
        summary: 'Change some fields of a product (needs catalog:write)',
        description: '`attributes`, when sent, replaces the whole object.',
        security: requiredBearer,
        params: ProductParamsSchema,
        body: UpdateProductSchema,
        response: {
          200: ProductSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request) => products.update(request.params.id, request.body),
  );

  app.delete(
    '/products/:id',
    {
      // Both before body parsing: a caller without the permission learns nothing about the body.
      onRequest: [app.auth.required, app.auth.requirePermission('catalog:write')],
      schema: {
        tags: ['products'],
        summary: 'Delete a product (soft; needs catalog:write; repeating it is a 204 too)',
        security: requiredBearer,
        params: ProductParamsSchema,
        response: {
          204: Type.Null(),
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
        },
      },
    },
    async (request, reply) => {
      await products.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
