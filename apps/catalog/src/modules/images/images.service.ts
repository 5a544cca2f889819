// Product image use cases. Knows nothing of HTTP. Every write locks the product's row first
// (images.repository.ts), so the cap, the next position and a reorder see one consistent list.
import { AppError, conflict, notFound } from '@meridian/errors';
import type { CatalogDb } from '../../db/client.ts';
import type { ProductImageRow } from '../../db/schema/index.ts';
import {
  deleteImage,
  findImages,
  findLiveProductStatus,
  insertImage,
  lockLiveProduct,
  setImageOrder,
} from './images.repository.ts';
import { type Image, MAX_IMAGES_PER_PRODUCT, type NewImage } from './images.schemas.ts';

const toImage = (row: ProductImageRow): Image => ({
  id: row.id,
  url: row.url,
  alt: row.alt,
  position: row.position,
});

const productNotFound = (id: string) => notFound(`Product ${id} does not exist.`);

const tooManyImages = () =>
  conflict(
    'too-many-images',
    `A product has at most ${MAX_IMAGES_PER_PRODUCT} images; delete one before adding another.`,
  );

const orderMismatch = (detail: string) =>
  new AppError({
    status: 422,
    code: 'image-order-mismatch',
    detail: `imageIds must list every image of the product exactly once: ${detail}.`,
    errors: [{ in: 'body', pointer: '/imageIds', detail }],
  });

export function imageService(db: CatalogDb) {
  return {
    /** The images of a live product; a draft's only for those who may see drafts. */
    async list(productId: string, opts: { includeDrafts: boolean }): Promise<Image[]> {
      const status = await findLiveProductStatus(db, productId);
      if (!status || (status === 'draft' && !opts.includeDrafts)) {
        throw productNotFound(productId);
      }
      return (await findImages(db, productId)).map(toImage);
    },

    /** Appends an image after the last one. */
    async add(productId: string, input: NewImage): Promise<Image> {
      return db.transaction(async (tx) => {
        if (!(await lockLiveProduct(tx, productId))) throw productNotFound(productId);
        const images = await findImages(tx, productId);
        if (images.length >= MAX_IMAGES_PER_PRODUCT) throw tooManyImages();
        const position = (images.at(-1)?.position ?? -1) + 1;
        const row = await insertImage(tx, {
          productId,
          url: input.url,
          alt: input.alt ?? '',
          position,
        });
        return toImage(row);
      });
    },

    /** Puts the images in the given order (positions 0..n-1). */
    async reorder(productId: string, imageIds: string[]): Promise<Image[]> {
      return db.transaction(async (tx) => {
        if (!(await lockLiveProduct(tx, productId))) throw productNotFound(productId);
        const current = new Set((await findImages(tx, productId)).map((i) => i.id));
        const unknown = imageIds.filter((id) => !current.has(id));
        if (unknown.length > 0)
          throw orderMismatch(`${unknown[0]} is not an image of this product`);
        if (imageIds.length !== current.size) {
          throw orderMismatch(`${current.size - imageIds.length} of its images are missing`);
        }
        await setImageOrder(tx, productId, imageIds);
        return (await findImages(tx, productId)).map(toImage);
      });
    },

    /** Removes one image; the others close the gap so positions stay 0..n-1. */
    async remove(productId: string, imageId: string): Promise<void> {
      await db.transaction(async (tx) => {
        if (!(await lockLiveProduct(tx, productId))) throw productNotFound(productId);
        if (!(await deleteImage(tx, productId, imageId))) {
          throw notFound(`Product ${productId} has no image ${imageId}.`);
        }
        const rest = (await findImages(tx, productId)).map((i) => i.id);
        if (rest.length > 0) await setImageOrder(tx, productId, rest);
      });
    },
  };
}

export type ImageService = ReturnType<typeof imageService>;
