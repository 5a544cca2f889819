// How the auth service's own routes learn who is calling: a Bearer access token (verified
// by @meridian/auth-verify against this service's own keys, no HTTP round trip) or, for
// browsers, the session cookie. A cookie rides along on cross-site requests, so an unsafe
// cookie-authenticated request must also carry the session's CSRF token (synchronizer
// token pattern, written by hand because it is the concept being taught).
import { timingSafeEqual } from 'node:crypto';
import { unauthorized } from '@meridian/auth-verify';
import { AppError } from '@meridian/errors';
import type { FastifyRequest } from 'fastify';
import { csrfRequired } from '../auth-errors.ts';
import type { Grants } from '../modules/roles/roles.repository.ts';
import type { Session, SessionStore } from '../modules/sessions/session-store.ts';
import { readSessionCookie } from './session-cookie.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The cookie session behind this request, when it was cookie-authenticated. */
    session: Session | null;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

export function createAuthenticator(deps: {
  bearer: (request: FastifyRequest) => Promise<void>;
  sessions: SessionStore;
  grantsOf: (userId: string) => Promise<Grants>;
}) {
  /** onRequest: a Bearer token or a session cookie (with CSRF on unsafe methods). */
  async function user(request: FastifyRequest): Promise<void> {
    if (request.headers.authorization) {
      await deps.bearer(request);
    } else {
      const token = readSessionCookie(request);
      const session = token ? await deps.sessions.get(token) : null;
      if (!session) throw unauthorized();
      if (!SAFE_METHODS.has(request.method)) {
        const sent = request.headers['x-csrf-token'];
        if (typeof sent !== 'string' || !sameSecret(sent, session.csrfToken)) throw csrfRequired();
      }
      const grants = await deps.grantsOf(session.userId);
      request.session = session;
      request.principal = {
        kind: 'user',
        subject: session.userId,
        userId: session.userId,
        clientId: null,
        roles: grants.roles,
        permissions: grants.permissions,
        tokenId: `session:${session.id}`,
        expiresAt: Math.floor(session.expiresAt / 1000),
      };
    }
    if (request.principal?.kind !== 'user') {
      throw new AppError({
        status: 403,
        code: 'user-required',
        detail: 'This route acts on a user account; a service token cannot call it.',
      });
    }
  }

  /** onRequest: only a session cookie will do (routes that manage the session itself). */
  async function session(request: FastifyRequest): Promise<void> {
    if (request.headers.authorization) {
      throw new AppError({
        status: 400,
        code: 'session-required',
        detail: 'This route works on the cookie session; send the cookie, not a Bearer token.',
      });
    }
    await user(request);
  }

  return { user, session };
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
