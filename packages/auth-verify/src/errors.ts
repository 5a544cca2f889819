// The four ways authentication can fail, as AppErrors the problem+json handler renders.
// WWW-Authenticate follows RFC 6750 §3 so a client can tell "log in", "refresh your token"
// and "you may not do this" apart without reading prose.
import { AppError } from '@meridian/errors';

/** Seconds a client should wait before retrying when the key set cannot be fetched. */
export const RETRY_AFTER_SEC = 5;

/** No credentials, or not Bearer ones: the client must authenticate. */
export function unauthorized(): AppError {
  return new AppError({
    status: 401,
    code: 'unauthorized',
    detail: 'This endpoint needs a Bearer access token.',
    headers: { 'www-authenticate': 'Bearer realm="meridian"' },
  });
}

/**
 * A Bearer token that did not verify. One generic detail for every reason, so the response
 * is no oracle for an attacker probing which check failed, and the token is never echoed;
 * the jose error stays on `cause` for debugging.
 */
export function invalidToken(cause?: unknown): AppError {
  return new AppError({
    status: 401,
    code: 'invalid-token',
    detail: 'The access token is invalid or expired.',
    headers: { 'www-authenticate': 'Bearer error="invalid_token"' },
    cause,
  });
}

/** Authenticated, but some required permission is missing. */
export function forbidden(missing: readonly string[]): AppError {
  const list = missing.join(', ');
  return new AppError({
    status: 403,
    code: 'forbidden',
    detail: `Missing permission${missing.length === 1 ? '' : 's'}: ${list}.`,
    headers: { 'www-authenticate': 'Bearer error="insufficient_scope"' },
  });
}

/**
 * The signing keys could not be fetched (timeout, network error, bad response). The token
 * may well be fine; this is our outage, not the client's mistake, so 503 with Retry-After.
 */
export function authUnavailable(cause?: unknown): AppError {
  return new AppError({
    status: 503,
    code: 'auth-unavailable',
    detail: 'Access tokens cannot be checked right now; try again shortly.',
    headers: { 'retry-after': String(RETRY_AFTER_SEC) },
    cause,
  });
}
