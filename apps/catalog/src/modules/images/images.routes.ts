// HTTP routes for product images: validate, call the service, shape the reply.
// The list is public like the product (drafts only with catalog:write); writes need
// catalog:write, checked before the body is read.
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  ImageListSchema,
  ImageOrderSchema,
  ImageSchema,
  NewImageSchema,
  ProductImageParamsSchema,
  ProductImagesParamsSchema,
} from './images.schemas.ts';
import type { ImageService } from './images.service.ts';

const Problem = Type.Ref('Problem');
const optionalBearer: Record<string, string[]>[] = [{}, { bearerAuth: [] }];
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

const canSeeDrafts = (request: FastifyRequest) =>
  request.principal?.permissions.includes('catalog:write') ?? false;

// Like the product itself: the answer depends on the token (drafts), so it varies on it.
const IMAGES_HTTP_CACHE = {
  maxAgeSec: 60,
  staleWhileRevalidateSec: 300,
  vary: ['Authorization'],
};

export const imageRoutes: RoutePlugin<{ images: ImageService }> = async (app, { images }) => {
  const writeGuard = [app.auth.required, app.auth.requirePermission('catalog:write')];

  app.get(
    '/products/:id/images',
    {
      onRequest: app.auth.optional,
      config: { httpCache: IMAGES_HTTP_CACHE },
      schema: {
        tags: ['products'],
        summary: "A product's images in display order",
        security: optionalBearer,
        params: ProductImagesParamsSchema,
        response: { 200: ImageListSchema, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => ({
      items: await images.list(request.params.id, { includeDrafts: canSeeDrafts(request) }),
    }),
  );

  app.post(
    '/products/:id/images',
    {
      onRequest: writeGuard,
      schema: {
        tags: ['products'],
        summary: 'Add an image after the last one (needs catalog:write)',
        security: requiredBearer,
        params: ProductImagesParamsSchema,
        body: NewImageSchema,
        response: {
          201: ImageSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request, reply) => {
      const image = await images.add(request.params.id, request.body);
      return reply.code(201).send(image);
    },
  );

  app.put(
    '/products/:id/images/order',
    {
      onRequest: writeGuard,
      schema: {
        tags: ['products'],
        summary: 'Reorder all of a product’s images (needs catalog:write)',
        security: requiredBearer,
        params: ProductImagesParamsSchema,
        body: ImageOrderSchema,
        response: {
          200: ImageListSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          422: Problem,
        },
      },
    },
    async (request) => ({ items: await images.reorder(request.params.id, request.body.imageIds) }),
  );

  app.delete(
    '/products/:id/images/:imageId',
    {
      onRequest: writeGuard,
      schema: {
        tags: ['products'],
        summary: 'Remove an image (needs catalog:write)',
        security: requiredBearer,
        params: ProductImageParamsSchema,
        response: { 204: Type.Null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await images.remove(request.params.id, request.params.imageId);
      return reply.code(204).send(null);
    },
  );
};
