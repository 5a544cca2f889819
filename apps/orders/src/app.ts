// buildApp(config): the orders service, assembled top-down; ordersService is also a plain
// plugin so the services can later share one process (ARC-02).

import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from './config.ts';
import { createOrdersDb } from './db/client.ts';
import { shippingRoutes } from './modules/shipping/shipping.routes.ts';
import { shippingService } from './modules/shipping/shipping.service.ts';

export const ordersService: FastifyPluginAsync = async (app) => {
  const db = createOrdersDb(app.pg);
  await app.register(shippingRoutes, { prefix: '/v1', shipping: shippingService(db) });
};

export async function buildApp(config: Config): Promise<ServiceInstance> {
  return createService({
    name: 'orders',
    version: '0.1.0',
    description: 'Carts, orders and payments.',
    config,
    routes: ordersService,
  });
}
