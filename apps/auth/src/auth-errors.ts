// The auth service's error catalogue: one place a reader (or a client author) finds every
// code this service answers with. Each becomes problem+json through the kit's handler.
import { AppError } from '@meridian/errors';

// One message for unknown email and wrong password alike: no account enumeration.
export const invalidCredentials = () =>
  new AppError({
    status: 401,
    code: 'invalid-credentials',
    detail: 'Email or password is incorrect.',
  });

export const loginLocked = (retryAfterSec: number) =>
  new AppError({
    status: 429,
    code: 'login-locked',
    detail: `Too many failed logins for this account; try again in ${retryAfterSec} s.`,
    headers: { 'retry-after': String(retryAfterSec) },
  });

export const weakPassword = (field: string, problem: string) =>
  new AppError({
    status: 400,
    code: 'weak-password',
    detail: `The password ${problem}.`,
    errors: [{ in: 'body', pointer: `/${field}`, detail: problem }],
  });

export const emailTaken = () =>
  new AppError({
    status: 409,
    code: 'email-taken',
    detail: 'An account with this email already exists.',
  });

// RFC 6749 §5.2 names; one code for every bad grant, so a probe learns nothing about which
// part was wrong.
export const invalidGrant = (detail = 'The refresh token is invalid, expired or revoked.') =>
  new AppError({ status: 400, code: 'invalid-grant', detail });

export const invalidClient = () =>
  new AppError({
    status: 401,
    code: 'invalid-client',
    detail: 'Client authentication failed.',
    headers: { 'www-authenticate': 'Basic realm="meridian"' },
  });

export const invalidScope = (scope: string) =>
  new AppError({
    status: 400,
    code: 'invalid-scope',
    detail: `The client may not request scope "${scope}".`,
  });

export const csrfRequired = () =>
  new AppError({
    status: 403,
    code: 'csrf-token-invalid',
    detail: 'A cookie-authenticated unsafe request needs a valid X-CSRF-Token header.',
  });
