// buildApp(config): the catalog service, assembled top-down. It never listens (server.ts
// does), so tests build it and use inject(). catalogService is also a plain Fastify plugin,
// so the same service can later run inside one process beside the others (ARC-02).

import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from './config.ts';
import { createCatalogDb } from './db/client.ts';
import { categoryRoutes } from './modules/categories/categories.routes.ts';
import { categoryService } from './modules/categories/categories.service.ts';
import { productRoutes } from './modules/products/products.routes.ts';
import { productService } from './modules/products/products.service.ts';

export const catalogService: FastifyPluginAsync = async (app) => {
  const db = createCatalogDb(app.pg);
  await app.register(categoryRoutes, { prefix: '/v1', categories: categoryService(db) });
  await app.register(productRoutes, { prefix: '/v1', products: productService(db) });
};

export async function buildApp(config: Config): Promise<ServiceInstance> {
  return createService({
    name: 'catalog',
    version: '0.1.0',
    description: 'Products, categories and inventory.',
    config,
    routes: catalogService,
  });
}
