// HTTP routes for the signed-in user's cart: validate, call the service, shape the reply.
// The cart is the token's user's; no route takes a user or cart id, so none can name another's.
import { AppError } from '@meridian/errors';
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { CartItemParamsSchema, CartSchema, SetQuantitySchema } from './carts.schemas.ts';
import type { CartsService } from './carts.service.ts';

const Problem = Type.Ref('Problem');
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const userRequired = (detail: string) =>
  new AppError({ status: 403, code: 'user-required', detail });

/**
 * onRequest, after app.auth.required: a cart belongs to a user account, so a service token
 * (client credentials) is refused, and so is a subject that is not an account id (a uuid).
 */
async function requireUser(request: FastifyRequest): Promise<void> {
  const principal = request.principal;
  if (principal?.kind !== 'user') {
    throw userRequired('The cart belongs to a user; a service token cannot use it.');
  }
  if (principal.userId === null || !UUID.test(principal.userId)) {
    throw userRequired('The token’s subject is not a user account id.');
  }
}

/** The cart's owner, once requireUser has run. */
const owner = (request: FastifyRequest): string => request.principal?.userId as string;

export const cartRoutes: RoutePlugin<{ carts: CartsService }> = async (app, { carts }) => {
  // Both before the body is parsed: a caller who may not use a cart learns nothing from it.
  const userGuard = [app.auth.required, requireUser];

  app.get(
    '/cart',
    {
      onRequest: userGuard,
      schema: {
        tags: ['cart'],
        summary: "The signed-in user's cart, priced by catalog now",
        security: requiredBearer,
        response: { 200: CartSchema, 401: Problem, 403: Problem, 503: Problem },
      },
    },
    async (request) => carts.get(owner(request), request.id),
  );

  app.put(
    '/cart/items/:productId',
    {
      onRequest: userGuard,
      schema: {
        tags: ['cart'],
        summary: "Set a product's quantity in the cart (adds the line if it is not there)",
        security: requiredBearer,
        params: CartItemParamsSchema,
        body: SetQuantitySchema,
        response: {
          200: CartSchema,
          201: CartSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          422: Problem,
          503: Problem,
        },
      },
    },
    async (request, reply) => {
      const { cart, created } = await carts.setQuantity(
        owner(request),
        request.params.productId,
        request.body.quantity,
        request.id,
      );
      return reply.code(created ? 201 : 200).send(cart);
    },
  );

  app.delete(
    '/cart/items/:productId',
    {
      onRequest: userGuard,
      schema: {
        tags: ['cart'],
        summary: 'Remove a product from the cart',
        security: requiredBearer,
        params: CartItemParamsSchema,
        response: { 204: Type.Null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await carts.remove(owner(request), request.params.productId);
      return reply.code(204).send(null);
    },
  );

  app.delete(
    '/cart',
    {
      onRequest: userGuard,
      schema: {
        tags: ['cart'],
        summary: 'Empty the cart',
        security: requiredBearer,
        response: { 204: Type.Null(), 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      await carts.empty(owner(request));
      return reply.code(204).send(null);
    },
  );
};
