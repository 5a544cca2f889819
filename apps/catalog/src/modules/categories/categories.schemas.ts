// Wire shapes for categories: what clients send and receive (validated and serialized by
// these schemas, and documented in OpenAPI from them).
import { type Static, Type } from 'typebox';
import { textSchema, uuidSchema } from '../../schemas/fields.ts';

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
  { id: uuidSchema() },
  { additionalProperties: false },
);

const Name = textSchema({ minLength: 1, maxLength: 100 });
const Slug = Type.String({
  pattern: '^[a-z0-9]+(-[a-z0-9]+)*$',
  maxLength: 64,
  description: 'Lowercase kebab-case, unique across the catalog',
  examples: ['espresso-machines'],
});

// Closed: an unknown field is a 400, not silently dropped.
export const CreateCategorySchema = Type.Object(
  {
    name: Name,
    slug: Slug,
    parentId: Type.Optional(
      Type.Union([uuidSchema(), Type.Null()], {
        description: 'An existing category; null or absent for a root',
      }),
    ),
  },
  { additionalProperties: false },
);

// Closed and non-empty: an unknown field or an empty patch is a 400.
export const UpdateCategorySchema = Type.Object(
  {
    name: Type.Optional(Name),
    slug: Type.Optional(Slug),
    parentId: Type.Optional(
      Type.Union([uuidSchema(), Type.Null()], {
        description:
          'Move the category, with its whole subtree, under this one; null makes it a root. ' +
          'Not the category itself nor one below it, and the subtree must stay within the ' +
          'maximum depth.',
      }),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);

// v2: the tree itself, nested, instead of v1's flat list linked by parentId. Cyclic is
// TypeBox's self-reference; the node carries no timestamps (the tree is for navigation menus).
export const CategoryNodeSchema = Type.Cyclic(
  {
    CategoryNode: Type.Object(
      {
        id: Type.String({ format: 'uuid' }),
        slug: Type.String(),
        name: Type.String(),
        children: Type.Array(Type.Ref('CategoryNode'), {
          description: 'Subcategories, by name; empty for a leaf',
        }),
      },
      { additionalProperties: false },
    ),
  },
  'CategoryNode',
);

export const CategoryTreeSchema = Type.Object(
  {
    items: Type.Array(CategoryNodeSchema, {
      description: 'The root categories, by name, each with its subtree',
    }),
  },
  { additionalProperties: false },
);

export type Category = Static<typeof CategorySchema>;
export type NewCategory = Static<typeof CreateCategorySchema>;
export type CategoryChanges = Static<typeof UpdateCategorySchema>;
export interface CategoryNode {
  id: string;
  slug: string;
  name: string;
  children: CategoryNode[];
}
