// Catalog categories over HTTP, against a real cloned database, with tokens from a test
// issuer whose JWKS the service fetches over real HTTP. Who may do what: categories.auth.test.ts.
import type { TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CatalogTestApp, createCatalogApp, staffHeaders } from './helpers.ts';

let t: CatalogTestApp;
let issuer: TestIssuer;
let writer: { authorization: string };
let laptopsId: string;
let electronicsId: string;

beforeAll(async () => {
  ({ t, issuer } = await createCatalogApp());
  writer = await staffHeaders(issuer);
  const { rows } = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name) VALUES ('electronics', 'Electronics') RETURNING id",
  );
  electronicsId = rows[0]?.id as string;
  const child = await t.app.pg.query<{ id: string }>(
    "INSERT INTO catalog.categories (slug, name, parent_id) VALUES ('laptops', 'Laptops', $1) RETURNING id",
    [electronicsId],
  );
  laptopsId = child.rows[0]?.id as string;
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

describe('GET /v1/categories', () => {
  it('lists categories by name, each linked to its parent', async () => {
    const res = await t.app.inject({ url: '/v1/categories' });
    expect(res.statusCode).toBe(200);
    expect(res.json().items).toEqual([
      expect.objectContaining({ slug: 'electronics', parentId: null }),
      expect.objectContaining({ slug: 'laptops', parentId: electronicsId, id: laptopsId }),
    ]);
  });
});

describe('GET /v1/categories/:id', () => {
  it('returns one category', async () => {
    const res = await t.app.inject({ url: `/v1/categories/${laptopsId}` });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      id: laptopsId,
      parentId: electronicsId,
      slug: 'laptops',
      name: 'Laptops',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
  });

  it('when the id is unknown, returns 404 problem+json', async () => {
    const res = await t.app.inject({ url: '/v1/categories/00000000-0000-4000-8000-000000000000' });
    expect(res.statusCode).toBe(404);
    expect(res.json()).toMatchObject({ code: 'not-found', status: 404 });
  });

  it('when the id is not a uuid, returns 400 and never reaches the database', async () => {
    const res = await t.app.inject({ url: "/v1/categories/1'%20OR%20'1'='1" });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'params', pointer: '/id' });
  });

  it('when the id is a urn:uuid:, returns 400, not a 500 from Postgres', async () => {
    const res = await t.app.inject({
      url: '/v1/categories/urn:uuid:00000000-0000-4000-8000-000000000000',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0]).toMatchObject({ in: 'params', pointer: '/id' });
  });
});

describe('GET /v1/categories/:id/breadcrumb', () => {
  it('returns the path from the root down to the category, grandchildren included', async () => {
    // Through the API, not SQL: the write clears the cached list the breadcrumb walks.
    const created = await t.app.inject({
      method: 'POST',
      url: '/v1/categories',
      headers: writer,
      payload: { slug: 'gaming-laptops', name: 'Gaming', parentId: laptopsId },
    });
    expect(created.statusCode, created.body).toBe(201);
    const res = await t.app.inject({ url: `/v1/categories/${created.json().id}/breadcrumb` });
    expect(res.statusCode).toBe(200);
    expect(res.json().items.map((c: { slug: string }) => c.slug)).toEqual([
      'electronics',
      'laptops',
      'gaming-laptops',
    ]);
    expect(res.json().items[1]).toEqual({
      id: laptopsId,
      parentId: electronicsId,
      slug: 'laptops',
      name: 'Laptops',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT.*Z$/),
    });
  });

  it('for a root, returns the root alone', async () => {
    const res = await t.app.inject({ url: `/v1/categories/${electronicsId}/breadcrumb` });
    expect(res.json().items.map((c: { id: string }) => c.id)).toEqual([electronicsId]);
  });

  it('when the id is unknown, returns 404; when it is not a uuid, 400', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    expect((await t.app.inject({ url: `/v1/categories/${unknown}/breadcrumb` })).statusCode).toBe(
      404,
    );
    expect((await t.app.inject({ url: '/v1/categories/x/breadcrumb' })).statusCode).toBe(400);
  });
});

describe('POST /v1/categories', () => {
  const create = (payload: unknown) =>
    t.app.inject({
      method: 'POST',
      url: '/v1/categories',
      headers: writer,
      payload: payload as object,
    });

  it('creates a category under a parent: 201, Location, and it reads back', async () => {
    const res = await create({
      name: 'Espresso Machines',
      slug: 'espresso-machines',
      parentId: electronicsId,
    });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      parentId: electronicsId,
      slug: 'espresso-machines',
      name: 'Espresso Machines',
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
    });
    expect(res.headers.location).toBe(`/v1/categories/${created.id}`);
    const read = await t.app.inject({ url: res.headers.location as string });
    expect(read.json()).toEqual(created);
  });

  it('creates a root category when parentId is absent or null', async () => {
    const absent = await create({ name: 'Garden', slug: 'garden' });
    expect(absent.statusCode).toBe(201);
    expect(absent.json().parentId).toBeNull();
    const explicit = await create({ name: 'Toys', slug: 'toys', parentId: null });
    expect(explicit.statusCode).toBe(201);
    expect(explicit.json().parentId).toBeNull();
  });

  it.each([
    ['an unknown field', { name: 'X', slug: 'x-1', featured: true }, '/featured'],
    ['a slug that is not lowercase kebab-case', { name: 'X', slug: 'Big Deals' }, '/slug'],
    ['a slug with a trailing dash', { name: 'X', slug: 'deals-' }, '/slug'],
    ['an empty name', { name: '', slug: 'x-2' }, '/name'],
    ['a NUL character in the name', { name: 'a\u0000', slug: 'x-5' }, '/name'],
    ['a missing name', { slug: 'x-3' }, '/name'],
    ['a parentId that is not a uuid', { name: 'X', slug: 'x-4', parentId: '1' }, '/parentId'],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_case, body, pointer) => {
    const before = (await t.app.inject({ url: '/v1/categories' })).json().items.length;
    const res = await create(body);
    expect(res.statusCode).toBe(400);
    expect(res.json().code).toBe('validation-failed');
    expect(res.json().errors).toContainEqual(expect.objectContaining({ in: 'body', pointer }));
    expect((await t.app.inject({ url: '/v1/categories' })).json().items.length).toBe(before);
  });

  it('when the slug is taken, returns 409 problem+json and keeps the original', async () => {
    const res = await create({ name: 'Notebooks', slug: 'laptops' });
    expect(res.statusCode).toBe(409);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status: 409, code: 'slug-taken' });
    const original = await t.app.inject({ url: `/v1/categories/${laptopsId}` });
    expect(original.json().name).toBe('Laptops');
  });

  it('when the parent does not exist, returns 422 naming parentId', async () => {
    const res = await create({
      name: 'Orphan',
      slug: 'orphan',
      parentId: '00000000-0000-4000-8000-000000000000',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'unknown-parent',
      errors: [{ in: 'body', pointer: '/parentId', detail: 'does not exist' }],
    });
    const slugs = (await t.app.inject({ url: '/v1/categories' }))
      .json()
      .items.map((c: { slug: string }) => c.slug);
    expect(slugs).not.toContain('orphan');
  });
});

describe('schema constraints', () => {
  it('refuses a parent that does not exist (foreign key)', async () => {
    await expect(
      t.app.pg.query(
        "INSERT INTO catalog.categories (slug, name, parent_id) VALUES ('x', 'X', '00000000-0000-4000-8000-000000000000')",
      ),
    ).rejects.toThrow(/foreign key/);
  });

  it('keeps slugs unique', async () => {
    await expect(
      t.app.pg.query("INSERT INTO catalog.categories (slug, name) VALUES ('laptops', 'Again')"),
    ).rejects.toThrow(/unique/);
  });
});
