// Wire shapes for cookie sessions.
import { Type } from 'typebox';
import { EmailSchema, PasswordSchema } from '../users/users.schemas.ts';

export const SessionLoginBodySchema = Type.Object(
  { email: EmailSchema, password: PasswordSchema },
  { additionalProperties: false },
);

export const SessionSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid', description: 'Public id, for listing and revoking' }),
    current: Type.Boolean(),
    createdAt: Type.String({ format: 'date-time' }),
    lastSeenAt: Type.String({ format: 'date-time' }),
    expiresAt: Type.String({ format: 'date-time', description: 'Absolute end' }),
    ip: Type.String(),
    userAgent: Type.String(),
  },
  { additionalProperties: false },
);

export const CurrentSessionSchema = Type.Object(
  {
    session: SessionSchema,
    userId: Type.String({ format: 'uuid' }),
    csrfToken: Type.String({ description: 'Send as X-CSRF-Token on unsafe requests' }),
  },
  { additionalProperties: false },
);

export const SessionListSchema = Type.Object({ items: Type.Array(SessionSchema) });

export const SessionIdParamsSchema = Type.Object({ id: Type.String({ format: 'uuid' }) });

export const ExchangedTokenSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer(),
  },
  { additionalProperties: false },
);
