// Shared arrangement for the auth tests: a real cloned database and Redis prefix, fresh
// in-memory signing keys per app, cheap argon2 parameters unless a test needs real ones,
// and small helpers that speak the public HTTP API (never the internals).
import { createTestApp } from '@meridian/testing';
import { expect } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { buildKeyStore, generateSigningJwk, type KeyStore } from '../src/keys/keystore.ts';

export type AuthApp = Awaited<ReturnType<typeof buildApp>>;

export const CHEAP_HASH = { AUTH_HASH_MEMORY_KIB: '8192', AUTH_HASH_ITERATIONS: '1' };
export const PASSWORD = 'correct horse battery staple';

export async function newKeys(): Promise<KeyStore> {
  return buildKeyStore([await generateSigningJwk()]);
}

export async function createAuthApp(env: Record<string, string> = {}, keys?: KeyStore) {
  const store = keys ?? (await newKeys());
  const t = await createTestApp({
    schema: DB_SCHEMA,
    migrationsFolder: MIGRATIONS_FOLDER,
    configSchema: ConfigSchema,
    buildApp: (config) => buildApp(config, { keys: store }),
    env: {
      ...CHEAP_HASH,
      AUTH_DEV_DEFAULTS: 'true',
      AUTH_LOGIN_IP_MAX: '1000',
      AUTH_LOGIN_ACCOUNT_MAX: '1000',
      AUTH_REGISTER_IP_MAX: '1000',
      ...env,
    },
  });
  return Object.assign(t, { keys: store });
}

let counter = 0;
export const uniqueEmail = (label = 'user') =>
  `${label}-${process.pid}-${Date.now()}-${counter++}@example.test`;

export async function register(app: AuthApp, email = uniqueEmail(), password = PASSWORD) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/users',
    payload: { email, password, displayName: 'Test User' },
  });
  expect(res.statusCode, res.body).toBe(201);
  return { ...(res.json() as { id: string; email: string }), password };
}

export interface Tokens {
  access_token: string;
  refresh_token: string;
  expires_in: number;
}

export async function login(app: AuthApp, email: string, password = PASSWORD): Promise<Tokens> {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'password', username: email, password },
  });
  expect(res.statusCode, res.body).toBe(200);
  return res.json();
}

export function refresh(app: AuthApp, refreshToken: string) {
  return app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    payload: { grant_type: 'refresh_token', refresh_token: refreshToken },
  });
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

export async function sessionLogin(app: AuthApp, email: string, password = PASSWORD, headers = {}) {
  const res = await app.inject({
    method: 'POST',
    url: '/v1/sessions',
    payload: { email, password },
    headers,
  });
  expect(res.statusCode, res.body).toBe(201);
  const cookie = res.cookies[0];
  if (!cookie) throw new Error('no cookie set');
  return {
    res,
    cookie,
    cookieHeader: `${cookie.name}=${cookie.value}`,
    csrfToken: (res.json() as { csrfToken: string }).csrfToken,
    sessionId: (res.json() as { session: { id: string } }).session.id,
  };
}

/** Makes a user an admin directly in the database (the seed's job outside tests). */
export async function makeAdmin(t: { app: AuthApp }, userId: string) {
  await t.app.pg.query(
    `INSERT INTO auth.user_roles (user_id, role_id) SELECT $1, id FROM auth.roles WHERE name = 'admin'`,
    [userId],
  );
}
