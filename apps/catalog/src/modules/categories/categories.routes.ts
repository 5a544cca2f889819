// HTTP routes for categories: validate, call the service, shape the reply. Nothing more.
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import { CategoryListSchema, CategoryParamsSchema, CategorySchema } from './categories.schemas.ts';
import type { CategoryService } from './categories.service.ts';

const Problem = Type.Ref('Problem');

export const categoryRoutes: RoutePlugin<{ categories: CategoryService }> = async (
  app,
  { categories },
) => {
  app.get(
    '/categories',
    {
      schema: {
        tags: ['categories'],
        summary: 'List all categories (a flat list; parentId links the tree)',
        response: { 200: CategoryListSchema },
      },
    },
    async () => ({ items: await categories.list() }),
  );

  app.get(
    '/categories/:id',
    {
      schema: {
        tags: ['categories'],
        summary: 'Get one category',
        params: CategoryParamsSchema,
        response: { 200: CategorySchema, 400: Problem, 404: Problem },
      },
    },
    async (request) => categories.get(request.params.id),
  );
};
