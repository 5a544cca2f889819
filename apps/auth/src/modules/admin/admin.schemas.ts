// Wire shapes for user administration and the audit log.
import { Type } from 'typebox';

export const AdminUserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    displayName: Type.String(),
    roles: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const UserPageQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
    cursor: Type.Optional(
      Type.String({ maxLength: 400, description: 'nextCursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);

export const UserPageSchema = Type.Object({
  items: Type.Array(AdminUserSchema),
  nextCursor: Type.Union([Type.String(), Type.Null()]),
});

export const RoleGrantParamsSchema = Type.Object({
  id: Type.String({ format: 'uuid' }),
  role: Type.String({ pattern: '^[a-z][a-z0-9-]{0,49}$' }),
});

export const AuditQuerySchema = Type.Object(
  {
    limit: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
    before: Type.Optional(Type.Integer({ minimum: 1, description: 'Entries older than this id' })),
    userId: Type.Optional(
      Type.String({ format: 'uuid', description: 'Only entries about this user' }),
    ),
  },
  { additionalProperties: false },
);

export const AuditEntrySchema = Type.Object(
  {
    id: Type.Integer(),
    actorId: Type.Union([Type.String(), Type.Null()]),
    action: Type.String(),
    targetUserId: Type.Union([Type.String(), Type.Null()]),
    details: Type.Record(Type.String(), Type.Unknown()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const AuditPageSchema = Type.Object({ items: Type.Array(AuditEntrySchema) });
