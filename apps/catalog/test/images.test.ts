// Product images: the public list (drafts hidden), add/reorder/remove under catalog:write,
// the per-product cap under concurrency, and refused requests that change nothing.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MAX_IMAGES_PER_PRODUCT } from '../src/modules/images/images.schemas.ts';
import { type CatalogTestApp, createCatalogApp, customerHeaders, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let customer: { authorization: string };
let activeId: string;
let draftId: string;
let deletedId: string;

const UNKNOWN = '00000000-0000-4000-8000-000000000000';

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp({ RATE_LIMIT_MAX: '100000' }));
  writer = await staffHeaders(issuer);
  customer = await customerHeaders(issuer);
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('cameras', 'Cameras') RETURNING id",
  );
  const products = await t.app.pg.query<{ id: string; sku: string }>(
    `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id, status, deleted_at)
     VALUES ('IMG-1', 'Camera', 1000, 'EUR', $1, 'active', NULL),
            ('IMG-2', 'Draft camera', 1000, 'EUR', $1, 'draft', NULL),
            ('IMG-3', 'Gone camera', 1000, 'EUR', $1, 'active', now())
     RETURNING id, sku`,
    [rows[0]?.id],
  );
  const bySku = (sku: string) => products.rows.find((r) => r.sku === sku)?.id as string;
  activeId = bySku('IMG-1');
  draftId = bySku('IMG-2');
  deletedId = bySku('IMG-3');
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});
beforeEach(() => t.app.pg.query('DELETE FROM catalog.product_images'));

const add = (productId: string, body: unknown, headers = writer) =>
  t.app.inject({
    method: 'POST',
    url: `/v1/products/${productId}/images`,
    headers,
    payload: body as object,
  });
const list = (productId: string, headers: Record<string, string> = {}) =>
  t.app.inject({ url: `/v1/products/${productId}/images`, headers });
const reorder = (productId: string, imageIds: unknown, headers = writer) =>
  t.app.inject({
    method: 'PUT',
    url: `/v1/products/${productId}/images/order`,
    headers,
    payload: { imageIds } as object,
  });
const remove = (productId: string, imageId: string, headers = writer) =>
  t.app.inject({ method: 'DELETE', url: `/v1/products/${productId}/images/${imageId}`, headers });

async function addMany(productId: string, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const res = await add(productId, { url: `https://cdn.example.com/${i}.jpg`, alt: `view ${i}` });
    expect(res.statusCode, res.body).toBe(201);
    ids.push(res.json().id);
  }
  return ids;
}

const rows = async (productId: string) =>
  (
    await t.app.pg.query<{ id: string; position: number }>(
      'SELECT id, position FROM catalog.product_images WHERE product_id = $1 ORDER BY position',
      [productId],
    )
  ).rows;

describe('product images: happy paths', () => {
  it('appends in order and lists them publicly, main image first', async () => {
    const ids = await addMany(activeId, 3);
    const res = await list(activeId);
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toContain('public');
    expect(res.headers.etag).toMatch(/^"/);
    expect(res.json().items).toEqual(
      ids.map((id, i) => ({
        id,
        url: `https://cdn.example.com/${i}.jpg`,
        alt: `view ${i}`,
        position: i,
      })),
    );
  });

  it('alt defaults to the empty string', async () => {
    const res = await add(activeId, { url: 'https://cdn.example.com/a.png' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({ alt: '', position: 0 });
  });

  it('reorders: a swap of the first two, which an in-place UPDATE would collide on', async () => {
    const [a, b, c] = await addMany(activeId, 3);
    const res = await reorder(activeId, [b, a, c]);
    expect(res.statusCode, res.body).toBe(200);
    expect(res.json().items.map((i: { id: string }) => i.id)).toEqual([b, a, c]);
    expect(await rows(activeId)).toEqual([
      { id: b, position: 0 },
      { id: a, position: 1 },
      { id: c, position: 2 },
    ]);
  });

  it('removes one and the rest close the gap', async () => {
    const [a, b, c] = await addMany(activeId, 3);
    expect((await remove(activeId, b as string)).statusCode).toBe(204);
    expect(await rows(activeId)).toEqual([
      { id: a, position: 0 },
      { id: c, position: 1 },
    ]);
    // And the next one appends after the last again.
    const next = await add(activeId, { url: 'https://cdn.example.com/n.jpg' });
    expect(next.json().position).toBe(2);
  });
});

describe('product images: visibility', () => {
  it("a draft's images are a 404 to the public and to customers, visible to catalog:write", async () => {
    await addMany(draftId, 1);
    expect((await list(draftId)).statusCode).toBe(404);
    expect((await list(draftId, customer)).statusCode).toBe(404);
    const staff = await list(draftId, writer);
    expect(staff.statusCode).toBe(200);
    expect(staff.json().items).toHaveLength(1);
  });

  it.each([
    ['unknown', UNKNOWN],
    ['deleted', () => deletedId],
  ])('an %s product is a 404 for reads and writes', async (_case, idOf) => {
    const id = typeof idOf === 'function' ? idOf() : idOf;
    expect((await list(id, writer)).statusCode).toBe(404);
    const res = await add(id, { url: 'https://cdn.example.com/x.jpg' });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(await rows(id)).toEqual([]);
  });
});

describe('product images: authorization', () => {
  it.each([
    ['no token', {}, 401],
    ['a token without catalog:write', () => customer, 403],
  ])('with %s every write is refused and nothing changes', async (_case, h, status) => {
    const [a] = await addMany(activeId, 1);
    const headers = (typeof h === 'function' ? h() : h) as { authorization: string };
    expect(
      (await add(activeId, { url: 'https://cdn.example.com/x.jpg' }, headers)).statusCode,
    ).toBe(status);
    expect((await reorder(activeId, [a], headers)).statusCode).toBe(status);
    expect((await remove(activeId, a as string, headers)).statusCode).toBe(status);
    expect(await rows(activeId)).toEqual([{ id: a, position: 0 }]);
  });
});

describe('product images: bad input changes nothing', () => {
  it.each([
    ['an http URL', { url: 'http://cdn.example.com/a.jpg' }],
    ['a javascript: URL', { url: 'javascript:alert(1)' }],
    ['a relative URL', { url: '/a.jpg' }],
    ['a URL with spaces', { url: 'https://cdn.example.com/a b.jpg' }],
    ['a URL too long', { url: `https://cdn.example.com/${'a'.repeat(2100)}` }],
    ['a NUL in alt', { url: 'https://cdn.example.com/a.jpg', alt: 'a\u0000b' }],
    ['an unknown field', { url: 'https://cdn.example.com/a.jpg', position: 3 }],
    ['no url', { alt: 'x' }],
  ])('%s → 400', async (_case, body) => {
    const res = await add(activeId, body);
    expect(res.statusCode, res.body).toBe(400);
    expect(res.json()).toMatchObject({ code: 'validation-failed' });
    expect(await rows(activeId)).toEqual([]);
  });

  it('a reorder that leaves one out, names a stranger, or repeats one → 4xx, order unchanged', async () => {
    const [a, b] = await addMany(activeId, 2);
    const before = await rows(activeId);
    const missing = await reorder(activeId, [b]);
    expect(missing.statusCode).toBe(422);
    expect(missing.json()).toMatchObject({
      code: 'image-order-mismatch',
      errors: [{ pointer: '/imageIds' }],
    });
    expect((await reorder(activeId, [b, UNKNOWN])).statusCode).toBe(422);
    expect((await reorder(activeId, [a, a])).statusCode).toBe(400);
    expect((await reorder(activeId, [])).statusCode).toBe(400);
    expect(await rows(activeId)).toEqual(before);
  });

  it("removing another product's image is a 404 and removes nothing", async () => {
    await addMany(activeId, 1);
    const [other] = await addMany(draftId, 1);
    expect((await remove(activeId, other as string)).statusCode).toBe(404);
    expect(await rows(draftId)).toHaveLength(1);
  });
});

describe('product images: the cap', () => {
  it(`holds at ${MAX_IMAGES_PER_PRODUCT} even when adds race: positions stay 0..n-1`, async () => {
    await addMany(activeId, MAX_IMAGES_PER_PRODUCT - 3);
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        add(activeId, { url: `https://cdn.example.com/r${i}.jpg` }),
      ),
    );
    const codes = results.map((r) => r.statusCode).sort();
    expect(codes.filter((c) => c === 201)).toHaveLength(3);
    expect(codes.filter((c) => c === 409)).toHaveLength(7);
    expect(results.find((r) => r.statusCode === 409)?.json()).toMatchObject({
      code: 'too-many-images',
    });
    const positions = (await rows(activeId)).map((r) => r.position);
    expect(positions).toEqual(Array.from({ length: MAX_IMAGES_PER_PRODUCT }, (_, i) => i));
  });
});
