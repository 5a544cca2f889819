// Signing keys are generated once and kept; without dev defaults the service refuses to run
// without configured keys; the seed takes the admin password from configuration.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@meridian/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { buildKeyStore, generateSigningJwk, loadKeyStore } from '../src/keys/keystore.ts';
import { rotate } from '../src/keys/rotate.ts';
import { createAuthApp, login } from './helpers.ts';

const run = promisify(execFile);
const APP_DIR = fileURLToPath(new URL('..', import.meta.url));

describe('signing keys', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'meridian-keys-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('a local run generates one key, keeps it (mode 0600) and reuses it on the next start', async () => {
    const keyFile = join(dir, 'nested', 'keys.json');
    const first = await loadKeyStore({ signingKeys: undefined, keyFile, allowGenerated: true });
    const second = await loadKeyStore({ signingKeys: undefined, keyFile, allowGenerated: true });
    expect(second.signer().kid).toBe(first.signer().kid);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const stored = JSON.parse(await readFile(keyFile, 'utf8'));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({
      kty: 'OKP',
      crv: 'Ed25519',
      alg: 'EdDSA',
      d: expect.any(String),
    });
    // The JWKS publishes the public half only.
    expect(first.jwks.keys[0]).not.toHaveProperty('d');
  });

  it('without dev defaults, a missing AUTH_SIGNING_KEYS refuses to start', async () => {
    await expect(
      loadKeyStore({ signingKeys: undefined, keyFile: join(dir, 'k.json'), allowGenerated: false }),
    ).rejects.toThrow(/AUTH_SIGNING_KEYS/);
  });

  it('configured keys: all published, the first signs', async () => {
    const a = await generateSigningJwk();
    const b = await generateSigningJwk('ES256');
    const store = await loadKeyStore({
      signingKeys: JSON.stringify([{ ...a, created: 0 }, b]),
      keyFile: '/nonexistent/never-read.json',
      allowGenerated: false,
    });
    expect(store.jwks.keys.map((k) => k.alg)).toEqual(['EdDSA', 'ES256']);
    expect(store.signer().kid).toBe(a.kid);
  });

  it('rotation in two steps: a staged key is published first, signs only once promoted', async () => {
    const a = await generateSigningJwk();
    const staged = await rotate([a]);
    expect(staged.keys).toHaveLength(2);
    const b = staged.keys[0];
    expect(b).toMatchObject({ next: true });
    const duringStaging = await buildKeyStore(staged.keys);
    expect(duringStaging.jwks.keys.map((k) => k.kid)).toEqual([b?.kid, a.kid]);
    expect(duringStaging.signer().kid).toBe(a.kid);
    for (const k of duringStaging.jwks.keys) expect(k).not.toHaveProperty('next');

    // Promoting at once would sign with a key no verifier has fetched yet: refused.
    await expect(rotate(staged.keys)).rejects.toThrow(/staged 0 s ago/);
    const later = Math.floor(Date.now() / 1000) + 61;
    const promoted = await rotate(staged.keys, { now: later });
    expect(promoted.keys.map((k) => k.kid)).toEqual([b?.kid, a.kid]);
    expect(promoted.keys[0]).not.toHaveProperty('next');
    expect((await buildKeyStore(promoted.keys)).signer().kid).toBe(b?.kid);

    // The next rotation retires a once its successor is promoted.
    const again = await rotate((await rotate(promoted.keys)).keys, { force: true });
    expect(again.keys.map((k) => k.kid)).toEqual([again.keys[0]?.kid, b?.kid]);
    expect(again.keys.map((k) => k.kid)).not.toContain(a.kid);
  });

  it('a key set where every key is staged has no signer and is refused', async () => {
    const { keys } = await rotate([]);
    await expect(buildKeyStore(keys)).rejects.toThrow(/every key is staged/);
  });

  it('a public key alone is refused as a signing key', async () => {
    const { d: _d, ...pub } = await generateSigningJwk();
    await expect(
      loadKeyStore({ signingKeys: JSON.stringify([pub]), keyFile: 'x', allowGenerated: true }),
    ).rejects.toThrow(/no private part/);
  });
});

describe('seed', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
  });
  afterAll(() => db.drop());

  const seed = (env: Record<string, string>) =>
    run(process.execPath, ['--import', 'tsx', 'src/db/seed.ts'], {
      cwd: APP_DIR,
      env: {
        ...process.env,
        DATABASE_URL: db.url,
        AUTH_DEV_DEFAULTS: 'true',
        AUTH_HASH_MEMORY_KIB: '8192',
        AUTH_HASH_ITERATIONS: '1',
        ...env,
      },
    });

  it('without dev defaults, refuses to run without the admin password and the client secret', async () => {
    const err = await seed({
      AUTH_DEV_DEFAULTS: 'false',
      AUTH_ISSUER: 'https://auth.example.test',
      AUTH_SIGNING_KEYS: JSON.stringify([await generateSigningJwk()]),
    }).catch((e: { code: number; stderr: string }) => e);
    expect(err).toMatchObject({ code: 1 });
    expect((err as { stderr: string }).stderr).toContain(
      'AUTH_ADMIN_PASSWORD must be set when AUTH_DEV_DEFAULTS=false',
    );
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      expect((await client.query('SELECT count(*) FROM auth.users')).rows[0].count).toBe('0');
    } finally {
      await client.end();
    }
  });

  // Two seed processes (tsx start-up, argon2 hashing) and an app: over 20 s when CI runs every
  // suite at once.
  it('creates the admin with the configured password, idempotently, and the orders client', {
    timeout: 60_000,
  }, async () => {
    const env = {
      AUTH_ADMIN_EMAIL: 'boss@example.test',
      AUTH_ADMIN_PASSWORD: 'the configured admin passphrase',
      ORDERS_CLIENT_SECRET: 'configured-orders-secret-123',
    };
    await seed(env);
    await seed(env); // twice: no duplicate, no error
    // An app on the seeded database (createTestApp lets env override its cloned one).
    const t = await createAuthApp({ DATABASE_URL: db.url });
    try {
      const { access_token } = await login(t.app, 'boss@example.test', env.AUTH_ADMIN_PASSWORD);
      const me = await t.app.inject({
        url: '/v1/me',
        headers: { authorization: `Bearer ${access_token}` },
      });
      expect(me.json().roles).toEqual(['admin']);
      expect(me.json().permissions).toContain('users:manage');
      const svc = await t.app.inject({
        method: 'POST',
        url: '/v1/auth/token',
        payload: {
          grant_type: 'client_credentials',
          client_id: 'orders',
          client_secret: env.ORDERS_CLIENT_SECRET,
        },
      });
      expect(svc.statusCode).toBe(200);
      expect(svc.json().scope).toBe('inventory:reserve');
      const { rows } = await t.app.pg.query('SELECT count(*) FROM auth.users');
      expect(rows[0].count).toBe('1');
      const audit = await t.app.pg.query('SELECT action FROM auth.audit_log');
      expect(audit.rows).toEqual([{ action: 'user.seeded-admin' }]);

      // An admin role revoked on purpose stays revoked: the seed does not re-grant it.
      await t.app.pg.query('DELETE FROM auth.user_roles');
      await seed(env);
      const after = await t.app.pg.query('SELECT count(*)::int AS n FROM auth.user_roles');
      expect(after.rows[0].n).toBe(0);
    } finally {
      await t.close();
    }
  });
});
