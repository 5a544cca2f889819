// HTTP routes for categories, version 2: the same service, a new representation. Only the
// list changed shape (a nested tree instead of a flat list linked by parentId); the other
// category routes have no v2 and stay at /v1. Registered under the /v2 prefix in app.ts.
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import { MAX_CATEGORY_DEPTH } from './categories.repository.ts';
import { CATEGORY_HTTP_CACHE } from './categories.routes.ts';
import { CategoryTreeSchema } from './categories.schemas.ts';
import type { CategoryService } from './categories.service.ts';

const Problem = Type.Ref('Problem');
// OpenAPI: `{}` marks the token as optional on public reads.
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];

export const categoryRoutesV2: RoutePlugin<{ categories: CategoryService }> = async (
  app,
  { categories },
) => {
  app.get(
    '/categories',
    {
      onRequest: app.auth.optional,
      config: { httpCache: CATEGORY_HTTP_CACHE },
      schema: {
        tags: ['categories v2'],
        summary: 'The category tree: roots by name, each with its children nested',
        description:
          'Replaces GET /v1/categories. Built from one query; the whole taxonomy in one ' +
          `response, at most ${MAX_CATEGORY_DEPTH + 1} levels deep (deeper nodes are left out).`,
        security: optionalBearer,
        response: { 200: CategoryTreeSchema, 401: Problem },
      },
    },
    async () => ({ items: await categories.tree() }),
  );
};
