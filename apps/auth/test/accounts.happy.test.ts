// The happy paths of accounts and tokens, over HTTP against real Postgres and Redis.
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bearer,
  createAuthApp,
  login,
  PASSWORD,
  refresh,
  register,
  sessionLogin,
  uniqueEmail,
} from './helpers.ts';

let t: Awaited<ReturnType<typeof createAuthApp>>;
beforeAll(async () => {
  t = await createAuthApp();
});
afterAll(() => t.close());

describe('register → login → me → refresh', () => {
  it('walks the whole flow, and reuse of a refresh token revokes its family', async () => {
    const email = uniqueEmail('Flow').toUpperCase();
    const reg = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      payload: { email, password: PASSWORD, displayName: ' Ada ' },
    });
    expect(reg.statusCode).toBe(201);
    expect(reg.headers.location).toBe('/v1/me');
    const user = reg.json();
    expect(user).toEqual({
      id: expect.any(String),
      email: email.toLowerCase(),
      displayName: 'Ada',
      roles: ['customer'],
      permissions: [],
      createdAt: expect.any(String),
    });

    // Login with a differently-cased email works: emails are normalized.
    const first = await login(t.app, email.toLowerCase());
    expect(first.expires_in).toBe(600);
    const me = await t.app.inject({ url: '/v1/me', headers: bearer(first.access_token) });
    expect(me.statusCode).toBe(200);
    expect(me.json().id).toBe(user.id);

    const second = await refresh(t.app, first.refresh_token);
    expect(second.statusCode).toBe(200);
    expect(second.headers['cache-control']).toBe('no-store');
    const pair2 = second.json();
    expect(pair2.refresh_token).not.toBe(first.refresh_token);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: bearer(pair2.access_token) })).statusCode,
    ).toBe(200);

    // The old token is rejected; presenting it revoked the family, so the newest fails too.
    const replay = await refresh(t.app, first.refresh_token);
    expect(replay.statusCode).toBe(400);
    expect(replay.json().type).toBe('urn:meridian:problem:invalid-grant');
    const newest = await refresh(t.app, pair2.refresh_token);
    expect(newest.statusCode).toBe(400);

    const { rows } = await t.app.pg.query(
      `SELECT action FROM auth.audit_log WHERE target_user_id = $1 ORDER BY id`,
      [user.id],
    );
    expect(rows.map((r) => r.action)).toEqual(['user.registered', 'refresh-token.reuse-detected']);
    const fam = await t.app.pg.query(
      `SELECT revoked_reason FROM auth.refresh_token_families WHERE user_id = $1`,
      [user.id],
    );
    expect(fam.rows).toEqual([{ revoked_reason: 'reuse-detected' }]);
  });

  it('signs access tokens with EdDSA, a kid from the JWKS, and the documented claims', async () => {
    const { email, id } = await register(t.app);
    const { access_token } = await login(t.app, email);
    const header = decodeProtectedHeader(access_token);
    expect(header).toMatchObject({ alg: 'EdDSA', typ: 'at+jwt' });
    const jwks = (await t.app.inject({ url: '/.well-known/jwks.json' })).json();
    expect(jwks.keys.map((k: { kid: string }) => k.kid)).toContain(header.kid);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    const claims = decodeJwt(access_token);
    expect(claims).toMatchObject({
      iss: 'http://localhost:3001',
      aud: 'meridian-api',
      sub: id,
      roles: ['customer'],
      permissions: [],
    });
    expect(Number(claims.exp) - Number(claims.iat)).toBe(600);
    expect(claims.jti).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('accepts the token request form-encoded, as OAuth clients send it', async () => {
    const { email } = await register(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        grant_type: 'password',
        username: email,
        password: PASSWORD,
      }).toString(),
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().token_type).toBe('Bearer');
  });
});

describe('your own account', () => {
  it('PATCH /v1/me changes the display name', async () => {
    const { email } = await register(t.app);
    const { access_token } = await login(t.app, email);
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: bearer(access_token),
      payload: { displayName: 'Grace' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json().displayName).toBe('Grace');
  });

  it('a password change needs the current password and ends every other login', async () => {
    const { email } = await register(t.app);
    const tokens = await login(t.app, email);
    const other = await sessionLogin(t.app, email);
    const current = await sessionLogin(t.app, email);

    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { cookie: current.cookieHeader, 'x-csrf-token': current.csrfToken },
      payload: {
        currentPassword: 'not my password at all',
        newPassword: 'a brand new passphrase here',
      },
    });
    expect(wrong.statusCode).toBe(401);

    const ok = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { cookie: current.cookieHeader, 'x-csrf-token': current.csrfToken },
      payload: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase here' },
    });
    expect(ok.statusCode).toBe(204);

    expect((await refresh(t.app, tokens.refresh_token)).statusCode).toBe(400);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: other.cookieHeader } })).statusCode,
    ).toBe(401);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: current.cookieHeader } })).statusCode,
    ).toBe(200);
    await login(t.app, email, 'a brand new passphrase here');
    const old = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'password', username: email, password: PASSWORD },
    });
    expect(old.statusCode).toBe(401);
  });
});

describe('logout', () => {
  it('logout ends the family of the token given; other logins keep working', async () => {
    const { email } = await register(t.app);
    const a = await login(t.app, email);
    const b = await login(t.app, email);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout',
      payload: { refresh_token: a.refresh_token },
    });
    expect(res.statusCode).toBe(204);
    expect((await refresh(t.app, a.refresh_token)).statusCode).toBe(400);
    expect((await refresh(t.app, b.refresh_token)).statusCode).toBe(200);
  });

  it('logout-all ends every refresh family and every session of the user', async () => {
    const { email } = await register(t.app);
    const a = await login(t.app, email);
    const b = await login(t.app, email);
    const s = await sessionLogin(t.app, email);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/logout-all',
      headers: bearer(a.access_token),
    });
    expect(res.statusCode).toBe(204);
    expect((await refresh(t.app, a.refresh_token)).statusCode).toBe(400);
    expect((await refresh(t.app, b.refresh_token)).statusCode).toBe(400);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
    ).toBe(401);
  });
});

describe('password hashes', () => {
  it('are upgraded on login when the parameters changed', async () => {
    const { email } = await register(t.app);
    const before = await t.app.pg.query('SELECT password_hash FROM auth.users WHERE email = $1', [
      email,
    ]);
    expect(before.rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=8192,t=1,p=1\$/);

    // The same database, served by an app configured with OWASP's parameters.
    const { buildApp } = await import('../src/app.ts');
    const { loadConfig } = await import('@meridian/config');
    const { ConfigSchema } = await import('../src/config.ts');
    const stronger = await buildApp(
      loadConfig(ConfigSchema, {
        ...process.env,
        ...(t.config as unknown as Record<string, string>),
        AUTH_HASH_MEMORY_KIB: '19456',
        AUTH_HASH_ITERATIONS: '2',
        LOG_LEVEL: 'silent',
      }),
      { keys: t.keys },
    );
    try {
      await login(stronger, email);
      const after = await t.app.pg.query(
        'SELECT password_hash, password_changed_at, created_at FROM auth.users WHERE email = $1',
        [email],
      );
      expect(after.rows[0].password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
      await login(stronger, email); // and the upgraded hash still verifies
    } finally {
      await stronger.close();
    }
  });
});

describe('service clients (client credentials)', () => {
  beforeAll(async () => {
    const { createPasswordHasher } = await import('../src/modules/passwords/password-hasher.ts');
    const hash = await createPasswordHasher({ memoryCost: 8192, timeCost: 1, parallelism: 1 }).hash(
      'orders-test-secret-0123456789',
    );
    await t.app.pg.query(
      `INSERT INTO auth.service_clients (id, description, secret_hash, scopes) VALUES ('orders', 'test', $1, '{inventory:reserve}')`,
      [hash],
    );
  });

  it('issues a scoped service token for a JSON body and for HTTP Basic', async () => {
    const json = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: 'orders',
        client_secret: 'orders-test-secret-0123456789',
      },
    });
    expect(json.statusCode).toBe(200);
    expect(json.json()).toMatchObject({
      token_type: 'Bearer',
      scope: 'inventory:reserve',
      expires_in: 900,
    });
    expect(json.json()).not.toHaveProperty('refresh_token');
    expect(decodeJwt(json.json().access_token)).toMatchObject({
      sub: 'service:orders',
      client_id: 'orders',
      scope: 'inventory:reserve',
      permissions: ['inventory:reserve'],
      roles: [],
    });

    const basic = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: {
        authorization: `Basic ${Buffer.from('orders:orders-test-secret-0123456789').toString('base64')}`,
      },
      payload: { grant_type: 'client_credentials', scope: 'inventory:reserve' },
    });
    expect(basic.statusCode).toBe(200);
  });

  it('refuses a wrong secret, an unknown client and a scope the client does not have', async () => {
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'client_credentials', client_id: 'orders', client_secret: 'nope' },
    });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json().type).toBe('urn:meridian:problem:invalid-client');
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'client_credentials', client_id: 'ghost', client_secret: 'nope' },
    });
    expect(unknown.statusCode).toBe(401);
    expect(unknown.json()).toEqual({
      ...wrong.json(),
      instance: unknown.json().instance,
      requestId: unknown.json().requestId,
    });
    const scope = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: 'orders',
        client_secret: 'orders-test-secret-0123456789',
        scope: 'users:manage',
      },
    });
    expect(scope.statusCode).toBe(400);
    expect(scope.json().type).toBe('urn:meridian:problem:invalid-scope');
  });

  it('a service token cannot act as a user', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: {
        grant_type: 'client_credentials',
        client_id: 'orders',
        client_secret: 'orders-test-secret-0123456789',
      },
    });
    const me = await t.app.inject({ url: '/v1/me', headers: bearer(res.json().access_token) });
    expect(me.statusCode).toBe(403);
    expect(me.json().type).toBe('urn:meridian:problem:user-required');
  });
});
