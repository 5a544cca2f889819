// HTTP routes for shipping methods.
import type { RoutePlugin } from '@meridian/service-kit';
import {
  ShippingCodeParamsSchema,
  ShippingMethodInputSchema,
  ShippingMethodListSchema,
  ShippingMethodSchema,
} from './shipping.schemas.ts';
import type { ShippingService } from './shipping.service.ts';

export const shippingRoutes: RoutePlugin<{ shipping: ShippingService }> = async (
  app,
  { shipping },
) => {
  app.get(
    '/shipping-methods',
    {
      schema: {
        tags: ['shipping'],
        summary: 'List the shipping methods a checkout can choose, cheapest first',
        response: { 200: ShippingMethodListSchema },
      },
    },
    async () => ({ items: await shipping.listActive() }),
  );

  app.put(
    '/shipping-methods/:code',
    {
      // Staff-only, checked before the body is even parsed.
      onRequest: [app.auth.required, app.auth.requirePermission('orders:manage')],
      schema: {
        tags: ['shipping'],
        summary: 'Create or replace a shipping method (needs orders:manage)',
        security: [{ bearerAuth: [] }],
        params: ShippingCodeParamsSchema,
        body: ShippingMethodInputSchema,
        response: { 200: ShippingMethodSchema, 201: ShippingMethodSchema },
      },
    },
    async (request, reply) => {
      const { method, created } = await shipping.put(request.params.code, request.body);
      if (created) reply.code(201).header('location', `/v1/shipping-methods/${method.code}`);
      return method;
    },
  );
};
