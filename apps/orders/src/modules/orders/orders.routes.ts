// HTTP routes for orders: checkout (with an Idempotency-Key), history, one order, cancel and
// refund. Customers see only their own orders: another user's id is a 404, the same answer
// as an id that does not exist. Staff with orders:read:any see all; orders:manage may cancel
// or refund any order where its status allows.
import { requirePrincipal } from '@meridian/auth-verify';
import { AppError } from '@meridian/errors';
import { type IdempotencyHooks, parseIdempotencyKey } from '@meridian/idempotency';
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  CreateOrderSchema,
  ListOrdersQuerySchema,
  OrderListSchema,
  OrderParamsSchema,
  OrderSchema,
} from './orders.schemas.ts';
import type { OrdersService, Viewer } from './orders.service.ts';

const Problem = Type.Ref('Problem');
const bearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

function viewerOf(request: FastifyRequest): Viewer {
  const p = requirePrincipal(request);
  return { userId: p.userId, canReadAny: p.permissions.includes('orders:read:any') };
}

export const orderRoutes: RoutePlugin<{
  orders: OrdersService;
  idempotent: IdempotencyHooks;
}> = async (app, { orders, idempotent }) => {
  // Orders are a customer's: a service principal has no cart and no orders of its own.
  const userOnly = async (request: FastifyRequest) => {
    if (requirePrincipal(request).kind !== 'user') {
      throw new AppError({
        status: 403,
        code: 'users-only',
        detail: 'Only a signed-in user can place orders.',
      });
    }
  };

  app.post(
    '/orders',
    {
      onRequest: app.auth.required,
      preHandler: [userOnly, idempotent.preHandler],
      onSend: idempotent.onSend,
      schema: {
        tags: ['orders'],
        summary: 'Check out the cart: price it, hold the stock, start the payment',
        description:
          'Requires an `Idempotency-Key` header. A retry with the same key and body replays ' +
          'the first answer (`Idempotent-Replayed: true`); the same key with another body is ' +
          'a 422; while the first is still running, a 409. The order answers 201 in ' +
          '`awaiting_payment`; the outcome arrives by webhook and is pushed on ' +
          '`GET /v1/orders/{id}/events`.',
        security: bearer,
        headers: Type.Object({
          'idempotency-key': Type.String({ minLength: 1, maxLength: 257 }),
        }),
        body: CreateOrderSchema,
        response: {
          201: OrderSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          409: Problem,
          422: Problem,
          503: Problem,
        },
      },
    },
    async (request, reply) => {
      const principal = requirePrincipal(request);
      // The key as the key store reads it (`"k"` and `k` are one key), for the order's backstop.
      const key = parseIdempotencyKey(request.headers['idempotency-key']);
      const { status, order } = await orders.placeOrder(
        principal.userId as string,
        request.body,
        key,
        request.id,
      );
      return reply.code(status).header('location', `/v1/orders/${order.id}`).send(order);
    },
  );

  app.get(
    '/orders',
    {
      onRequest: app.auth.required,
      schema: {
        tags: ['orders'],
        summary: 'Your orders, newest first (all=true: everyone’s, needs orders:read:any)',
        security: bearer,
        querystring: ListOrdersQuerySchema,
        response: { 200: OrderListSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => orders.list(viewerOf(request), request.query),
  );

  app.get(
    '/orders/:id',
    {
      onRequest: app.auth.required,
      schema: {
        tags: ['orders'],
        summary: 'One order (yours, or any with orders:read:any)',
        security: bearer,
        params: OrderParamsSchema,
        response: { 200: OrderSchema, 400: Problem, 401: Problem, 404: Problem },
      },
    },
    async (request) => orders.getForViewer(request.params.id, viewerOf(request)),
  );

  app.post(
    '/orders/:id/cancel',
    {
      onRequest: app.auth.required,
      schema: {
        tags: ['orders'],
        summary: 'Cancel an order before it is paid; its stock is released',
        security: bearer,
        params: OrderParamsSchema,
        response: { 200: OrderSchema, 400: Problem, 401: Problem, 404: Problem, 409: Problem },
      },
    },
    async (request) => {
      const p = requirePrincipal(request);
      return orders.cancel(
        request.params.id,
        { userId: p.userId, canReadAny: p.permissions.includes('orders:manage') },
        request.id,
      );
    },
  );

  app.post(
    '/orders/:id/refund',
    {
      onRequest: [app.auth.required, app.auth.requirePermission('orders:manage')],
      schema: {
        tags: ['orders'],
        summary: 'Refund a paid order in full (needs orders:manage)',
        security: bearer,
        params: OrderParamsSchema,
        response: {
          200: OrderSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
          503: Problem,
        },
      },
    },
    async (request) => orders.refund(request.params.id),
  );
};
