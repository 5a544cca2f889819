// Wire shapes for accounts. Every object is closed (additionalProperties: false): a
// registration carrying `role` or `passwordHash` is refused, not silently trimmed, so a
// client learns at once that it cannot assign itself privileges (mass assignment).
import { type Static, Type } from 'typebox';
import { PASSWORD_MAX_LENGTH } from '../passwords/password-policy.ts';

export const EmailSchema = Type.String({ format: 'email', minLength: 3, maxLength: 254 });
export const DisplayNameSchema = Type.String({ minLength: 1, maxLength: 80 });
// Length rules beyond these bounds are the policy's (password-policy.ts), with a clearer message.
export const PasswordSchema = Type.String({ minLength: 1, maxLength: PASSWORD_MAX_LENGTH });

export const RegisterBodySchema = Type.Object(
  { email: EmailSchema, password: PasswordSchema, displayName: DisplayNameSchema },
  { additionalProperties: false },
);

export const UpdateMeBodySchema = Type.Object(
  { displayName: DisplayNameSchema },
  { additionalProperties: false },
);

export const ChangePasswordBodySchema = Type.Object(
  { currentPassword: PasswordSchema, newPassword: PasswordSchema },
  { additionalProperties: false },
);

// What anyone may see of an account: never the hash, never internal timestamps of security
// events. The response schema is also the serializer, so an extra column cannot leak.
export const UserSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    email: Type.String(),
    displayName: Type.String(),
    roles: Type.Array(Type.String()),
    permissions: Type.Array(Type.String()),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export type RegisterBody = Static<typeof RegisterBodySchema>;
export type User = Static<typeof UserSchema>;
