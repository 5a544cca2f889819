// Wire shapes for product images: metadata only (where the picture lives and how to describe
// it); the bytes are served by a CDN or object store, never by this service.
import { type Static, Type } from 'typebox';
import { textSchema, uuidSchema } from '../../schemas/fields.ts';

/** More than a product page shows; the cap keeps one product's image list bounded. */
export const MAX_IMAGES_PER_PRODUCT = 20;

export const ImageSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: Type.String({ format: 'uri' }),
    alt: Type.String(),
    position: Type.Integer({ minimum: 0, description: '0 is the main image' }),
  },
  { additionalProperties: false },
);

export const ImageListSchema = Type.Object({ items: Type.Array(ImageSchema) });

export const ProductImagesParamsSchema = Type.Object(
  { id: uuidSchema() },
  { additionalProperties: false },
);

export const ProductImageParamsSchema = Type.Object(
  { id: uuidSchema(), imageId: uuidSchema() },
  { additionalProperties: false },
);

// https only: a page served over TLS that embeds an http: image gets mixed-content warnings,
// and javascript:/data: URLs have no business in a catalog.
export const NewImageSchema = Type.Object(
  {
    url: textSchema({
      format: 'uri',
      pattern: '^https://[^\\s]+$',
      maxLength: 2048,
      description: 'An absolute https URL',
      examples: ['https://cdn.example.com/p/lap-13-air/front.jpg'],
    }),
    alt: Type.Optional(
      textSchema({ maxLength: 500, description: 'Text alternative for screen readers' }),
    ),
  },
  { additionalProperties: false },
);

export const ImageOrderSchema = Type.Object(
  {
    imageIds: Type.Array(uuidSchema(), {
      minItems: 1,
      maxItems: MAX_IMAGES_PER_PRODUCT,
      uniqueItems: true,
      description: "Every one of the product's image ids, in the new order",
    }),
  },
  { additionalProperties: false },
);

export type Image = Static<typeof ImageSchema>;
export type NewImage = Static<typeof NewImageSchema>;
