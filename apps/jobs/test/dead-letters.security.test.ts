// Who may use the dead-letter routes: nobody without a token (401), nobody without
// jobs:admin (403), whatever the id or body.
import { createTestApp, createTestIssuer, type TestApp, type TestIssuer } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';

let t: TestApp<Awaited<ReturnType<typeof buildApp>>, unknown>;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp,
    env: issuer.env,
  });
});
afterAll(async () => {
  await t.close();
  await issuer.close();
});

const ROUTES = [
  { method: 'GET', url: '/v1/dead-letters' },
  { method: 'GET', url: '/v1/dead-letters/order-events.x' },
  { method: 'POST', url: '/v1/dead-letters/order-events.x/retry' },
  { method: 'DELETE', url: '/v1/dead-letters/order-events.x' },
] as const;

describe('who may use the dead-letter routes', () => {
  it.each(ROUTES)('$method $url without a token: 401', async (route) => {
    const res = await t.app.inject(route);
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('unauthorized');
  });

  it.each(ROUTES)('$method $url without jobs:admin: 403 naming it', async (route) => {
    const token = await issuer.sign({
      sub: 'staff-1',
      roles: ['staff'],
      permissions: ['catalog:write', 'orders:manage'],
    });
    const res = await t.app.inject({ ...route, headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(403);
    expect(res.json()).toMatchObject({
      code: 'forbidden',
      detail: 'Missing permission: jobs:admin.',
    });
  });

  it('with jobs:admin the same routes answer (404 for an unknown dead letter)', async () => {
    const token = await issuer.sign({ sub: 'admin-1', permissions: ['jobs:admin'] });
    const res = await t.app.inject({ ...ROUTES[1], headers: { authorization: `Bearer ${token}` } });
    expect(res.statusCode).toBe(404);
  });
});
