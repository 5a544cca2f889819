// HTTP routes for accounts: register, and the caller's own account.
import { requirePrincipal } from '@meridian/auth-verify';
import type { RoutePlugin } from '@meridian/service-kit';
import type { FastifyRequest } from 'fastify';
import type { Authenticator } from '../../http/authenticate.ts';
import {
  ChangePasswordBodySchema,
  RegisterBodySchema,
  UpdateMeBodySchema,
  UserSchema,
} from './users.schemas.ts';
import type { UserService } from './users.service.ts';

const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

type Hook = (request: FastifyRequest) => Promise<void>;

export const userRoutes: RoutePlugin<{
  users: UserService;
  authn: Authenticator;
  limitRegistrations: Hook;
  /** The current-password check is a guessing oracle for a stolen token: limit it like a login. */
  limitLogins: Hook;
}> = async (app, { users, authn, limitRegistrations, limitLogins }) => {
  app.post(
    '/users',
    {
      preHandler: limitRegistrations,
      schema: {
        tags: ['users'],
        summary: 'Register an account (gets the customer role)',
        body: RegisterBodySchema,
        response: { 201: UserSchema },
      },
    },
    async (request, reply) => {
      const user = await users.register(request.body);
      reply.code(201).header('location', '/v1/me');
      return user;
    },
  );

  app.get(
    '/me',
    {
      onRequest: authn.user,
      schema: {
        tags: ['users'],
        summary: 'The caller’s own account',
        security,
        response: { 200: UserSchema },
      },
    },
    async (request) => users.me(requirePrincipal(request).subject),
  );

  app.patch(
    '/me',
    {
      onRequest: authn.user,
      schema: {
        tags: ['users'],
        summary: 'Change your display name',
        security,
        body: UpdateMeBodySchema,
        response: { 200: UserSchema },
      },
    },
    async (request) => users.updateMe(requirePrincipal(request).subject, request.body),
  );

  app.post(
    '/me/password',
    {
      onRequest: authn.user,
      preHandler: limitLogins,
      schema: {
        tags: ['users'],
        summary: 'Change your password (needs the current one; ends every other login)',
        security,
        body: ChangePasswordBodySchema,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await users.changePassword(
        requirePrincipal(request).subject,
        request.body,
        request.session?.id ?? null,
      );
      reply.code(204);
    },
  );
};
