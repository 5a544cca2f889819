// HTTP routes for stock and reservations: validate, call the service, shape the reply.
// Reservations are service-to-service (orders holds stock during checkout) and need the
// inventory:reserve scope; stock counts are staff work and need catalog:write.
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import {
  CreateReservationSchema,
  ReservationParamsSchema,
  ReservationSchema,
  SetStockSchema,
  StaffStockSchema,
  StockParamsSchema,
} from './inventory.schemas.ts';
import type { InventoryService } from './inventory.service.ts';

const Problem = Type.Ref('Problem');
const requiredBearer: Record<string, string[]>[] = [{ bearerAuth: [] }];

/**
 * Whose reservations these are: the calling service's client id. A user token holding the
 * scope (no role grants it) is keyed by its subject instead.
 */
function ownerOf(request: FastifyRequest): string {
  const principal = request.principal;
  // app.auth.required ran in onRequest, so a principal is always there.
  if (!principal) throw new Error('no principal on an authenticated route');
  return principal.clientId ?? principal.subject;
}

export const inventoryRoutes: RoutePlugin<{ inventory: InventoryService }> = async (
  app,
  { inventory },
) => {
  // Both before body parsing: a caller without the scope learns nothing about the body.
  const reserveScope = [app.auth.required, app.auth.requirePermission('inventory:reserve')];
  const writeCatalog = [app.auth.required, app.auth.requirePermission('catalog:write')];

  // Exact counts are staff data (they reveal sales and checkout traffic), so reading them
  // takes catalog:write like changing them; GET returns what PUT sets, one representation.
  // What shoppers need, in stock or not, belongs on the product read and listing.
  app.get(
    '/products/:id/inventory',
    {
      onRequest: writeCatalog,
      schema: {
        tags: ['inventory'],
        summary:
          "A product's stock: on hand, reserved, available, low-stock threshold (needs catalog:write)",
        security: requiredBearer,
        params: StockParamsSchema,
        response: { 200: StaffStockSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => inventory.getStock(request.params.id),
  );

  app.put(
    '/products/:id/inventory',
    {
      onRequest: writeCatalog,
      schema: {
        tags: ['inventory'],
        summary: 'Set the units on hand after a count or a delivery (needs catalog:write)',
        description:
          'Refused with 409 `below-reserved` when fewer than the reserved units. ' +
          '`lowStockThreshold` is optional; a count that takes available below it emits an ' +
          '`inventory.low-stock` event (docs/inventory.md).',
        security: requiredBearer,
        params: StockParamsSchema,
        body: SetStockSchema,
        response: {
          200: StaffStockSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request) => inventory.setStock(request.params.id, request.body),
  );

  app.post(
    '/inventory/reservations',
    {
      onRequest: reserveScope,
      schema: {
        tags: ['inventory'],
        summary: 'Hold stock for several lines, all or nothing (needs inventory:reserve)',
        description:
          'Idempotent by `reservationKey`: the same key with the same lines returns the first ' +
          'reservation (200) and holds nothing more; with other lines it is a 422. A short ' +
          'line is a 409 `insufficient-stock` naming the short products, and nothing is held.',
        security: requiredBearer,
        body: CreateReservationSchema,
        response: {
          200: ReservationSchema,
          201: ReservationSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          409: Problem,
          422: Problem,
        },
      },
    },
    async (request, reply) => {
      const { reservation, created } = await inventory.reserve(request.body, ownerOf(request));
      if (!created) return reservation;
      return reply
        .code(201)
        .header('location', `/v1/inventory/reservations/${reservation.id}`)
        .send(reservation);
    },
  );

  app.get(
    '/inventory/reservations/:id',
    {
      onRequest: reserveScope,
      schema: {
        tags: ['inventory'],
        summary: 'Get one of your reservations (needs inventory:reserve)',
        security: requiredBearer,
        params: ReservationParamsSchema,
        response: {
          200: ReservationSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
        },
      },
    },
    async (request) => inventory.get(request.params.id, ownerOf(request)),
  );

  app.post(
    '/inventory/reservations/:id/confirm',
    {
      onRequest: reserveScope,
      schema: {
        tags: ['inventory'],
        summary: 'Confirm a held reservation: its units leave stock (needs inventory:reserve)',
        description:
          'Confirming a confirmed reservation again is a 200. A released or expired one (or a ' +
          'held one past `expiresAt`, which this expires) is a 409 `reservation-not-held`.',
        security: requiredBearer,
        params: ReservationParamsSchema,
        response: {
          200: ReservationSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request) => inventory.confirm(request.params.id, ownerOf(request)),
  );

  app.post(
    '/inventory/reservations/:id/release',
    {
      onRequest: reserveScope,
      schema: {
        tags: ['inventory'],
        summary:
          'Release a held reservation: its units are available again (needs inventory:reserve)',
        description:
          'Releasing a released or expired reservation again is a 200; a confirmed one is a ' +
          '409 `reservation-not-held`.',
        security: requiredBearer,
        params: ReservationParamsSchema,
        response: {
          200: ReservationSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request) => inventory.release(request.params.id, ownerOf(request)),
  );
};
