// Cookie sessions for browsers: log in (sets the cookie), look at and end your sessions, and
// exchange the cookie for a short access JWT to call the other services with.
import { notFound } from '@meridian/errors';
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../../http/authenticate.ts';
import {
  type CookieSecureMode,
  clearSessionCookie,
  readSessionCookie,
  setSessionCookie,
} from '../../http/session-cookie.ts';
import type { CredentialService } from '../credentials/credentials.service.ts';
import type { Grants } from '../roles/roles.repository.ts';
import type { AccessTokenIssuer } from '../tokens/access-tokens.ts';
import type { Session, SessionStore } from './session-store.ts';
import {
  CurrentSessionSchema,
  ExchangedTokenSchema,
  SessionIdParamsSchema,
  SessionListSchema,
  SessionLoginBodySchema,
} from './sessions.schemas.ts';

const iso = (ms: number) => new Date(ms).toISOString();
const view = (s: Session, currentId: string | undefined) => ({
  id: s.id,
  current: s.id === currentId,
  createdAt: iso(s.createdAt),
  lastSeenAt: iso(s.lastSeenAt),
  expiresAt: iso(s.expiresAt),
  ip: s.ip,
  userAgent: s.userAgent,
});

function currentSession(request: FastifyRequest): Session {
  // authn.session guarantees it; this keeps the types honest.
  if (!request.session) throw new Error('route requires authn.session');
  return request.session;
}

export const sessionRoutes: RoutePlugin<{
  sessions: SessionStore;
  credentials: CredentialService;
  issuer: AccessTokenIssuer;
  grantsOf: (userId: string) => Promise<Grants>;
  authn: Authenticator;
  limitLogins: (request: FastifyRequest) => Promise<void>;
  cookieSecure: CookieSecureMode;
  absoluteSec: number;
}> = async (app, deps) => {
  const { sessions, authn } = deps;
  const cookieAuth: Record<string, string[]>[] = [{ sessionCookie: [] }];

  app.post(
    '/sessions',
    {
      preHandler: deps.limitLogins,
      schema: {
        tags: ['sessions'],
        summary: 'Log in with a cookie session (browsers)',
        description:
          'Sets an HttpOnly, SameSite=Lax session cookie (Secure and __Host- prefixed over HTTPS). Any session the request already carried is destroyed first: a new login always gets a new id.',
        body: SessionLoginBodySchema,
        response: { 201: CurrentSessionSchema },
      },
    },
    async (request, reply) => {
      const user = await deps.credentials.verify(request.body.email, request.body.password);
      // Session fixation: never keep an id the client arrived with.
      const previous = readSessionCookie(request);
      if (previous) await sessions.destroy(previous);
      const { token, session } = await sessions.create(user.id, {
        ip: request.ip,
        userAgent: request.headers['user-agent'] ?? '',
      });
      setSessionCookie(request, reply, token, deps.absoluteSec, deps.cookieSecure);
      reply.code(201);
      return { session: view(session, session.id), userId: user.id, csrfToken: session.csrfToken };
    },
  );

  app.get(
    '/sessions/current',
    {
      onRequest: authn.session,
      schema: {
        tags: ['sessions'],
        summary: 'The current session, with its CSRF token',
        security: cookieAuth,
        response: { 200: CurrentSessionSchema },
      },
    },
    async (request) => {
      const s = currentSession(request);
      return { session: view(s, s.id), userId: s.userId, csrfToken: s.csrfToken };
    },
  );

  app.delete(
    '/sessions/current',
    {
      onRequest: authn.session,
      schema: {
        tags: ['sessions'],
        summary: 'Log out: end this session and clear the cookie',
        security: cookieAuth,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const s = currentSession(request);
      await sessions.revoke(s.userId, s.id);
      clearSessionCookie(request, reply, deps.cookieSecure);
      reply.code(204);
    },
  );

  app.get(
    '/sessions',
    {
      onRequest: authn.user,
      schema: {
        tags: ['sessions'],
        summary: 'Your live sessions, most recently used first',
        security: [{ bearerAuth: [] }, ...cookieAuth],
        response: { 200: SessionListSchema },
      },
    },
    async (request) => {
      const userId = request.principal?.subject ?? '';
      const items = await sessions.list(userId);
      return { items: items.map((s) => view(s, request.session?.id)) };
    },
  );

  app.delete(
    '/sessions/:id',
    {
      onRequest: authn.user,
      schema: {
        tags: ['sessions'],
        summary: 'End one of your sessions (another device, say)',
        security: [{ bearerAuth: [] }, ...cookieAuth],
        params: SessionIdParamsSchema,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      const userId = request.principal?.subject ?? '';
      // Someone else's session id looks exactly like a missing one.
      if (!(await sessions.revoke(userId, request.params.id))) throw notFound('No such session.');
      if (request.params.id === request.session?.id) {
        clearSessionCookie(request, reply, deps.cookieSecure);
      }
      reply.code(204);
    },
  );

  app.post(
    '/sessions/current/token',
    {
      onRequest: authn.session,
      schema: {
        tags: ['sessions'],
        summary: 'Exchange the session cookie for a short access JWT (for other services)',
        description:
          'Needs X-CSRF-Token. The JWT carries the user’s current roles and lives AUTH_ACCESS_TOKEN_TTL_SEC; keep it in memory, not in localStorage, and ask again when it expires.',
        security: cookieAuth,
        response: { 200: ExchangedTokenSchema },
      },
    },
    async (request, reply) => {
      const s = currentSession(request);
      const t = await deps.issuer.forUser(s.userId, await deps.grantsOf(s.userId));
      reply.header('cache-control', 'no-store');
      return {
        access_token: t.accessToken,
        token_type: 'Bearer' as const,
        expires_in: t.expiresIn,
      };
    },
  );
};
