// Tokens across services, for real: the auth app and the catalog app (each its own buildApp,
// cloned database and Redis prefix) listen on 127.0.0.1, and catalog verifies what auth
// issues by fetching auth's JWKS over HTTP. Roles granted at auth decide what catalog allows;
// forged tokens are refused by catalog; a rotated key set keeps old tokens valid, and a flood
// of unknown kids costs auth one JWKS fetch.
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { buildApp as buildAuth } from '@meridian/auth/app';
import { type Config as AuthConfig, ConfigSchema as AuthConfigSchema } from '@meridian/auth/config';
import { MIGRATIONS_FOLDER as AUTH_MIGRATIONS, DB_SCHEMA as AUTH_SCHEMA } from '@meridian/auth/db';
import { buildKeyStore, generateSigningJwk, type StoredJwk } from '@meridian/auth/keys';
import { ServiceTokenSource } from '@meridian/auth-verify';
import { buildApp as buildCatalog } from '@meridian/catalog/app';
import { ConfigSchema as CatalogConfigSchema } from '@meridian/catalog/config';
import {
  MIGRATIONS_FOLDER as CATALOG_MIGRATIONS,
  DB_SCHEMA as CATALOG_SCHEMA,
} from '@meridian/catalog/db';
import { loadConfig } from '@meridian/config';
import { createTestApp, type TestApp, testEnv } from '@meridian/testing';
import {
  base64url,
  calculateJwkThumbprint,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWTPayload,
  SignJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

type App = Awaited<ReturnType<typeof buildAuth>>;
type Running<C> = TestApp<App, C> & { url: string };

const PASSWORD = 'correct horse battery staple';
const PROBLEM = 'application/problem+json; charset=utf-8';
const JWKS_PATH = '/.well-known/jwks.json';
// Cheap argon2 and roomy login limits: this file logs in often, and is not about either.
const AUTH_ENV = {
  AUTH_DEV_DEFAULTS: 'true',
  AUTH_HASH_MEMORY_KIB: '8192',
  AUTH_HASH_ITERATIONS: '1',
  AUTH_LOGIN_IP_MAX: '1000',
  AUTH_LOGIN_ACCOUNT_MAX: '1000',
  AUTH_REGISTER_IP_MAX: '1000',
  // Not the defaults, so a match at catalog proves the settings were passed, not assumed.
  AUTH_ISSUER: 'https://auth.e2e.meridian.test',
  AUTH_AUDIENCE: 'meridian-e2e',
};

async function listen<A extends App>(app: A): Promise<string> {
  await app.listen({ host: '127.0.0.1', port: 0 });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
}

/** The real auth app on a cloned database, signing with `jwks` (the first signs). */
async function startAuth(jwks: StoredJwk[]): Promise<Running<AuthConfig>> {
  const keys = await buildKeyStore(jwks);
  const t = await createTestApp({
    schema: AUTH_SCHEMA,
    migrationsFolder: AUTH_MIGRATIONS,
    configSchema: AuthConfigSchema,
    buildApp: (config) => buildAuth(config, { keys }),
    env: AUTH_ENV,
  });
  return Object.assign(t, { url: await listen(t.app) });
}

/** The real catalog app, trusting the auth app at `authUrl` with `authConfig`'s iss and aud. */
async function startCatalog(authUrl: string, authConfig: AuthConfig) {
  const t = await createTestApp({
    schema: CATALOG_SCHEMA,
    migrationsFolder: CATALOG_MIGRATIONS,
    configSchema: CatalogConfigSchema,
    buildApp: buildCatalog,
    env: {
      AUTH_JWKS_URL: `${authUrl}${JWKS_PATH}`,
      AUTH_ISSUER: authConfig.AUTH_ISSUER,
      AUTH_AUDIENCE: authConfig.AUTH_AUDIENCE,
    },
  });
  return Object.assign(t, { url: await listen(t.app) });
}

// --- speaking to the services over HTTP ---

async function call(url: string, init: { method?: string; token?: string; body?: unknown } = {}) {
  const res = await fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

let counter = 0;
async function register(auth: { url: string }, label: string) {
  const email = `${label}-${process.pid}-${Date.now()}-${counter++}@example.test`;
  const res = await call(`${auth.url}/v1/users`, {
    method: 'POST',
    body: { email, password: PASSWORD, displayName: label },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id as string, email };
}

async function login(auth: { url: string }, email: string): Promise<string> {
  const res = await call(`${auth.url}/v1/auth/token`, {
    method: 'POST',
    body: { grant_type: 'password', username: email, password: PASSWORD },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.access_token;
}

/** Makes a user an admin directly in auth's database (the seed's job outside tests). */
async function makeAdmin(auth: { app: App }, userId: string) {
  await auth.app.pg.query(
    `INSERT INTO auth.user_roles (user_id, role_id) SELECT $1, id FROM auth.roles WHERE name = 'admin'`,
    [userId],
  );
}

/** A fresh user holding `role`, granted through auth's admin API; returns their token. */
async function userWithRole(auth: { app: App; url: string }, role: string) {
  const admin = await register(auth, 'admin');
  await makeAdmin(auth, admin.id);
  const adminToken = await login(auth, admin.email);
  const user = await register(auth, role);
  const granted = await call(`${auth.url}/v1/admin/users/${user.id}/roles/${role}`, {
    method: 'PUT',
    token: adminToken,
  });
  expect(granted.status).toBe(204);
  return { ...user, token: await login(auth, user.email) };
}

const newCategory = (label: string) => ({ name: label, slug: `${label}-${randomUUID()}` });

function createCategory(catalog: { url: string }, token: string | undefined, body: object) {
  return call(`${catalog.url}/v1/categories`, { method: 'POST', token, body });
}

/** What a refused token must look like: 401 invalid-token, problem+json, RFC 6750 header. */
function expectInvalidToken(res: Awaited<ReturnType<typeof call>>) {
  expect(res.status).toBe(401);
  expect(res.headers.get('content-type')).toBe(PROBLEM);
  expect(res.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  expect(res.body).toMatchObject({ status: 401, code: 'invalid-token' });
}

/** JWKS requests auth has answered, from its own /metrics (the route's histogram count). */
async function jwksServed(auth: { url: string }): Promise<number> {
  const text = await (await fetch(`${auth.url}/metrics`)).text();
  let n = 0;
  for (const m of text.matchAll(
    /^http_request_duration_seconds_count\{[^}]*route="\/\.well-known\/jwks\.json"[^}]*\} (\d+)$/gm,
  )) {
    n += Number(m[1]);
  }
  return n;
}

// --- the services ---

let keyA: StoredJwk;
let auth: Running<AuthConfig>;
let catalog: Running<unknown>;

beforeAll(async () => {
  keyA = await generateSigningJwk();
  auth = await startAuth([keyA]);
  catalog = await startCatalog(auth.url, auth.config);
});
afterAll(async () => {
  await catalog?.close();
  await auth?.close();
});

describe('roles granted at auth decide what catalog allows', () => {
  it('customer → 403; an admin grants staff at auth; the new token creates at catalog', async () => {
    const bob = await register(auth, 'bob');
    const customerToken = await login(auth, bob.email);
    expect(decodeJwt(customerToken)).toMatchObject({ roles: ['customer'], permissions: [] });

    const refused = await createCategory(catalog, customerToken, newCategory('cameras'));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe(PROBLEM);
    expect(refused.body).toMatchObject({
      code: 'forbidden',
      detail: 'Missing permission: catalog:write.',
    });

    const alice = await register(auth, 'alice');
    await makeAdmin(auth, alice.id);
    const adminToken = await login(auth, alice.email);
    const granted = await call(`${auth.url}/v1/admin/users/${bob.id}/roles/staff`, {
      method: 'PUT',
      token: adminToken,
    });
    expect(granted.status).toBe(204);

    // A token is a snapshot: Bob's old one still lacks the permission until he gets a new one.
    expect((await createCategory(catalog, customerToken, newCategory('lenses'))).status).toBe(403);

    const staffToken = await login(auth, bob.email);
    const claims = decodeJwt(staffToken);
    expect(claims.roles).toEqual(['customer', 'staff']);
    expect(claims.permissions).toContain('catalog:write');
    expect(claims).toMatchObject({ iss: auth.config.AUTH_ISSUER, aud: auth.config.AUTH_AUDIENCE });

    const body = newCategory('tripods');
    const created = await createCategory(catalog, staffToken, body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ ...body, parentId: null });
    const location = created.headers.get('location');
    const read = await call(`${catalog.url}${location}`, { token: staffToken });
    expect(read.status).toBe(200);
    expect(read.body.slug).toBe(body.slug);
  });
});

describe('a browser holding only the session cookie', () => {
  it('exchanges it (with its CSRF token) for a short JWT that catalog accepts', async () => {
    const staff = await userWithRole(auth, 'staff');
    const login = await fetch(`${auth.url}/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: staff.email, password: PASSWORD }),
    });
    expect(login.status).toBe(201);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    expect(cookie).toMatch(/^meridian_session=/);
    const { csrfToken } = (await login.json()) as { csrfToken: string };

    // Catalog knows nothing of auth's cookie: it wants a token.
    const withCookie = await fetch(`${catalog.url}/v1/categories`, {
      method: 'POST',
      headers: { cookie, 'content-type': 'application/json' },
      body: JSON.stringify(newCategory('cookie-only')),
    });
    expect(withCookie.status).toBe(401);

    const exchange = await fetch(`${auth.url}/v1/sessions/current/token`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(exchange.status).toBe(200);
    const { access_token } = (await exchange.json()) as { access_token: string };
    const created = await createCategory(catalog, access_token, newCategory('via-exchange'));
    expect(created.status).toBe(201);
  });
});

describe('service identity: a client-credentials token from auth, used at catalog', () => {
  it('ServiceTokenSource fetches once, and catalog sees a service principal with its scopes only', async () => {
    // A service client as the seed makes them (secret stored argon2-hashed).
    const { createPasswordHasher } = await import('@meridian/auth/passwords');
    const secret = 'e2e-orders-client-secret-0123';
    const hash = await createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 }).hash(
      secret,
    );
    await auth.app.pg.query(
      `INSERT INTO auth.service_clients (id, description, secret_hash, scopes)
       VALUES ('orders', 'e2e', $1, '{inventory:reserve}') ON CONFLICT (id) DO NOTHING`,
      [hash],
    );
    const source = new ServiceTokenSource({
      tokenUrl: `${auth.url}/v1/auth/token`,
      clientId: 'orders',
      clientSecret: secret,
      scope: 'inventory:reserve',
    });
    const tokens = await Promise.all(Array.from({ length: 10 }, () => source.getToken()));
    expect(new Set(tokens).size).toBe(1); // one token endpoint call for ten callers
    const [token] = tokens;
    expect(decodeJwt(token ?? '')).toMatchObject({
      sub: 'service:orders',
      client_id: 'orders',
      permissions: ['inventory:reserve'],
    });

    // A public read accepts it (verified, not ignored)…
    expect((await call(`${catalog.url}/v1/categories`, { token })).status).toBe(200);
    // …and a scope it lacks is refused like any missing permission.
    const write = await createCategory(catalog, token, newCategory('service-write'));
    expect(write.status).toBe(403);
    expect(write.body.detail).toBe('Missing permission: catalog:write.');

    // A wrong secret gets no token at all.
    const bad = new ServiceTokenSource({
      tokenUrl: `${auth.url}/v1/auth/token`,
      clientId: 'orders',
      clientSecret: 'not-the-secret',
    });
    await expect(bad.getToken()).rejects.toThrow(/401/);
  });
});

describe('forged tokens are refused by catalog', () => {
  let staff: { id: string; token: string };
  let customerToken: string;
  let realKid: string;
  let publicX: string;

  /** A token to the contract, signed with auth's real private key A (our test holds it). */
  async function signWithAuthKey(overrides: JWTPayload = {}) {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({
      roles: ['staff'],
      permissions: ['catalog:write'],
      iss: auth.config.AUTH_ISSUER,
      aud: auth.config.AUTH_AUDIENCE,
      sub: staff.id,
      iat: now,
      exp: now + 300,
      jti: randomUUID(),
      ...overrides,
    })
      .setProtectedHeader({ alg: 'EdDSA', kid: realKid, typ: 'at+jwt' })
      .sign(await importJWK(keyA, 'EdDSA'));
  }

  const segment = (value: object) => base64url.encode(JSON.stringify(value));

  beforeAll(async () => {
    staff = await userWithRole(auth, 'staff');
    customerToken = await login(auth, (await register(auth, 'carol')).email);
    const jwks = (await call(`${auth.url}${JWKS_PATH}`)).body as {
      keys: Array<{ kid: string; x: string }>;
    };
    const published = jwks.keys[0];
    if (!published) throw new Error('auth publishes no key');
    realKid = published.kid;
    publicX = published.x;
    expect(decodeProtectedHeader(staff.token).kid).toBe(realKid);
  });

  it('control: the real token, and one we sign to the contract with the real key, both pass', async () => {
    expect((await createCategory(catalog, staff.token, newCategory('real'))).status).toBe(201);
    const crafted = await signWithAuthKey();
    expect((await createCategory(catalog, crafted, newCategory('crafted'))).status).toBe(201);
  });

  const FORGERIES: Array<[string, () => Promise<string>]> = [
    [
      'alg "none" (no signature at all)',
      async () => {
        const [, payload] = staff.token.split('.');
        return `${segment({ alg: 'none', typ: 'at+jwt', kid: realKid })}.${payload}.`;
      },
    ],
    [
      "HS256 keyed with the auth service's public key bytes (key confusion)",
      async () =>
        new SignJWT(decodeJwt(staff.token))
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: realKid })
          .sign(base64url.decode(publicX)),
    ],
    [
      "HS256 keyed with the public key's base64url text",
      async () =>
        new SignJWT(decodeJwt(staff.token))
          .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid: realKid })
          .sign(new TextEncoder().encode(publicX)),
    ],
    [
      'signed by another Ed25519 key that claims the real kid',
      async () => {
        const { privateKey } = await generateKeyPair('EdDSA');
        return new SignJWT(decodeJwt(staff.token))
          .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: realKid })
          .sign(privateKey);
      },
    ],
    [
      "a customer's token with catalog:write written into it (original signature)",
      async () => {
        const [header, payload, signature] = customerToken.split('.');
        const claims = JSON.parse(new TextDecoder().decode(base64url.decode(payload as string)));
        const tampered = segment({ ...claims, permissions: ['catalog:write'] });
        return `${header}.${tampered}.${signature}`;
      },
    ],
    [
      'expired (signed with the real key)',
      async () => {
        const now = Math.floor(Date.now() / 1000);
        // Past the verifier's 5 s clock tolerance.
        return signWithAuthKey({ iat: now - 700, exp: now - 60 });
      },
    ],
    [
      'for another audience (signed with the real key)',
      async () => signWithAuthKey({ aud: 'another-api' }),
    ],
    [
      'from another issuer (signed with the real key)',
      async () => signWithAuthKey({ iss: 'https://evil.example' }),
    ],
  ];

  it.each(FORGERIES)('%s → 401 invalid-token, nothing created', async (_case, forge) => {
    const body = newCategory('forged');
    const res = await createCategory(catalog, await forge(), body);
    expectInvalidToken(res);
    const { rows } = await catalog.app.pg.query(
      'SELECT 1 FROM catalog.categories WHERE slug = $1',
      [body.slug],
    );
    expect(rows).toHaveLength(0);
  });

  it('a forged token on a public read is refused too, not treated as anonymous', async () => {
    const [header, , signature] = customerToken.split('.');
    const tampered = `${header}.${segment({ sub: 'someone-else' })}.${signature}`;
    expectInvalidToken(await call(`${catalog.url}/v1/categories`, { token: tampered }));
  });
});

describe('JWKS rotation across services', () => {
  let keyB: StoredJwk;
  let rotated: { app: App; url: string };
  let rotatedConfig: AuthConfig;
  let catalog2: Running<unknown>;
  let tokenFromA: string;

  beforeAll(async () => {
    // Before the rotation: a staff token the running auth app signed with key A.
    tokenFromA = (await userWithRole(auth, 'staff')).token;
    expect(decodeProtectedHeader(tokenFromA).kid).toBe(keyA.kid);

    // The rotation: auth redeployed on the same database with [B, A]; B signs at once, A is
    // still published for the tokens it signed. A fresh catalog trusts the new deployment.
    keyB = await generateSigningJwk();
    rotatedConfig = loadConfig(
      AuthConfigSchema,
      testEnv({ ...AUTH_ENV, DATABASE_URL: auth.db.url }),
    );
    const app = await buildAuth(rotatedConfig, { keys: await buildKeyStore([keyB, keyA]) });
    rotated = { app, url: await listen(app) };
    catalog2 = await startCatalog(rotated.url, rotatedConfig);
  });
  afterAll(async () => {
    await catalog2?.close();
    await rotated?.app.close();
  });

  it('20 concurrent requests with an unknown kid cost auth one JWKS fetch, all refused', async () => {
    const before = await jwksServed(rotated);
    const { privateKey, publicKey } = await generateKeyPair('EdDSA');
    const unknownKid = await calculateJwkThumbprint(await exportJWK(publicKey));
    const now = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ roles: [], permissions: ['catalog:write'] })
      .setProtectedHeader({ alg: 'EdDSA', kid: unknownKid, typ: 'at+jwt' })
      .setIssuer(rotatedConfig.AUTH_ISSUER)
      .setAudience(rotatedConfig.AUTH_AUDIENCE)
      .setSubject(randomUUID())
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .setJti(randomUUID())
      .sign(privateKey);

    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(`${catalog2.url}/v1/categories`, { token }).then((r) => r.status),
      ),
    );
    expect(results).toEqual(Array(20).fill(401));
    expect((await jwksServed(rotated)) - before).toBe(1);
  });

  it('tokens signed with the previous key A and the new key B both verify, from one JWKS fetch', async () => {
    const fromA = await createCategory(catalog2, tokenFromA, newCategory('before-rotation'));
    expect(fromA.status).toBe(201);

    const dave = await register(rotated, 'dave');
    const tokenFromB = await login(rotated, dave.email);
    expect(decodeProtectedHeader(tokenFromB).kid).toBe(keyB.kid);
    expect((await call(`${catalog2.url}/v1/categories`, { token: tokenFromB })).status).toBe(200);

    // Both keys came in the one key set catalog fetched (the flood above, or the first token
    // here when this test runs alone): nothing was refetched for either.
    expect(await jwksServed(rotated)).toBe(1);
  });
});
