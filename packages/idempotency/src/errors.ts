// The problems this package answers with, as AppErrors: the kit's handler renders them as
// RFC 9457 problem+json like every other error. Codes are stable; clients switch on them.
import { AppError } from '@meridian/errors';

export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
export const REPLAYED_HEADER = 'idempotent-replayed';
/** Longest key accepted, in characters (a UUID is 36). */
export const MAX_KEY_LENGTH = 255;

export const keyRequired = () =>
  new AppError({
    status: 400,
    code: 'idempotency-key-required',
    detail:
      'This request needs an Idempotency-Key header: a unique value, such as a UUID, reused only to retry the same request.',
  });

export const keyInvalid = (why: string) =>
  new AppError({
    status: 400,
    code: 'idempotency-key-invalid',
    detail: `The Idempotency-Key header is invalid: ${why}.`,
  });

export const keyReused = () =>
  new AppError({
    status: 422,
    code: 'idempotency-key-reused',
    detail:
      'This Idempotency-Key was already used for a different request; use a new key for a new request.',
  });

export const keyInFlight = (retryAfterSeconds: number) =>
  new AppError({
    status: 409,
    code: 'idempotency-key-in-flight',
    detail: `A request with this Idempotency-Key is still being processed; retry after ${retryAfterSeconds} s to get its response.`,
    headers: { 'retry-after': String(retryAfterSeconds) },
  });
