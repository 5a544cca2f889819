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

const Problem = Type.Ref('Problem');
// OpenAPI: `{}` marks the token as optional on public reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

export const categoryRoutes: RoutePlugin<{ categories: CategoryService }> = async (
  app,
  { categories },
) => {
  app.get(
    '/categories',
    {
      onRequest: app.auth.optional,
      schema: {
        tags: ['categories'],
        summary: 'List all categories (a flat list; parentId links the tree)',
        security: optionalBearer,
        response: { 200: CategoryListSchema, 401: Problem },
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
