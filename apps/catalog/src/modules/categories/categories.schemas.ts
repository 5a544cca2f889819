// Wire shapes for categories: what clients send and receive (validated and serialized by
// these schemas, and documented in OpenAPI from them).
import { type Static, Type } from 'typebox';

export const CategorySchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    parentId: Type.Union([Type.String({ format: 'uuid' }), Type.Null()]),
    slug: Type.String(),
    name: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { additionalProperties: false },
);

export const CategoryListSchema = Type.Object({ items: Type.Array(CategorySchema) });

export const CategoryParamsSchema = Type.Object(
  { id: Type.String({ format: 'uuid' }) },
  { additionalProperties: false },
);

export type Category = Static<typeof CategorySchema>;
