// Auth roles over HTTP, against a real cloned database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthApp } from './helpers.ts';

let t: Awaited<ReturnType<typeof createAuthApp>>;

beforeAll(async () => {
  t = await createAuthApp();
});
afterAll(() => t.close());

describe('GET /v1/roles', () => {
  it('lists the built-in roles (reference data from the migrations) with their permissions', async () => {
    const res = await t.app.inject({ url: '/v1/roles' });
    expect(res.statusCode).toBe(200);
    const byName = Object.fromEntries(
      res.json().items.map((r: { name: string; permissions: string[] }) => [r.name, r.permissions]),
    );
    expect(Object.keys(byName)).toEqual(['admin', 'customer', 'staff']);
    expect(byName.customer).toEqual([]);
    expect(byName.staff).toEqual(['catalog:write', 'orders:manage', 'orders:read:any']);
    expect(byName.admin).toEqual([
      'audit:read',
      'catalog:write',
      'jobs:admin',
      'orders:manage',
      'orders:read:any',
      'users:manage',
    ]);
  });

  it('never shows internal columns', async () => {
    const res = await t.app.inject({ url: '/v1/roles' });
    for (const role of res.json().items) {
      expect(Object.keys(role).sort()).toEqual(['description', 'id', 'name', 'permissions']);
    }
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
