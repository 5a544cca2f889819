// HTTP routes for categories: validate, call the service, shape the reply. Nothing more.
// Reads are public but verify a token if one is sent; writes need catalog:write.
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import { MAX_CATEGORY_DEPTH } from './categories.repository.ts';
import {
  CategoryListSchema,
  CategoryParamsSchema,
  CategorySchema,
  CreateCategorySchema,
  UpdateCategorySchema,
} from './categories.schemas.ts';
import type { CategoryService } from './categories.service.ts';
import { deprecated, deprecationHeaderDocs } from './deprecation.ts';

const Problem = Type.Ref('Problem');
// OpenAPI: `{}` marks the token as optional on public reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

// HTTP caching on the public reads (the kit's http-cache.ts): a strong ETag, 304 on
// If-None-Match, `public` for a CDN (the kit makes any answer to a request with Authorization
// `private`). A category reads the same for every caller, so nothing varies on Authorization.
// Categories change rarely, but a client or CDN may show the old tree for up to
// max-age + stale-while-revalidate after a write: 6 minutes, as for a product.
export const CATEGORY_HTTP_CACHE = { maxAgeSec: 60, staleWhileRevalidateSec: 300 };

// The flat list is superseded by the tree at /v2/categories (issue #4). It keeps answering,
// unchanged, until the sunset; the dates are fixed here so every replica sends the same ones.
const listDeprecation = deprecated({
  deprecatedAt: new Date('2026-11-28T00:00:00Z'),
  sunsetAt: new Date('2027-06-30T00:00:00Z'),
  successor: '/v2/categories',
});
// Same body as before; the schema only adds the header documentation for OpenAPI.
const DeprecatedListSchema = Type.Object(CategoryListSchema.properties, {
  headers: deprecationHeaderDocs,
});

export const categoryRoutes: RoutePlugin<{ categories: CategoryService }> = async (
  app,
  { categories },
) => {
  app.get(
    '/categories',
    {
      onRequest: app.auth.optional,
      onSend: listDeprecation,
      config: { httpCache: CATEGORY_HTTP_CACHE },
      schema: {
        tags: ['categories'],
        summary: 'List all categories (a flat list; parentId links the tree)',
        description:
          'Deprecated: use GET /v2/categories, which returns the tree nested. Answers with ' +
          'Deprecation, Sunset and Link (rel="successor-version") headers until its sunset.',
        deprecated: true,
        security: optionalBearer,
        response: { 200: DeprecatedListSchema, 401: Problem },
      },
    },
    async () => ({ items: await categories.list() }),
  );

  app.get(
    '/categories/:id',
    {
      onRequest: app.auth.optional,
      config: { httpCache: CATEGORY_HTTP_CACHE },
      schema: {
        tags: ['categories'],
        summary: 'Get one category',
        security: optionalBearer,
        params: CategoryParamsSchema,
        response: { 200: CategorySchema, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => categories.get(request.params.id),
  );

  app.get(
    '/categories/:id/breadcrumb',
    {
      onRequest: app.auth.optional,
      config: { httpCache: CATEGORY_HTTP_CACHE },
      schema: {
        tags: ['categories'],
        summary: 'The path from the root down to a category, itself last',
        security: optionalBearer,
        params: CategoryParamsSchema,
        response: { 200: CategoryListSchema, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => ({ items: await categories.breadcrumb(request.params.id) }),
  );

  app.post(
    '/categories',
    {
      // Both before body parsing: a caller without the permission learns nothing about the body.
      onRequest: [app.auth.required, app.auth.requirePermission('catalog:write')],
      schema: {
        tags: ['categories'],
        summary: 'Create a category (needs catalog:write)',
        description:
          '422 when the parent does not exist (`unknown-parent`) or is already at the ' +
          `deepest level, ${MAX_CATEGORY_DEPTH} below its root (\`category-too-deep\`); ` +
          '409 `slug-taken`.',
        security: requiredBearer,
        body: CreateCategorySchema,
        response: {
          201: CategorySchema,
          400: Problem,
          401: Problem,
          403: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request, reply) => {
      const category = await categories.create(request.body);
      return reply.code(201).header('location', `/v1/categories/${category.id}`).send(category);
    },
  );

  app.patch(
    '/categories/:id',
    {
      // Both before body parsing: a caller without the permission learns nothing about the body.
      onRequest: [app.auth.required, app.auth.requirePermission('catalog:write')],
      schema: {
        tags: ['categories'],
        summary: 'Rename, re-slug or move a category (needs catalog:write)',
        description:
          'A new `parentId` moves the category with its whole subtree; `null` makes it a ' +
          'root. 422 when the parent does not exist (`unknown-parent`), is the category itself ' +
          'or below it (`category-cycle`), or would nest the subtree deeper than ' +
          `${MAX_CATEGORY_DEPTH} levels (\`category-too-deep\`); 409 \`slug-taken\`.`,
        security: requiredBearer,
        params: CategoryParamsSchema,
        body: UpdateCategorySchema,
        response: {
          200: CategorySchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request) => categories.update(request.params.id, request.body),
  );

  app.delete(
    '/categories/:id',
    {
      // Both before body parsing: a caller without the permission learns nothing about the body.
      onRequest: [app.auth.required, app.auth.requirePermission('catalog:write')],
      schema: {
        tags: ['categories'],
        summary: 'Delete an empty category (needs catalog:write)',
        description:
          'Only a category with no subcategories and no products, deleted products included ' +
          '(they keep their category for the orders that name them): otherwise 409 ' +
          '`category-has-children` or `category-has-products`.',
        security: requiredBearer,
        params: CategoryParamsSchema,
        response: {
          204: Type.Null(),
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request, reply) => {
      await categories.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
