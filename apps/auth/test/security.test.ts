// Account protection and token hygiene: lockout, login rate limits, equal treatment of
// unknown emails, no hash in any response, and signing-key rotation.

import { createTcpProxy, type TcpProxy } from '@meridian/testing';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { buildKeyStore, generateSigningJwk } from '../src/keys/keystore.ts';
import {
  bearer,
  createAuthApp,
  login,
  makeAdmin,
  PASSWORD,
  refresh,
  register,
  sessionLogin,
  uniqueEmail,
} from './helpers.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function tokenRequest(
  app: Awaited<ReturnType<typeof createAuthApp>>['app'],
  username: string,
  password: string,
  ip = '127.0.0.1',
) {
  return app.inject({
    method: 'POST',
    url: '/v1/auth/token',
    remoteAddress: ip,
    payload: { grant_type: 'password', username, password },
  });
}

describe('lockout', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    t = await createAuthApp({
      AUTH_LOCKOUT_THRESHOLD: '3',
      AUTH_LOCKOUT_BASE_SEC: '1',
      AUTH_LOCKOUT_MAX_SEC: '60',
    });
  });
  afterAll(() => t.close());

  it('N wrong passwords lock the account, even against the right one; the lock expires', async () => {
    const { email } = await register(t.app);
    for (let i = 0; i < 3; i++)
      expect((await tokenRequest(t.app, email, 'wrong password here')).statusCode).toBe(401);
    const locked = await tokenRequest(t.app, email, PASSWORD);
    expect(locked.statusCode).toBe(429);
    expect(locked.json().type).toBe('urn:meridian:problem:login-locked');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // The cookie login shares the lock.
    const sessionTry = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      payload: { email, password: PASSWORD },
    });
    expect(sessionTry.statusCode).toBe(429);

    await sleep(1_100);
    expect((await tokenRequest(t.app, email, PASSWORD)).statusCode).toBe(200);
  });

  it('the next lock lasts longer (growing delays)', async () => {
    const { email } = await register(t.app);
    for (let i = 0; i < 3; i++) await tokenRequest(t.app, email, 'wrong password here');
    expect((await tokenRequest(t.app, email, PASSWORD)).headers['retry-after']).toBe('1');
    await sleep(1_100);
    for (let i = 0; i < 3; i++) await tokenRequest(t.app, email, 'wrong password here');
    expect((await tokenRequest(t.app, email, PASSWORD)).headers['retry-after']).toBe('2');
  });

  it('an unknown email locks exactly like a real one (no enumeration through the lock)', async () => {
    const ghost = uniqueEmail('ghost');
    const real = (await register(t.app)).email;
    const statuses = async (email: string) => {
      const out: number[] = [];
      for (let i = 0; i < 4; i++)
        out.push((await tokenRequest(t.app, email, 'wrong password here')).statusCode);
      return out;
    };
    expect(await statuses(ghost)).toEqual([401, 401, 401, 429]);
    expect(await statuses(real)).toEqual([401, 401, 401, 429]);
  });

  it('a success resets the failure count', async () => {
    const { email } = await register(t.app);
    for (let i = 0; i < 2; i++) await tokenRequest(t.app, email, 'wrong password here');
    expect((await tokenRequest(t.app, email, PASSWORD)).statusCode).toBe(200);
    for (let i = 0; i < 2; i++) await tokenRequest(t.app, email, 'wrong password here');
    expect((await tokenRequest(t.app, email, PASSWORD)).statusCode).toBe(200);
  });
});

describe('login rate limits', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    t = await createAuthApp({
      AUTH_LOGIN_ACCOUNT_MAX: '3',
      AUTH_LOGIN_IP_MAX: '6',
      AUTH_LOCKOUT_THRESHOLD: '100',
    });
  });
  afterAll(() => t.close());

  it('per account: the 4th attempt in a minute → 429 with Retry-After, from any IP', async () => {
    const { email } = await register(t.app);
    for (let i = 0; i < 3; i++) {
      expect((await tokenRequest(t.app, email, PASSWORD, `10.0.0.${i + 1}`)).statusCode).toBe(200);
    }
    const res = await tokenRequest(t.app, email, PASSWORD, '10.0.0.9');
    expect(res.statusCode).toBe(429);
    expect(res.json().type).toBe('urn:meridian:problem:login-rate-limited');
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
  });

  it('a made-up Basic header does not move a password login to another budget', async () => {
    const { email } = await register(t.app);
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        remoteAddress: `10.3.3.${i + 1}`,
        headers: { authorization: `Basic ${Buffer.from(`decoy-${i}:x`).toString('base64')}` },
        payload: { grant_type: 'password', username: email, password: PASSWORD },
      });
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 429]);
  });

  it('per IP: many accounts from one address → 429; another address still gets in', async () => {
    const users = await Promise.all(Array.from({ length: 7 }, () => register(t.app)));
    const codes: number[] = [];
    for (const u of users)
      codes.push((await tokenRequest(t.app, u.email, PASSWORD, '10.1.1.1')).statusCode);
    expect(codes.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    expect(codes[6]).toBe(429);
    expect(
      (await tokenRequest(t.app, users[6]?.email ?? '', PASSWORD, '10.1.1.2')).statusCode,
    ).toBe(200);
  });
});

describe('unknown email vs wrong password timing', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    // Costly parameters (64 MiB, t=3: tens of ms) so the gap we guard against — a real
    // verification vs a bare lookup of a few ms — stands far above scheduling noise.
    t = await createAuthApp({
      AUTH_HASH_MEMORY_KIB: '65536',
      AUTH_HASH_ITERATIONS: '3',
      AUTH_LOCKOUT_THRESHOLD: '100',
    });
  });
  afterAll(() => t.close());

  it('the unknown-email path still runs a hash verification (same order of time)', async () => {
    const { email } = await register(t.app);
    const time = async (username: string) => {
      const start = process.hrtime.bigint();
      const res = await tokenRequest(t.app, username, 'wrong password here');
      expect(res.statusCode).toBe(401);
      return Number(process.hrtime.bigint() - start) / 1e6;
    };
    const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const known: number[] = [];
    const unknown: number[] = [];
    for (let i = 0; i < 5; i++) {
      known.push(await time(email));
      unknown.push(await time(uniqueEmail('nobody')));
    }
    // Without the dummy verification the unknown path is ~10x faster; allow wide noise.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.5);
    expect(median(known)).toBeGreaterThan(10);
  });
});

describe('no response ever contains a password hash', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    t = await createAuthApp();
  });
  afterAll(() => t.close());

  it('checked over every auth route', async () => {
    const bodies: string[] = [];
    const keep = <T extends { body: string; statusCode: number }>(res: T) => {
      bodies.push(res.body);
      return res;
    };
    const admin = await register(t.app);
    await makeAdmin(t, admin.id);
    const user = await register(t.app);
    const adminTokens = await login(t.app, admin.email);
    const tokens = await login(t.app, user.email);
    const s = await sessionLogin(t.app, user.email);
    bodies.push(s.res.body);
    const cookie = { cookie: s.cookieHeader, 'x-csrf-token': s.csrfToken };
    const reg = await t.app.inject({
      method: 'POST',
      url: '/v1/users',
      payload: { email: uniqueEmail(), password: PASSWORD, displayName: 'x' },
    });
    keep(reg);
    keep(await t.app.inject({ url: '/v1/me', headers: bearer(tokens.access_token) }));
    keep(await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } }));
    keep(
      await t.app.inject({
        method: 'PATCH',
        url: '/v1/me',
        headers: cookie,
        payload: { displayName: 'y' },
      }),
    );
    keep(await refresh(t.app, tokens.refresh_token));
    keep(await t.app.inject({ url: '/v1/sessions', headers: cookie }));
    keep(await t.app.inject({ url: '/v1/sessions/current', headers: { cookie: s.cookieHeader } }));
    keep(
      await t.app.inject({ method: 'POST', url: '/v1/sessions/current/token', headers: cookie }),
    );
    keep(await t.app.inject({ url: '/v1/roles' }));
    keep(await t.app.inject({ url: '/.well-known/jwks.json' }));
    keep(
      await t.app.inject({
        url: '/v1/admin/users?limit=100',
        headers: bearer(adminTokens.access_token),
      }),
    );
    keep(
      await t.app.inject({ url: '/v1/admin/audit-log', headers: bearer(adminTokens.access_token) }),
    );
    keep(
      await t.app.inject({
        method: 'PUT',
        url: `/v1/admin/users/${user.id}/roles/staff`,
        headers: bearer(adminTokens.access_token),
      }),
    );
    keep(await tokenRequest(t.app, user.email, 'wrong password here'));
    keep(await t.app.inject({ url: '/docs/json' }));
    keep(
      await t.app.inject({
        method: 'POST',
        url: '/v1/me/password',
        headers: cookie,
        payload: { currentPassword: PASSWORD, newPassword: 'another long passphrase' },
      }),
    );
    expect(bodies.length).toBeGreaterThan(15);
    const all = bodies.join('\n');
    expect(all).not.toContain('$argon2');
    expect(all).not.toMatch(/password_?hash/i);
    expect(all).not.toContain('"d":'); // no private key material either
    // The admin listing did reach the user rows (so the check above is not vacuous).
    expect(all).toContain(user.email);
  });
});

describe('signing-key rotation', () => {
  it('a token from the previous key verifies until that key is retired', async () => {
    const oldJwk = await generateSigningJwk();
    const newJwk = await generateSigningJwk();
    const t = await createAuthApp({}, await buildKeyStore([oldJwk]));
    try {
      const { email } = await register(t.app);
      const { access_token } = await login(t.app, email);
      expect(decodeProtectedHeader(access_token).kid).toBe(oldJwk.kid);

      const serve = async (jwks: (typeof oldJwk)[]) =>
        buildApp(t.config, { keys: await buildKeyStore(jwks) });

      // Rotated: new key first; the old one is still published.
      const rotated = await serve([newJwk, oldJwk]);
      try {
        const jwks = (await rotated.inject({ url: '/.well-known/jwks.json' })).json();
        expect(jwks.keys.map((k: { kid: string }) => k.kid)).toEqual([newJwk.kid, oldJwk.kid]);
        expect(
          (await rotated.inject({ url: '/v1/me', headers: bearer(access_token) })).statusCode,
        ).toBe(200);
        const fresh = await login(rotated, email);
        expect(decodeProtectedHeader(fresh.access_token).kid).toBe(newJwk.kid);
      } finally {
        await rotated.close();
      }

      // Staged (the first step of keys:rotate): the new key is published but does not sign.
      const early = await serve([{ ...newJwk, next: true }, oldJwk]);
      try {
        expect(decodeProtectedHeader((await login(early, email)).access_token).kid).toBe(
          oldJwk.kid,
        );
      } finally {
        await early.close();
      }

      // Retired: only the new key is left, and the old token no longer verifies.
      const retired = await serve([newJwk]);
      try {
        const res = await retired.inject({ url: '/v1/me', headers: bearer(access_token) });
        expect(res.statusCode).toBe(401);
        expect(res.json().type).toBe('urn:meridian:problem:invalid-token');
      } finally {
        await retired.close();
      }
    } finally {
      await t.close();
    }
  });
});

describe('registration rate limit', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    t = await createAuthApp({ AUTH_REGISTER_IP_MAX: '3' });
  });
  afterAll(() => t.close());

  it('each registration costs a hash, so one IP gets a budget: the 4th → 429, nothing created', async () => {
    const attempt = (ip: string) =>
      t.app.inject({
        method: 'POST',
        url: '/v1/users',
        remoteAddress: ip,
        payload: { email: uniqueEmail('burst'), password: PASSWORD, displayName: 'x' },
      });
    for (let i = 0; i < 3; i++) expect((await attempt('10.2.2.2')).statusCode).toBe(201);
    const before = Number((await t.app.pg.query('SELECT count(*) FROM auth.users')).rows[0].count);
    const res = await attempt('10.2.2.2');
    expect(res.statusCode).toBe(429);
    expect(res.json().type).toBe('urn:meridian:problem:register-rate-limited');
    expect(res.headers['retry-after']).toBeDefined();
    expect(Number((await t.app.pg.query('SELECT count(*) FROM auth.users')).rows[0].count)).toBe(
      before,
    );
    expect((await attempt('10.2.2.3')).statusCode).toBe(201);
  });
});

describe('refresh races and login CSRF', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  beforeAll(async () => {
    t = await createAuthApp();
  });
  afterAll(() => t.close());

  it('five concurrent refreshes with one token: exactly one wins, and the family ends', async () => {
    const { email } = await register(t.app);
    const { refresh_token } = await login(t.app, email);
    const results = await Promise.all(
      Array.from({ length: 5 }, () => refresh(t.app, refresh_token)),
    );
    // The conditional UPDATE lets exactly one through; the others see the token used.
    const ok = results.filter((r) => r.statusCode === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.statusCode === 400)).toHaveLength(4);
    // The losers presented a used token: reuse, so even the winner's new token is dead.
    for (const r of ok) expect((await refresh(t.app, r.json().refresh_token)).statusCode).toBe(400);
    const { rows } = await t.app.pg.query(
      `SELECT f.revoked_reason FROM auth.refresh_token_families f JOIN auth.users u ON u.id = f.user_id WHERE u.email = $1`,
      [email],
    );
    expect(rows).toEqual([{ revoked_reason: 'reuse-detected' }]);
  });

  it('the cookie login takes JSON only: a cross-site HTML form cannot post one (login CSRF)', async () => {
    const { email } = await register(t.app);
    const res = await t.app.inject({
      method: 'POST',
      url: '/v1/sessions',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ email, password: PASSWORD }).toString(),
    });
    expect(res.statusCode).toBe(415);
    expect(res.headers['set-cookie']).toBeUndefined();
  });

  it('guessing the current password on a password change counts towards the lockout', async () => {
    const locking = await createAuthApp({ AUTH_LOCKOUT_THRESHOLD: '2' });
    try {
      const { email } = await register(locking.app);
      const { access_token } = await login(locking.app, email);
      const change = (currentPassword: string) =>
        locking.app.inject({
          method: 'POST',
          url: '/v1/me/password',
          headers: bearer(access_token),
          payload: { currentPassword, newPassword: 'a fresh new passphrase' },
        });
      expect((await change('guess number one!')).statusCode).toBe(401);
      expect((await change('guess number two!')).statusCode).toBe(401);
      const locked = await change(PASSWORD);
      expect(locked.statusCode).toBe(429);
      expect(locked.json().type).toBe('urn:meridian:problem:login-locked');
    } finally {
      await locking.close();
    }
  });
});

describe('when Redis is unreachable', () => {
  let t: Awaited<ReturnType<typeof createAuthApp>>;
  let proxy: TcpProxy;
  beforeAll(async () => {
    proxy = await createTcpProxy({ host: '127.0.0.1', port: 6379 });
    t = await createAuthApp({ REDIS_URL: `redis://127.0.0.1:${proxy.port}` });
  });
  afterAll(async () => {
    await t.close();
    await proxy.close();
  });

  it('token logins still work (limits and lockout fail open, ADR 0011); sessions answer 503; nothing is half done', async () => {
    const { email } = await register(t.app);
    const s = await sessionLogin(t.app, email);
    const before = await login(t.app, email);
    await proxy.cut();
    try {
      // Password logins: Postgres and argon2 only; the Redis-backed guards let them through.
      const tokens = await login(t.app, email);
      expect(
        (await t.app.inject({ url: '/v1/me', headers: bearer(tokens.access_token) })).statusCode,
      ).toBe(200);

      // Sessions live in Redis: 503 with Retry-After, never a 500, never a misleading 401.
      const cookieRead = await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } });
      expect(cookieRead.statusCode).toBe(503);
      expect(cookieRead.json().type).toBe('urn:meridian:problem:sessions-unavailable');
      expect(cookieRead.headers['retry-after']).toBe('5');
      const newSession = await t.app.inject({
        method: 'POST',
        url: '/v1/sessions',
        payload: { email, password: PASSWORD },
      });
      expect(newSession.statusCode).toBe(503);

      // A password change needs the sessions ended first: it fails whole, the old password stays.
      const change = await t.app.inject({
        method: 'POST',
        url: '/v1/me/password',
        headers: bearer(tokens.access_token),
        payload: { currentPassword: PASSWORD, newPassword: 'a brand new passphrase here' },
      });
      expect(change.statusCode).toBe(503);
      // logout-all likewise ends sessions first: 503, and the refresh families are intact.
      const all = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/logout-all',
        headers: bearer(tokens.access_token),
      });
      expect(all.statusCode).toBe(503);
      expect((await refresh(t.app, before.refresh_token)).statusCode).toBe(200);
    } finally {
      await proxy.restore();
    }
    // Back: the session cookie works again.
    await expect
      .poll(
        async () =>
          (await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } })).statusCode,
        {
          timeout: 10_000,
        },
      )
      .toBe(200);
    await login(t.app, email); // the old password is still the password
  });
});
