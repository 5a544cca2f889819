// RBAC over HTTP: permission guards, role grants reaching the next token, the audit log.
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createAuthApp, login, makeAdmin, register, sessionLogin } from './helpers.ts';

let t: Awaited<ReturnType<typeof createAuthApp>>;
let adminId: string;
let adminToken: string;
beforeAll(async () => {
  t = await createAuthApp();
  const admin = await register(t.app);
  adminId = admin.id;
  await makeAdmin(t, admin.id);
  adminToken = (await login(t.app, admin.email)).access_token;
});
afterAll(() => t.close());

const put = (userId: string, role: string, token = adminToken) =>
  t.app.inject({
    method: 'PUT',
    url: `/v1/admin/users/${userId}/roles/${role}`,
    headers: bearer(token),
  });
const del = (userId: string, role: string, token = adminToken) =>
  t.app.inject({
    method: 'DELETE',
    url: `/v1/admin/users/${userId}/roles/${role}`,
    headers: bearer(token),
  });

describe('guards', () => {
  it('a customer gets 403 on every admin route, naming the missing permission', async () => {
    const c = await register(t.app);
    const { access_token } = await login(t.app, c.email);
    const list = await t.app.inject({ url: '/v1/admin/users', headers: bearer(access_token) });
    expect(list.statusCode).toBe(403);
    expect(list.json().type).toBe('urn:meridian:problem:forbidden');
    expect(list.json().detail).toContain('users:manage');
    expect((await put(c.id, 'admin', access_token)).statusCode).toBe(403);
    expect((await del(c.id, 'customer', access_token)).statusCode).toBe(403);
    expect(
      (await t.app.inject({ url: '/v1/admin/audit-log', headers: bearer(access_token) }))
        .statusCode,
    ).toBe(403);
    // …and the attempted self-promotion changed nothing.
    expect(
      (await t.app.inject({ url: '/v1/me', headers: bearer(access_token) })).json().roles,
    ).toEqual(['customer']);
  });

  it('no credentials → 401', async () => {
    expect((await t.app.inject({ url: '/v1/admin/users' })).statusCode).toBe(401);
  });
});

describe('granting and revoking roles', () => {
  it('an admin grants staff; the next token carries it; the audit log has the change', async () => {
    const u = await register(t.app);
    const before = await login(t.app, u.email);
    expect(decodeJwt(before.access_token).permissions).toEqual([]);

    expect((await put(u.id, 'staff')).statusCode).toBe(204);
    expect((await put(u.id, 'staff')).statusCode).toBe(204); // idempotent

    const after = await login(t.app, u.email);
    const claims = decodeJwt(after.access_token);
    expect(claims.roles).toEqual(['customer', 'staff']);
    expect(claims.permissions).toEqual(['catalog:write', 'orders:manage', 'orders:read:any']);
    // A refresh picks up grants too.
    const refreshed = await t.app.inject({
      method: 'POST',
      url: '/v1/auth/token',
      payload: { grant_type: 'refresh_token', refresh_token: before.refresh_token },
    });
    expect(decodeJwt(refreshed.json().access_token).roles).toEqual(['customer', 'staff']);

    const audit = await t.app.inject({
      url: `/v1/admin/audit-log?userId=${u.id}`,
      headers: bearer(adminToken),
    });
    expect(audit.statusCode).toBe(200);
    const grants = audit
      .json()
      .items.filter((e: { action: string }) => e.action === 'role.granted');
    expect(grants).toEqual([
      {
        id: expect.any(Number),
        actorId: adminId,
        action: 'role.granted',
        targetUserId: u.id,
        details: { role: 'staff' },
        createdAt: expect.any(String),
      },
    ]);

    expect((await del(u.id, 'staff')).statusCode).toBe(204);
    expect(decodeJwt((await login(t.app, u.email)).access_token).roles).toEqual(['customer']);
    const { rows } = await t.app.pg.query(
      `SELECT action, actor_id, details FROM auth.audit_log WHERE target_user_id = $1 AND action LIKE 'role.%' ORDER BY id`,
      [u.id],
    );
    expect(rows).toEqual([
      { action: 'role.granted', actor_id: adminId, details: { role: 'staff' } },
      { action: 'role.revoked', actor_id: adminId, details: { role: 'staff' } },
    ]);
  });

  it('a cookie session sees a grant at once (grants are read per request)', async () => {
    const u = await register(t.app);
    const s = await sessionLogin(t.app, u.email);
    await put(u.id, 'staff');
    const me = await t.app.inject({ url: '/v1/me', headers: { cookie: s.cookieHeader } });
    expect(me.json().permissions).toContain('catalog:write');
  });

  it('unknown user or role → 404, a malformed role name → 400, nothing audited', async () => {
    const u = await register(t.app);
    const count = async () =>
      Number((await t.app.pg.query('SELECT count(*) FROM auth.audit_log')).rows[0].count);
    const before = await count();
    expect((await put('00000000-0000-4000-8000-000000000000', 'staff')).statusCode).toBe(404);
    expect((await put(u.id, 'wizard')).statusCode).toBe(404);
    expect((await put(u.id, 'Robert%27)%3B%20DROP')).statusCode).toBe(400);
    expect((await put('not-a-uuid', 'staff')).statusCode).toBe(400);
    expect(await count()).toBe(before);
  });

  it('the last admin cannot be removed, not even by themselves; with two, one can go', async () => {
    const { rows } = await t.app.pg.query(
      `SELECT ur.user_id FROM auth.user_roles ur JOIN auth.roles r ON r.id = ur.role_id WHERE r.name = 'admin'`,
    );
    expect(rows).toEqual([{ user_id: adminId }]);
    const res = await del(adminId, 'admin');
    expect(res.statusCode).toBe(409);
    expect(res.json().type).toBe('urn:meridian:problem:last-admin');
    expect(
      (await t.app.inject({ url: '/v1/me', headers: bearer(adminToken) })).json().roles,
    ).toContain('admin');

    const second = await register(t.app);
    expect((await put(second.id, 'admin')).statusCode).toBe(204);
    const secondToken = (await login(t.app, second.email)).access_token;
    // Both try to remove the other at the same moment: exactly one removal may win.
    const [a, b] = await Promise.all([del(second.id, 'admin'), del(adminId, 'admin', secondToken)]);
    expect([a.statusCode, b.statusCode].sort()).toEqual([204, 409]);
    const left = await t.app.pg.query(
      `SELECT count(*)::int AS n FROM auth.user_roles ur JOIN auth.roles r ON r.id = ur.role_id WHERE r.name = 'admin'`,
    );
    expect(left.rows[0].n).toBe(1);
    // Put things back for the other tests: whoever is left re-grants the original admin.
    if (a.statusCode === 409) await put(adminId, 'admin', secondToken);
    else await put(second.id, 'admin');
  });
});

describe('listing users', () => {
  it('pages by email with an opaque cursor, each user with roles and no secrets', async () => {
    for (let i = 0; i < 3; i++) await register(t.app);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const url: string = `/v1/admin/users?limit=2${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await t.app.inject({ url, headers: bearer(adminToken) });
      expect(res.statusCode).toBe(200);
      const page = res.json();
      expect(page.items.length).toBeLessThanOrEqual(2);
      for (const u of page.items) {
        expect(Object.keys(u).sort()).toEqual(['createdAt', 'displayName', 'email', 'id', 'roles']);
        seen.push(u.email);
      }
      cursor = page.nextCursor;
    } while (cursor);
    const total = Number((await t.app.pg.query('SELECT count(*) FROM auth.users')).rows[0].count);
    expect(seen.length).toBe(total);
    expect([...seen].sort()).toEqual(seen);
  });

  it('a forged cursor → 400 invalid-cursor', async () => {
    for (const cursor of ['garbage', Buffer.from('{"e":1}').toString('base64url')]) {
      const res = await t.app.inject({
        url: `/v1/admin/users?cursor=${cursor}`,
        headers: bearer(adminToken),
      });
      expect(res.statusCode).toBe(400);
      expect(res.json().type).toBe('urn:meridian:problem:invalid-cursor');
    }
  });
});
