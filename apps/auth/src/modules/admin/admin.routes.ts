// Admin routes: list users, grant and revoke roles, read the audit log. Guarded by
// permissions (users:manage, audit:read), never by role names.
import { requirePrincipal } from '@meridian/auth-verify';
import type { RoutePlugin } from '@meridian/service-kit';
import type { Authenticator } from '../../http/authenticate.ts';
import {
  AuditPageSchema,
  AuditQuerySchema,
  RoleGrantParamsSchema,
  UserPageQuerySchema,
  UserPageSchema,
} from './admin.schemas.ts';
import type { AdminService } from './admin.service.ts';

const security: Record<string, string[]>[] = [{ bearerAuth: [] }, { sessionCookie: [] }];

export const adminRoutes: RoutePlugin<{ admin: AdminService; authn: Authenticator }> = async (
  app,
  { admin, authn },
) => {
  const manageUsers = {
    onRequest: [authn.user, app.auth.requirePermission('users:manage')],
  };

  app.get(
    '/admin/users',
    {
      ...manageUsers,
      schema: {
        tags: ['admin'],
        summary: 'List users (keyset pages by email)',
        security,
        querystring: UserPageQuerySchema,
        response: { 200: UserPageSchema },
      },
    },
    async (request) => admin.listUsers(request.query),
  );

  app.put(
    '/admin/users/:id/roles/:role',
    {
      ...manageUsers,
      schema: {
        tags: ['admin'],
        summary: 'Grant a role (idempotent; audited)',
        security,
        params: RoleGrantParamsSchema,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await admin.grant(requirePrincipal(request).subject, request.params.id, request.params.role);
      reply.code(204);
    },
  );

  app.delete(
    '/admin/users/:id/roles/:role',
    {
      ...manageUsers,
      schema: {
        tags: ['admin'],
        summary: 'Revoke a role (idempotent; audited)',
        security,
        params: RoleGrantParamsSchema,
        response: { 204: { type: 'null' } },
      },
    },
    async (request, reply) => {
      await admin.revoke(requirePrincipal(request).subject, request.params.id, request.params.role);
      reply.code(204);
    },
  );

  app.get(
    '/admin/audit-log',
    {
      onRequest: [authn.user, app.auth.requirePermission('audit:read')],
      schema: {
        tags: ['admin'],
        summary: 'Security audit log, newest first',
        security,
        querystring: AuditQuerySchema,
        response: { 200: AuditPageSchema },
      },
    },
    async (request) => admin.audit(request.query),
  );
};
