// buildApp(config): the auth service, assembled top-down; authService is also a plain
// plugin so the services can later share one process (ARC-02).

import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from './config.ts';
import { createAuthDb } from './db/client.ts';
import { roleRoutes } from './modules/roles/roles.routes.ts';
import { roleService } from './modules/roles/roles.service.ts';

export const authService: FastifyPluginAsync = async (app) => {
  const db = createAuthDb(app.pg);
  await app.register(roleRoutes, { prefix: '/v1', roles: roleService(db) });
};

export async function buildApp(config: Config): Promise<ServiceInstance> {
  return createService({
    name: 'auth',
    version: '0.1.0',
    description: 'Identity: users, credentials, tokens and roles.',
    config,
    routes: authService,
  });
}
