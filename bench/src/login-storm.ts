// What the login-storm scenario needs around its servers: a fresh database of its own for
// the auth service (created, migrated, dropped), a temporary signing-key file, a Redis key
// prefix of its own, and the user the storm logs in as. The servers are in scenarios.ts.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRunDatabase, migrateApp } from './run-database.ts';

// Our pid in the name, so two runs never share a database and a leftover is attributable.
const DB_PREFIX = 'meridian_bench_auth_';

export interface LoginUser {
  username: string;
  password: string;
}

export interface StormFixture {
  databaseUrl: string;
  env: Record<string, string>;
  notes: string[];
  login: LoginUser;
  teardown: () => Promise<void>;
}

/** The run's own auth database (see run-database.ts). */
export const setupStormDatabase = (databaseUrl: string) =>
  createRunDatabase(databaseUrl, DB_PREFIX);

/** The auth service's own migration script, as `pnpm db:migrate` runs it. */
export const migrateAuth = (repoDir: string, databaseUrl: string) =>
  migrateApp(repoDir, 'auth', databaseUrl);

export async function setupLoginStorm(repoDir: string, databaseUrl: string): Promise<StormFixture> {
  const db = await setupStormDatabase(databaseUrl);
  let keyDir: string | null = null;
  try {
    await migrateAuth(repoDir, db.url);
    keyDir = await mkdtemp(join(tmpdir(), 'meridian-bench-auth-'));
    const dir = keyDir;
    return {
      databaseUrl: db.url,
      env: {
        // The local-run key path: the service generates its signing key into this file on
        // first start (the I/O-counting instance reuses it), not into the repo's .meridian/.
        // Generating a key is a dev default, which the service must be told it may use.
        AUTH_DEV_DEFAULTS: 'true',
        AUTH_KEY_FILE: join(dir, 'auth-signing-keys.json'),
        // Lockout and rate-limit keys apart from anyone else's on the shared Redis.
        REDIS_PREFIX: `bench_${process.pid}:`,
      },
      notes: [
        `the auth service ran on a database of its own, ${new URL(db.url).pathname.slice(1)}: ` +
          'created, migrated with apps/auth/src/db/migrate.ts and dropped by the run; Redis ' +
          `keys under bench_${process.pid}:; signing key generated into a temporary file`,
      ],
      login: {
        username: `login-storm-${process.pid}@bench.example.com`,
        // Random and long: passes the password policy (15+ characters, not a common one).
        password: `storm-${randomBytes(18).toString('base64url')}`,
      },
      teardown: async () => {
        await rm(dir, { recursive: true, force: true });
        await db.drop();
      },
    };
  } catch (err) {
    if (keyDir) await rm(keyDir, { recursive: true, force: true });
    await db.drop().catch(() => undefined);
    throw new Error(`login-storm setup: ${(err as Error).message}`);
  }
}

/** Registers the user the storm logs in as (POST /v1/users answers 201). */
export async function registerUser(port: number, login: LoginUser): Promise<void> {
  const res = await fetch(`http://127.0.0.1:${port}/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      email: login.username,
      password: login.password,
      displayName: 'Login Storm',
    }),
    signal: AbortSignal.timeout(10_000),
  });
  const body = await res.text();
  if (res.status !== 201) {
    throw new Error(`POST /v1/users answered ${res.status}: ${body.slice(0, 300)}`);
  }
}
