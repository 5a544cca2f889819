// HTTP routes for categories: validate, call the service, shape the reply. Nothing more.
// Reads are public but verify a token if one is sent; writes need catalog:write.
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import {
  CategoryListSchema,
  CategoryParamsSchema,
  CategorySchema,
  CreateCategorySchema,
} from './categories.schemas.ts';
import type { CategoryService } from './categories.service.ts';
import { deprecated, deprecationHeaderDocs } from './deprecation.ts';

const Problem = Type.Ref('Problem');
// OpenAPI: `{}` marks the token as optional on public reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

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
};
