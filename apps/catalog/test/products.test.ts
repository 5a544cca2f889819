// Products over HTTP: create, read, change and soft-delete, against a real cloned database,
// with tokens from a test issuer. Who may do what: products.auth.test.ts; listing:
// products.list.test.ts.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let laptopsId: string;
let phonesId: string;

const UNKNOWN_ID = '00000000-0000-4000-8000-000000000000';
const PROBLEM = 'application/problem+json; charset=utf-8';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  writer = await staffHeaders(issuer);
  const { rows } = await t.app.pg.query<{ id: string; slug: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('laptops', 'Laptops'), ('phones', 'Phones') RETURNING id, slug",
  );
  laptopsId = rows.find((r) => r.slug === 'laptops')?.id as string;
  phonesId = rows.find((r) => r.slug === 'phones')?.id as string;
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

let skuSeq = 0;
/** A valid create body with a SKU no other test uses. */
const newProduct = (overrides: Record<string, unknown> = {}) => ({
  sku: `SKU-${++skuSeq}`,
  name: 'Aero 13 laptop',
  priceMinor: 129_900,
  currency: 'EUR',
  categoryId: laptopsId,
  ...overrides,
});

const create = (payload: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/v1/products',
    headers: writer,
    payload: payload as object,
  });
const patch = (id: string, payload: unknown) =>
  t.app.inject({
    method: 'PATCH',
    url: `/v1/products/${id}`,
    headers: writer,
    payload: payload as object,
  });
const remove = (id: string) =>
  t.app.inject({ method: 'DELETE', url: `/v1/products/${id}`, headers: writer });

async function createdId(overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await create(newProduct({ status: 'active', ...overrides }));
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

async function countProducts(): Promise<number> {
  const { rows } = await t.app.pg.query<{ n: number }>(
    'SELECT count(*)::int AS n FROM catalog.products',
  );
  return rows[0]?.n ?? 0;
}

describe('POST /v1/products', () => {
  it('creates a draft with defaults: 201, Location, and it reads back', async () => {
    const body = newProduct();
    const res = await create(body);
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      sku: body.sku,
      name: 'Aero 13 laptop',
      description: null,
      priceMinor: 129_900,
      currency: 'EUR',
      attributes: {},
      status: 'draft',
      categoryId: laptopsId,
      createdAt: expect.stringMatching(ISO),
      updatedAt: expect.stringMatching(ISO),
    });
    expect(res.headers.location).toBe(`/v1/products/${created.id}`);
    const read = await t.app.inject({ url: res.headers.location as string, headers: writer });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);
  });

  it('keeps every field it is given, attributes of each scalar type included', async () => {
    const body = newProduct({
      description: 'Thin, light, and quiet.',
      attributes: { colour: 'silver', ram_gb: 16, touchscreen: false },
      status: 'active',
    });
    const res = await create(body);
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      description: 'Thin, light, and quiet.',
      attributes: { colour: 'silver', ram_gb: 16, touchscreen: false },
      status: 'active',
    });
  });

  it.each([
    ['an unknown field', { featured: true }, '/featured'],
    ['a lower-case SKU', { sku: 'lap-13' }, '/sku'],
    ['a SKU with a space', { sku: 'LAP 13' }, '/sku'],
    ['a SKU with a trailing dash', { sku: 'LAP-' }, '/sku'],
    ['a negative price', { priceMinor: -1 }, '/priceMinor'],
    ['a fractional price', { priceMinor: 9.99 }, '/priceMinor'],
    ['a price sent as a string (bodies are not coerced)', { priceMinor: '999' }, '/priceMinor'],
    ['a price beyond the integer column', { priceMinor: 2_147_483_648 }, '/priceMinor'],
    ['a lower-case currency', { currency: 'eur' }, '/currency'],
    ['a four-letter currency', { currency: 'EURO' }, '/currency'],
    ['an empty name', { name: '' }, '/name'],
    ['a NUL character in the name (Postgres text cannot hold it)', { name: 'a\u0000b' }, '/name'],
    ['a NUL character in the description', { description: 'x\u0000' }, '/description'],
    ['a NUL character in an attribute', { attributes: { k: 'a\u0000' } }, '/attributes/k'],
    ['a categoryId that is not a uuid', { categoryId: '42' }, '/categoryId'],
    ['an unknown status', { status: 'live' }, '/status'],
    ['a nested attribute value', { attributes: { size: { w: 1 } } }, '/attributes/size'],
    [
      'an attribute key outside the pattern',
      { attributes: { Colour: 'red' } },
      '/attributes/Colour',
    ],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_case, change, pointer) => {
    const before = await countProducts();
    const res = await create(newProduct(change));
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));
    expect(await countProducts()).toBe(before);
  });

  it('refuses a body without the required fields, naming each', async () => {
    const res = await create({});
    expect(res.statusCode).toBe(400);
    const pointers = res.json().errors.map((e: { pointer: string }) => e.pointer);
    expect(pointers).toEqual(
      expect.arrayContaining(['/sku', '/name', '/priceMinor', '/currency', '/categoryId']),
    );
  });

  it('refuses an attribute number beyond float range (it would parse to Infinity)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/products',
      headers: { ...writer, 'content-type': 'application/json' },
      payload: JSON.stringify(newProduct({ attributes: { k: 0 } })).replace('"k":0', '"k":1e400'),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors).toContainEqual(
      expect.objectContaining({ in: 'body', pointer: '/attributes/k' }),
    );
  });

  it('refuses more than 50 attributes', async () => {
    const attributes = Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`a${i}`, i]));
    const res = await create(newProduct({ attributes }));
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'body', pointer: '/attributes' });
  });

  it('when the SKU is taken, returns 409 sku-taken and keeps the original', async () => {
    const first = newProduct({ name: 'Original' });
    expect((await create(first)).statusCode).toBe(201);
    const res = await create(newProduct({ sku: first.sku, name: 'Impostor' }));
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({ status: 409, code: 'sku-taken' });
    const { rows } = await t.app.pg.query('SELECT name FROM catalog.products WHERE sku = $1', [
      first.sku,
    ]);
    expect(rows).toEqual([{ name: 'Original' }]);
  });

  it('when the category does not exist, returns 422 unknown-category naming categoryId', async () => {
    const before = await countProducts();
    const res = await create(newProduct({ categoryId: UNKNOWN_ID }));
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'unknown-category',
      errors: [{ in: 'body', pointer: '/categoryId', detail: 'does not exist' }],
    });
    expect(await countProducts()).toBe(before);
  });
});

describe('GET /v1/products/:id', () => {
  it('returns an active product to anonymous readers', async () => {
    const id = await createdId({ name: 'Public laptop' });
    const res = await t.app.inject({ url: `/v1/products/${id}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id, name: 'Public laptop', status: 'active' });
  });

  it('returns an archived product too: old links and orders still resolve', async () => {
    const id = await createdId({ status: 'archived' });
    expect((await t.app.inject({ url: `/v1/products/${id}` })).statusCode).toBe(200);
  });

  it('when the id is unknown, returns 404 problem+json', async () => {
    const res = await t.app.inject({ url: `/v1/products/${UNKNOWN_ID}` });
    expect(res.statusCode).toBe(404);
    expect(res.headers['content-type']).toBe(PROBLEM);
    expect(res.json()).toMatchObject({ code: 'not-found', status: 404 });
  });

  it.each([
    ['a SKU', 'SKU-1'],
    ['a urn:uuid: (which Postgres would refuse)', 'urn:uuid:00000000-0000-4000-8000-000000000000'],
  ])('when the id is %s, returns 400 naming the parameter', async (_case, id) => {
    const res = await t.app.inject({ url: `/v1/products/${id}` });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'params', pointer: '/id' });
  });
});

describe('PATCH /v1/products/:id', () => {
  it('changes only the fields sent, and moves updatedAt but not createdAt', async () => {
    const created = (await create(newProduct({ description: 'Before', status: 'active' }))).json();
    const res = await patch(created.id, { name: 'Aero 13 (2026)', priceMinor: 119_900 });
    expect(res.statusCode).toBe(200);
    const changed = res.json();
    expect(changed).toEqual({
      ...created,
      name: 'Aero 13 (2026)',
      priceMinor: 119_900,
      updatedAt: expect.stringMatching(ISO),
    });
    expect(Date.parse(changed.updatedAt)).toBeGreaterThanOrEqual(Date.parse(created.updatedAt));
    const read = await t.app.inject({ url: `/v1/products/${created.id}` });
    expect(read.json()).toEqual(changed);
  });

  it('clears the description with null, replaces attributes whole, and moves category', async () => {
    const id = await createdId({ description: 'Old', attributes: { colour: 'red', ram_gb: 8 } });
    const res = await patch(id, {
      description: null,
      attributes: { colour: 'blue' },
      categoryId: phonesId,
      status: 'archived',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      description: null,
      attributes: { colour: 'blue' },
      categoryId: phonesId,
      status: 'archived',
    });
  });

  it('accepts the product keeping its own SKU', async () => {
    const created = (await create(newProduct())).json();
    const res = await patch(created.id, { sku: created.sku, name: 'Same SKU' });
    expect(res.statusCode).toBe(200);
  });

  it.each([
    ['an empty body', {}, ''],
    ['an unknown field', { deletedAt: null }, '/deletedAt'],
    ['a lower-case SKU', { sku: 'abc' }, '/sku'],
    ['a negative price', { priceMinor: -5 }, '/priceMinor'],
    ['a null name', { name: null }, '/name'],
  ])('refuses %s with 400 naming the field, and changes nothing', async (_case, body, pointer) => {
    const created = (await create(newProduct())).json();
    const res = await patch(created.id, body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));
    const read = await t.app.inject({ url: `/v1/products/${created.id}`, headers: writer });
    expect(read.json()).toEqual(created);
  });

  it('when the new SKU is taken by another product, returns 409 sku-taken', async () => {
    const a = (await create(newProduct())).json();
    const b = (await create(newProduct())).json();
    const res = await patch(b.id, { sku: a.sku });
    expect(res.statusCode).toBe(409);
    expect(res.json().code).toBe('sku-taken');
  });

  it('when the new category does not exist, returns 422 unknown-category', async () => {
    const id = await createdId();
    const res = await patch(id, { categoryId: UNKNOWN_ID });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'unknown-category',
      errors: [{ in: 'body', pointer: '/categoryId' }],
    });
  });

  it('when the product is unknown, returns 404', async () => {
    const res = await patch(UNKNOWN_ID, { name: 'Ghost' });
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not-found');
  });
});

describe('DELETE /v1/products/:id', () => {
  it('soft-deletes: 204, then GET, PATCH and the list act as if it were gone', async () => {
    const id = await createdId({ name: 'Soon gone' });
    const res = await remove(id);
    expect(res.statusCode).toBe(204);
    expect(res.body).toBe('');
    expect((await t.app.inject({ url: `/v1/products/${id}` })).statusCode).toBe(404);
    expect((await t.app.inject({ url: `/v1/products/${id}`, headers: writer })).statusCode).toBe(
      404,
    );
    expect((await patch(id, { name: 'Back?' })).statusCode).toBe(404);
    const list = await t.app.inject({ url: '/v1/products?limit=100' });
    expect(list.json().items.map((p: { id: string }) => p.id)).not.toContain(id);
    // Soft: the row is still there for history, marked deleted.
    const { rows } = await t.app.pg.query(
      'SELECT deleted_at IS NOT NULL AS deleted FROM catalog.products WHERE id = $1',
      [id],
    );
    expect(rows).toEqual([{ deleted: true }]);
  });

  it('is idempotent: deleting again is 204 and keeps the first deletion time', async () => {
    const id = await createdId();
    expect((await remove(id)).statusCode).toBe(204);
    const first = await t.app.pg.query('SELECT deleted_at FROM catalog.products WHERE id = $1', [
      id,
    ]);
    expect((await remove(id)).statusCode).toBe(204);
    const second = await t.app.pg.query('SELECT deleted_at FROM catalog.products WHERE id = $1', [
      id,
    ]);
    expect(second.rows).toEqual(first.rows);
  });

  it('keeps a deleted product’s SKU reserved: a new product cannot take it', async () => {
    const body = newProduct();
    const id = (await create(body)).json().id;
    await remove(id);
    const res = await create(newProduct({ sku: body.sku }));
    expect(res.statusCode).toBe(409);
  });

  it('when the product never existed, returns 404', async () => {
    const res = await remove(UNKNOWN_ID);
    expect(res.statusCode).toBe(404);
    expect(res.json().code).toBe('not-found');
  });
});

describe('schema constraints', () => {
  const insert = (sku: string, extra = '') =>
    t.app.pg.query(
      `INSERT INTO catalog.products (sku, name, price_minor, currency, category_id${extra ? ', status' : ''})
       VALUES ($1, 'X', 100, 'EUR', $2${extra ? `, '${extra}'` : ''})`,
      [sku, laptopsId],
    );

  it('refuses a lower-case SKU, a negative price, a bad currency and an unknown status', async () => {
    await expect(insert('lower-case')).rejects.toThrow(/products_sku_check/);
    await expect(insert('DB-1', 'live')).rejects.toThrow(/products_status_check/);
    await expect(
      t.app.pg.query(
        "INSERT INTO catalog.products (sku, name, price_minor, currency, category_id) VALUES ('DB-2', 'X', -1, 'EUR', $1)",
        [laptopsId],
      ),
    ).rejects.toThrow(/products_price_check/);
    await expect(
      t.app.pg.query(
        "INSERT INTO catalog.products (sku, name, price_minor, currency, category_id) VALUES ('DB-3', 'X', 1, 'eur', $1)",
        [laptopsId],
      ),
    ).rejects.toThrow(/products_currency_check/);
  });

  it('keeps the search column in step with name and description, weighting the name', async () => {
    const id = await createdId({ name: 'Espresso grinder', description: 'Burr mill for beans' });
    const search = async () => {
      const { rows } = await t.app.pg.query<{ search: string }>(
        'SELECT search::text AS search FROM catalog.products WHERE id = $1',
        [id],
      );
      return rows[0]?.search;
    };
    // "for" is an English stop word: it keeps its position (5) but gets no lexeme.
    expect(await search()).toBe("'bean':6B 'burr':3B 'espresso':1A 'grinder':2A 'mill':4B");
    await patch(id, { name: 'Coffee grinder' });
    expect(await search()).toBe("'bean':6B 'burr':3B 'coffe':1A 'grinder':2A 'mill':4B");
  });

  it('refuses a category delete while products point at it', async () => {
    await expect(
      t.app.pg.query('DELETE FROM catalog.categories WHERE id = $1', [laptopsId]),
    ).rejects.toThrow(/foreign key/);
  });

  it('keeps image positions unique per product and drops images with their product', async () => {
    const id = await createdId();
    const add = (position: number) =>
      t.app.pg.query(
        "INSERT INTO catalog.product_images (product_id, url, position) VALUES ($1, 'https://img.example/x.jpg', $2)",
        [id, position],
      );
    await add(0);
    await add(1);
    await expect(add(1)).rejects.toThrow(/product_images_product_position_unique/);
    await t.app.pg.query('DELETE FROM catalog.products WHERE id = $1', [id]);
    const { rows } = await t.app.pg.query(
      'SELECT count(*)::int AS n FROM catalog.product_images WHERE product_id = $1',
      [id],
    );
    expect(rows).toEqual([{ n: 0 }]);
  });
});
