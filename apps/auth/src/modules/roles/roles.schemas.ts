// Wire shapes for roles.
import { type Static, Type } from 'typebox';

export const RoleSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    description: Type.String(),
    permissions: Type.Array(Type.String(), { description: 'What holding this role allows' }),
  },
  { additionalProperties: false },
);

export const RoleListSchema = Type.Object({ items: Type.Array(RoleSchema) });

export type Role = Static<typeof RoleSchema>;
