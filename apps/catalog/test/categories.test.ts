// Catalog categories over HTTP, against a real cloned database.
import { createTestApp, type TestApp } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
let laptopsId: string;
let electronicsId: string;

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
  });
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
afterAll(() => t.close());

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
