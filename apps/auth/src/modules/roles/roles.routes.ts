// HTTP routes for roles.
import type { RoutePlugin } from '@meridian/service-kit';
import { RoleListSchema } from './roles.schemas.ts';
import type { RoleService } from './roles.service.ts';

export const roleRoutes: RoutePlugin<{ roles: RoleService }> = async (app, { roles }) => {
  app.get(
    '/roles',
    {
      schema: {
        tags: ['roles'],
        summary: 'List the roles a user can hold',
        response: { 200: RoleListSchema },
      },
    },
    async () => ({ items: await roles.list() }),
  );
};
