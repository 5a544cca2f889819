// Cookie sessions against real Redis: attributes, CSRF, fixation, revocation, timeouts,
// and the exchange of a cookie for an access token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAuthApp, PASSWORD, register, sessionLogin } from './helpers.ts';

let t: Awaited<ReturnType<typeof createAuthApp>>;
beforeAll(async () => {
  t = await createAuthApp();
});
afterAll(() => t.close());

describe('POST /v1/sessions', () => {
  it('sets an HttpOnly, SameSite=Lax cookie; plain name and no Secure over http', async () => {
    const { email, id } = await register(t.app);
    const { res, cookie } = await sessionLogin(t.app, email);
    expect(res.json()).toMatchObject({
      userId: id,
      csrfToken: expect.stringMatching(/^[\w-]{43}$/),
    });
    expect(cookie).toMatchObject({
      name: 'meridian_session',
      httpOnly: true,
      sameSite: 'Lax',
      path: '/',
      maxAge: 43_200,
    });
    expect(cookie.secure).toBeUndefined();
    expect(cookie.domain).toBeUndefined();
    expect(cookie.value).toMatch(/^[\w-]{43}$/);
  });

  it('over HTTPS (X-Forwarded-Proto from a trusted proxy) uses __Host- and Secure', async () => {
    const { email } = await register(t.app);
    const { cookie } = await sessionLogin(t.app, email, PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(cookie).toMatchObject({
      name: '__Host-meridian_session',
      secure: true,
      httpOnly: true,
      path: '/',
    });
    expect(cookie.domain).toBeUndefined();
  });

  it('a wrong password sets no cookie', async () => {
    const { email } = await register(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      payload: { email, password: 'wrong wrong wrong wrong' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('regenerates the id at login: a cookie the client arrived with is destroyed', async () => {
    const { email } = await register(t.app);
    const planted = await sessionLogin(t.app, email);
    const fresh = await sessionLogin(t.app, email, PASSWORD, { cookie: planted.cookieHeader });
    expect(fresh.cookie.value).not.toBe(planted.cookie.value);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: planted.cookieHeader } })).statusCode,
    ).toBe(401);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: fresh.cookieHeader } })).statusCode,
    ).toBe(200);
  });

  it('stores only a hash of the cookie value in Redis', async () => {
    const { email } = await register(t.app);
    const { cookie } = await sessionLogin(t.app, email);
    const keys = await t.app.redis.keys(`${t.config.REDIS_PREFIX}auth:session:*`);
    expect(keys.length).toBeGreaterThan(0);
    for (const key of keys) expect(key).not.toContain(cookie.value);
    const dump = JSON.stringify(await Promise.all(keys.map((k) => t.app.redis.hgetall(k))));
    expect(dump).not.toContain(cookie.value);
  });
});

describe('CSRF', () => {
  it('an unsafe cookie-authenticated request needs the X-CSRF-Token', async () => {
    const { email } = await register(t.app);
    const s = await sessionLogin(t.app, email);
    const patch = (headers: Record<string, string>) =>
      t.app.inject({
        method: 'PATCH',
        url: '/v1/me',
        headers,
        payload: { displayName: 'Changed' },
      });

    const none = await patch({ cookie: s.cookieHeader });
    expect(none.statusCode).toBe(403);
    expect(none.json().type).toBe('urn:meridian:problem:csrf-token-invalid');
    const wrong = await patch({ cookie: s.cookieHeader, 'x-csrf-token': 'A'.repeat(43) });
    expect(wrong.statusCode).toBe(403);
    const { rows } = await t.app.pg.query('SELECT display_name FROM auth.users WHERE email = $1', [
      email,
    ]);
    expect(rows[0].display_name).toBe('Test User');

    const ok = await patch({ cookie: s.cookieHeader, 'x-csrf-token': s.csrfToken });
    expect(ok.statusCode).toBe(200);
    expect(ok.json().displayName).toBe('Changed');
  });

  it('a safe request needs no CSRF token, and a bearer request never does', async () => {
    const { email } = await register(t.app);
    const s = await sessionLogin(t.app, email);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
    ).toBe(200);
    const exchanged = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions/current/token',
      headers: { cookie: s.cookieHeader, 'x-csrf-token': s.csrfToken },
    });
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: bearer(exchanged.json().access_token),
      payload: { displayName: 'Via bearer' },
    });
    expect(res.statusCode).toBe(200);
  });

  it('another session’s CSRF token does not work', async () => {
    const { email } = await register(t.app);
    const a = await sessionLogin(t.app, email);
    const b = await sessionLogin(t.app, email);
    const res = await t.app.inject({
      method: 'PATCH',
      url: '/v1/me',
      headers: { cookie: a.cookieHeader, 'x-csrf-token': b.csrfToken },
      payload: { displayName: 'x' },
    });
    expect(res.statusCode).toBe(403);
  });
});

describe('listing and revoking sessions', () => {
  it('lists your sessions, marks the current one, and revoking one takes effect at once', async () => {
    const { email } = await register(t.app);
    const phone = await sessionLogin(t.app, email, PASSWORD, { 'user-agent': 'phone' });
    const laptop = await sessionLogin(t.app, email, PASSWORD, { 'user-agent': 'laptop' });

    const list = await t.app.inject({
      url: '/v1/sessions',
      headers: { cookie: laptop.cookieHeader },
    });
    expect(list.statusCode).toBe(200);
    const items = list.json().items as { id: string; current: boolean; userAgent: string }[];
    expect(items.map((s) => s.userAgent).sort()).toEqual(['laptop', 'phone']);
    expect(items.find((s) => s.current)?.id).toBe(laptop.sessionId);
    for (const item of items) expect(JSON.stringify(item)).not.toContain(laptop.cookie.value);

    const revoke = await t.app.inject({
      method: 'DELETE',
      url: `/v1/sessions/${phone.sessionId}`,
      headers: { cookie: laptop.cookieHeader, 'x-csrf-token': laptop.csrfToken },
    });
    expect(revoke.statusCode).toBe(204);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: phone.cookieHeader } })).statusCode,
    ).toBe(401);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: laptop.cookieHeader } })).statusCode,
    ).toBe(200);
  });

  it('someone else’s session id → 404, and their session survives', async () => {
    const alice = await register(t.app);
    const bob = await register(t.app);
    const a = await sessionLogin(t.app, alice.email);
    const b = await sessionLogin(t.app, bob.email);
    const res = await t.app.inject({
      method: 'DELETE',
      url: `/v1/sessions/${b.sessionId}`,
      headers: { cookie: a.cookieHeader, 'x-csrf-token': a.csrfToken },
    });
    expect(res.statusCode).toBe(404);
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: b.cookieHeader } })).statusCode,
    ).toBe(200);
  });

  it('DELETE /v1/sessions/current logs out and clears the cookie', async () => {
    const { email } = await register(t.app);
    const s = await sessionLogin(t.app, email);
    const res = await t.app.inject({
      method: 'DELETE',
      url: '/v1/sessions/current',
      headers: { cookie: s.cookieHeader, 'x-csrf-token': s.csrfToken },
    });
    expect(res.statusCode).toBe(204);
    expect(res.cookies[0]).toMatchObject({ name: 'meridian_session', value: '', maxAge: 0 });
    expect(
      (await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
    ).toBe(401);
  });

  it('session routes refuse a bearer token (they act on the cookie)', async () => {
    const { email } = await register(t.app);
    const s = await sessionLogin(t.app, email);
    const tok = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions/current/token',
      headers: { cookie: s.cookieHeader, 'x-csrf-token': s.csrfToken },
    });
    const res = await t.app.inject({
      url: '/v1/sessions/current',
      headers: bearer(tok.json().access_token),
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().type).toBe('urn:meridian:problem:session-required');
  });
});

describe('token exchange', () => {
  it('needs CSRF, and returns a short access token with the user’s current grants', async () => {
    const { email, id } = await register(t.app);
    const s = await sessionLogin(t.app, email);
    const noCsrf = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions/current/token',
      headers: { cookie: s.cookieHeader },
    });
    expect(noCsrf.statusCode).toBe(403);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions/current/token',
      headers: { cookie: s.cookieHeader, 'x-csrf-token': s.csrfToken },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.json()).toMatchObject({ token_type: 'Bearer', expires_in: 600 });
    const me = await t.app.inject({ url: '/v1/me', headers: bearer(res.json().access_token) });
    expect(me.json().id).toBe(id);
  });
});

describe('timeouts', () => {
  let short: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    short = await createAuthApp({ AUTH_SESSION_IDLE_SEC: '1', AUTH_SESSION_ABSOLUTE_SEC: '2' });
  });
  afterAll(() => short.close());

  it('an idle session expires after the idle timeout', async () => {
    const { email } = await register(short.app);
    const s = await sessionLogin(short.app, email);
    expect(
      (await short.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
    ).toBe(200);
    await new Promise((r) => setTimeout(r, 1_300));
    expect(
      (await short.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
    ).toBe(401);
  });

  it('a busy session still ends at the absolute timeout', async () => {
    // Idle longer than absolute here, so only the absolute limit can end it.
    const busy = await createAuthApp({
      AUTH_SESSION_IDLE_SEC: '60',
      AUTH_SESSION_ABSOLUTE_SEC: '1',
    });
    try {
      const { email } = await register(busy.app);
      const s = await sessionLogin(busy.app, email);
      expect(
        (await busy.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
      ).toBe(200);
      await new Promise((r) => setTimeout(r, 600));
      expect(
        (await busy.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
      ).toBe(200);
      await new Promise((r) => setTimeout(r, 600));
      expect(
        (await busy.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
      ).toBe(401);
    } finally {
      await busy.close();
    }
  });
});
