// The token endpoint (password, refresh_token and client_credentials grants), logout, and
// the JWKS that every other service fetches to verify what this one signs.

import formbody from '@fastify/formbody';
import { requirePrincipal } from '@meridian/auth-verify';
import { AppError } from '@meridian/errors';
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Authenticator } from '../../http/authenticate.ts';
import { basicCredentials } from '../../http/basic-auth.ts';
import { JWKS_MAX_AGE_SEC, type KeyStore } from '../../keys/keystore.ts';
import {
  JwksSchema,
  RefreshTokenBodySchema,
  TokenRequestSchema,
  TokenResponseSchema,
} from './tokens.schemas.ts';
import type { TokenService } from './tokens.service.ts';

const missing = (field: string, grant: string) =>
  new AppError({
    status: 400,
    code: 'invalid-request',
    detail: `grant_type=${grant} needs ${field}.`,
    errors: [{ in: 'body', pointer: `/${field}`, detail: 'is required for this grant' }],
  });

// Token responses must never be cached by a browser or a proxy (RFC 6749 §5.1).
const noStore = (reply: FastifyReply) =>
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');

export const tokenRoutes: RoutePlugin<{
  tokens: TokenService;
  authn: Authenticator;
  limitLogins: (request: FastifyRequest) => Promise<void>;
  revokeEverywhere: (userId: string) => Promise<void>;
}> = async (app, { tokens, authn, limitLogins, revokeEverywhere }) => {
  // OAuth clients send the token request form-encoded. Only here: elsewhere (the cookie
  // login above all) a cross-site HTML form must not be able to post a body we accept.
  await app.register(formbody);

  app.post(
    '/auth/token',
    {
      preHandler: limitLogins,
      schema: {
        tags: ['tokens'],
        summary: 'Get tokens: password, refresh_token or client_credentials grant',
        description:
          'Accepts JSON or application/x-www-form-urlencoded. A refresh token is single use: each refresh returns a new pair, and presenting a used one revokes its whole family.',
        body: TokenRequestSchema,
        response: { 200: TokenResponseSchema },
      },
    },
    async (request, reply) => {
      const body = request.body;
      noStore(reply);
      switch (body.grant_type) {
        case 'password': {
          if (!body.username) throw missing('username', body.grant_type);
          if (!body.password) throw missing('password', body.grant_type);
          const pair = await tokens.passwordGrant(body.username, body.password);
          return bearer(pair.accessToken, pair.expiresIn, pair.refreshToken);
        }
        case 'refresh_token': {
          if (!body.refresh_token) throw missing('refresh_token', body.grant_type);
          const pair = await tokens.refreshGrant(body.refresh_token);
          return bearer(pair.accessToken, pair.expiresIn, pair.refreshToken);
        }
        case 'client_credentials': {
          const basic = basicCredentials(request);
          if (basic && (body.client_id !== undefined || body.client_secret !== undefined)) {
            // RFC 6749 §2.3: one authentication method per request. Two could name two
            // clients, and the login limit must count the one that is authenticated.
            throw new AppError({
              status: 400,
              code: 'invalid-request',
              detail:
                'Send client credentials either in the Authorization header or in the body, not both.',
            });
          }
          const id = basic?.id ?? body.client_id;
          const secret = basic?.secret ?? body.client_secret;
          if (!id) throw missing('client_id', body.grant_type);
          if (!secret) throw missing('client_secret', body.grant_type);
          const t = await tokens.clientCredentials(id, secret, body.scope);
          return { ...bearer(t.accessToken, t.expiresIn), scope: t.scope };
        }
      }
    },
  );

  app.post(
    '/auth/logout',
    {
      schema: {
        tags: ['tokens'],
        summary: 'End the login a refresh token belongs to (its whole family)',
        body: RefreshTokenBodySchema,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await tokens.logout(request.body.refresh_token);
      reply.code(204);
    },
  );

  app.post(
    '/auth/logout-all',
    {
      onRequest: authn.user,
      schema: {
        tags: ['tokens'],
        summary: 'End every login of the caller: all refresh families and all sessions',
        security: [{ bearerAuth: [] as string[] }, { sessionCookie: [] as string[] }],
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await revokeEverywhere(requirePrincipal(request).subject);
      reply.code(204);
    },
  );
};

function bearer(accessToken: string, expiresIn: number, refreshToken?: string) {
  return {
    access_token: accessToken,
    token_type: 'Bearer' as const,
    expires_in: expiresIn,
    ...(refreshToken ? { refresh_token: refreshToken } : {}),
  };
}

/** Public keys, outside /v1: the path is a well-known URI (RFC 8615), not a versioned API. */
export const jwksRoutes: RoutePlugin<{ keys: KeyStore }> = async (app, { keys }) => {
  app.get(
    '/.well-known/jwks.json',
    {
      schema: {
        tags: ['tokens'],
        summary: 'Public signing keys (JWKS): current and previous',
        response: { 200: JwksSchema },
      },
    },
    async (_request, reply) => {
      // Short: a proxy cache in front must not hide a new key for longer than the signer
      // waits before using it (PUBLISH_BEFORE_SIGNING_SEC = cooldown + this max-age).
      reply.header('cache-control', `public, max-age=${JWKS_MAX_AGE_SEC}`);
      return keys.jwks;
    },
  );
};
