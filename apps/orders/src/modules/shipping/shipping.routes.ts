// HTTP routes for shipping methods.
import type { RoutePlugin } from '@meridian/service-kit';
import { ShippingMethodListSchema } from './shipping.schemas.ts';
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
};
