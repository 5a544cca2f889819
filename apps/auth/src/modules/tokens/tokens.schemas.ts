// Wire shapes of the token endpoint. Field names follow OAuth 2.0 (RFC 6749) so a standard
// client library can talk to it; errors are problem+json like the rest of Meridian.
import { Type } from 'typebox';

export const TokenRequestSchema = Type.Object(
  {
    grant_type: Type.Union([
      Type.Literal('password'),
      Type.Literal('refresh_token'),
      Type.Literal('client_credentials'),
    ]),
    username: Type.Optional(Type.String({ minLength: 1, maxLength: 254 })),
    password: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    refresh_token: Type.Optional(Type.String({ minLength: 1, maxLength: 512 })),
    client_id: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    client_secret: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
    scope: Type.Optional(Type.String({ maxLength: 1000 })),
  },
  { additionalProperties: false },
);

export const TokenResponseSchema = Type.Object(
  {
    access_token: Type.String(),
    token_type: Type.Literal('Bearer'),
    expires_in: Type.Integer({ description: 'Seconds until the access token expires' }),
    refresh_token: Type.Optional(
      Type.String({ description: 'Single use: each refresh returns a new one' }),
    ),
    scope: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);

export const RefreshTokenBodySchema = Type.Object(
  { refresh_token: Type.String({ minLength: 1, maxLength: 512 }) },
  { additionalProperties: false },
);

export const JwksSchema = Type.Object({
  keys: Type.Array(
    Type.Object({ kid: Type.String(), kty: Type.String() }, { additionalProperties: true }),
  ),
});
