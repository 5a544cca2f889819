// The inventory module's error catalog: every code its routes can answer with, besides the
// kit's (validation-failed, unauthorized, forbidden). See docs/errors.md.
import { AppError, notFound } from '@meridian/errors';
import type { ReservationStatus } from '../../db/schema/index.ts';

export const productNotFound = (id: string) => notFound(`Product ${id} does not exist.`);

/** Unknown, or another client's: a caller cannot tell, and learns nothing about other keys. */
export const reservationNotFound = (id: string) => notFound(`Reservation ${id} does not exist.`);

/** Raised by the service: a schema cannot say "no two items share productId". */
export const duplicateLine = (index: number) =>
  new AppError({
    status: 400,
    code: 'validation-failed',
    title: 'Validation failed',
    detail: 'Invalid request body; see errors.',
    errors: [
      {
        in: 'body',
        pointer: `/lines/${index}/productId`,
        detail: 'is already in another line; send one line per product',
      },
    ],
  });

export const unknownProducts = (lines: { index: number; productId: string }[]) =>
  new AppError({
    status: 422,
    code: 'unknown-product',
    detail: `Not for sale (unknown, inactive or deleted): ${lines.map((l) => l.productId).join(', ')}.`,
    errors: lines.map((l) => ({
      in: 'body',
      pointer: `/lines/${l.index}/productId`,
      detail: 'is not a product for sale',
    })),
  });

/** Nothing was held: the transaction that tried rolled back. `productIds` lists the short lines. */
export const insufficientStock = (productIds: string[]) =>
  new AppError({
    status: 409,
    code: 'insufficient-stock',
    detail: `Not enough stock for: ${productIds.join(', ')}. Nothing was reserved.`,
    extensions: { productIds },
  });

export const reservationKeyReused = (reservationKey: string) =>
  new AppError({
    status: 422,
    code: 'reservation-key-reused',
    detail: `The reservation key "${reservationKey}" was already used for other lines; use a new key for a new reservation.`,
    errors: [{ in: 'body', pointer: '/reservationKey', detail: 'was used for other lines' }],
  });

export const reservationNotHeld = (id: string, status: ReservationStatus, action: string) =>
  new AppError({
    status: 409,
    code: 'reservation-not-held',
    detail: `Reservation ${id} is ${status}; only a held reservation can be ${action}.`,
    // Not `status`: that member is the problem document's HTTP status (RFC 9457).
    extensions: { reservationStatus: status },
  });

export const belowReserved = (productId: string, reserved: number) =>
  new AppError({
    status: 409,
    code: 'below-reserved',
    detail: `Product ${productId} has ${reserved} units reserved; on hand cannot go below that until they are confirmed, released or expired.`,
    extensions: { reserved },
  });
