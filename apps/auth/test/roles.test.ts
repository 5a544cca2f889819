// Auth roles over HTTP, against a real cloned database.
import { createTestApp, type TestApp } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;

beforeAll(async () => {
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
  });
});
afterAll(() => t.close());

describe('GET /v1/roles', () => {
  it('when there are no roles, returns an empty list', async () => {
    const res = await t.app.inject({ url: '/v1/roles' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ items: [] });
  });

  it('lists roles by name, without internal columns', async () => {
    await t.app.pg.query(
      "INSERT INTO auth.roles (name, description) VALUES ('staff', 'Runs the shop'), ('admin', 'Everything')",
    );
    const res = await t.app.inject({ url: '/v1/roles' });
    expect(res.json().items).toEqual([
      { id: expect.any(String), name: 'admin', description: 'Everything' },
      { id: expect.any(String), name: 'staff', description: 'Runs the shop' },
    ]);
  });
});

describe('migrations', () => {
  it('keep their journal in the service schema, not a shared one', async () => {
    const { rows } = await t.app.pg.query(
      "SELECT table_schema FROM information_schema.tables WHERE table_name = '__drizzle_migrations'",
    );
    expect(rows).toEqual([{ table_schema: 'auth' }]);
  });
});
