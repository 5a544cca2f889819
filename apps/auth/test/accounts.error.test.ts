// What bad input gets: a clear problem+json, and no change in the database.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAuthApp, login, PASSWORD, register, uniqueEmail } from './helpers.ts';

let t: Awaited<ReturnType<typeof createAuthApp>>;
beforeAll(async () => {
  // A lower minimum here so the blocklist can be exercised with 8-character passwords.
  t = await createAuthApp({ AUTH_PASSWORD_MIN_LENGTH: '8' });
});
afterAll(() => t.close());

const userCount = async () =>
  Number((await t.app.pg.query('SELECT count(*) FROM auth.users')).rows[0].count);

function registerRaw(payload: unknown) {
  return t.app.inject({ method: 'POST', url: '/v1/users', payload: payload as object });
}

describe('registration refuses', () => {
  it.each([
    ['a missing password', { email: uniqueEmail(), displayName: 'x' }, '/password'],
    ['a bad email', { email: 'not-an-email', password: PASSWORD, displayName: 'x' }, '/email'],
    [
      'an empty display name',
      { email: uniqueEmail(), password: PASSWORD, displayName: '' },
      '/displayName',
    ],
    [
      'a 129-character password',
      { email: uniqueEmail(), password: 'x'.repeat(129), displayName: 'x' },
      '/password',
    ],
    [
      'a number as password',
      { email: uniqueEmail(), password: 123456789012345, displayName: 'x' },
      '/password',
    ],
  ])('%s → 400 naming the field', async (_label, payload, pointer) => {
    const before = await userCount();
    const res = await registerRaw(payload);
    expect(res.statusCode).toBe(400);
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json().errors.map((e: { pointer: string }) => e.pointer)).toContain(pointer);
    expect(await userCount()).toBe(before);
  });

  it.each([
    ['role', { role: 'admin' }],
    ['roles', { roles: ['admin'] }],
    ['passwordHash', { passwordHash: '$argon2id$v=19$m=1,t=1,p=1$x$y' }],
    ['id', { id: '00000000-0000-0000-0000-000000000001' }],
  ])('an extra %s field (mass assignment) → 400 and no user', async (field, extra) => {
    const email = uniqueEmail('mass');
    const res = await registerRaw({ email, password: PASSWORD, displayName: 'Mallory', ...extra });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:meridian:problem:validation-failed');
    expect(JSON.stringify(res.json().errors)).toContain(field);
    const { rows } = await t.app.pg.query('SELECT 1 FROM auth.users WHERE email = $1', [email]);
    expect(rows).toEqual([]);
  });

  it.each([
    ['too short', 'short12', 'at least 8 characters'],
    ['common', 'iloveyou', 'most commonly used'],
    ['common, any case', 'PassWord123', 'most commonly used'],
    ['one repeated character', 'aaaaaaaaaaaa', 'single repeated character'],
    ['the service name twice', 'meridianmeridian', 'service name'],
  ])('a weak password (%s) → 400 weak-password', async (_label, password, detail) => {
    const before = await userCount();
    const res = await registerRaw({ email: uniqueEmail(), password, displayName: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ type: 'urn:meridian:problem:weak-password' });
    expect(res.json().detail).toContain(detail);
    expect(res.json().errors).toEqual([
      { in: 'body', pointer: '/password', detail: expect.stringContaining(detail) },
    ]);
    expect(await userCount()).toBe(before);
  });

  it('a password equal to the email → 400', async () => {
    const email = uniqueEmail('same');
    const res = await registerRaw({ email, password: email, displayName: 'x' });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:meridian:problem:weak-password');
  });

  it('an email already registered, in any case → 409 email-taken, nothing changed', async () => {
    const { email } = await register(t.app);
    const before = await userCount();
    const res = await registerRaw({
      email: email.toUpperCase(),
      password: PASSWORD,
      displayName: 'Again',
    });
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('urn:meridian:problem:email-taken');
    expect(await userCount()).toBe(before);
  });
});

describe('login refuses', () => {
  it('unknown email and wrong password alike: same status, same body', async () => {
    const { email } = await register(t.app);
    const wrong = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'password', username: email, password: 'definitely not it' },
    });
    const unknown = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: {
        grant_type: 'password',
        username: uniqueEmail('ghost'),
        password: 'definitely not it',
      },
    });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    const strip = (b: Record<string, unknown>) => ({
      ...b,
      instance: undefined,
      requestId: undefined,
    });
    expect(strip(unknown.json())).toEqual(strip(wrong.json()));
    expect(wrong.json().type).toBe('urn:meridian:problem:invalid-credentials');
  });

  it.each([
    ['no grant_type', { username: 'a@b.c', password: 'x' }, 400],
    ['an unknown grant_type', { grant_type: 'implicit' }, 400],
    ['password grant without username', { grant_type: 'password', password: 'x' }, 400],
    ['password grant without password', { grant_type: 'password', username: 'a@b.c' }, 400],
    ['refresh grant without the token', { grant_type: 'refresh_token' }, 400],
    ['a malformed refresh token', { grant_type: 'refresh_token', refresh_token: 'abc' }, 400],
    [
      'an unknown well-formed refresh token',
      { grant_type: 'refresh_token', refresh_token: 'A'.repeat(43) },
      400,
    ],
    [
      'client grant without a secret',
      { grant_type: 'client_credentials', client_id: 'orders' },
      400,
    ],
    [
      'an extra field',
      { grant_type: 'password', username: 'a@b.c', password: 'x', admin: true },
      400,
    ],
  ])('%s → %i problem', async (_label, payload, status) => {
    const res = await t.app.inject({ method: 'POST', url: '/v1/auth/token', payload });
    expect(res.statusCode).toBe(status);
    expect(res.headers['content-type']).toContain('application/problem+json');
  });

  it('a Basic header with a malformed %-escape → 400, not 500', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: {
        authorization: `Basic ${Buffer.from('orders%E0%A4%A:secret').toString('base64')}`,
      },
      payload: { grant_type: 'client_credentials' },
    });
    expect(res.statusCode).toBe(400);
  });

  it('client credentials in both the header and the body → 400 (one method per request)', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { authorization: `Basic ${Buffer.from('orders:secret-one').toString('base64')}` },
      payload: {
        grant_type: 'client_credentials',
        client_id: 'other',
        client_secret: 'secret-two',
      },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:meridian:problem:invalid-request');
  });

  it('a garbage Basic header is not client authentication', async () => {
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      headers: { authorization: 'Basic !!!notbase64' },
      payload: { grant_type: 'client_credentials' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:meridian:problem:invalid-request');
  });
});

describe('authenticated routes refuse', () => {
  it('no credentials → 401 with WWW-Authenticate', async () => {
    const res = await t.app.inject({ url: '/v1/me' });
    expect(res.statusCode).toBe(401);
    expect(res.headers['www-authenticate']).toMatch(/^Bearer/);
  });

  it('a garbage bearer token → 401 invalid-token', async () => {
    const res = await t.app.inject({
      url: '/v1/me',
      headers: { authorization: 'Bearer not.a.jwt' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.json().type).toBe('urn:meridian:problem:invalid-token');
  });

  it('a password change with a weak new password → 400 and the old password still works', async () => {
    const { email } = await register(t.app);
    const { access_token } = await login(t.app, email);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/me/password',
      headers: { authorization: `Bearer ${access_token}` },
      payload: { currentPassword: PASSWORD, newPassword: 'iloveyou' },
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().errors[0].pointer).toBe('/newPassword');
    await login(t.app, email);
  });

  it('PATCH /v1/me with an email field → 400 (email changes need verification, #8)', async () => {
    const { email } = await register(t.app);
    const { access_token } = await login(t.app, email);
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: { authorization: `Bearer ${access_token}` },
      payload: { displayName: 'ok', email: 'new@example.test' },
    });
    expect(res.statusCode).toBe(400);
  });
});
