// The db package against the real server: migrations (idempotent, concurrent-safe, journal
// in the service's schema), database creation, pool timeouts and pool metrics.
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createPool,
  ensureDatabase,
  pingPool,
  registerPoolMetrics,
  runMigrations,
} from '../src/index.ts';

// Not from @meridian/testing: that package depends on this one.
const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MIGRATIONS = fileURLToPath(new URL('./fixtures/migrations', import.meta.url));
const dbName = `meridian_test_db_${randomBytes(4).toString('hex')}`;
const url = (() => {
  const u = new URL(ADMIN_DATABASE_URL);
  u.pathname = `/${dbName}`;
  return u.toString();
})();

async function admin(sql: string) {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    return await client.query(sql);
  } finally {
    await client.end();
  }
}

beforeAll(() => ensureDatabase(url));
afterAll(() => admin(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));

describe('ensureDatabase', () => {
  it('creates the database once and is a no-op afterwards', async () => {
    await ensureDatabase(url);
    const { rowCount } = await admin(`SELECT 1 FROM pg_database WHERE datname = '${dbName}'`);
    expect(rowCount).toBe(1);
  });

  it('refuses a database name it would have to quote', async () => {
    await expect(ensureDatabase('postgres://postgres@127.0.0.1:5432/bad%22name')).rejects.toThrow(
      /unsupported database name/,
    );
  });
});

describe('runMigrations', () => {
  it('applies migrations once, even when two replicas start at the same moment', async () => {
    const opts = { connectionString: url, schema: 'dbtest', migrationsFolder: MIGRATIONS };
    await Promise.all([runMigrations(opts), runMigrations(opts)]);
    await runMigrations(opts);
    const pool = createPool({ connectionString: url, max: 1, applicationName: 'test' });
    try {
      const journal = await pool.query(
        'SELECT count(*)::int AS n FROM dbtest.__drizzle_migrations',
      );
      expect(journal.rows[0].n).toBe(1);
      await pool.query("INSERT INTO dbtest.things (name) VALUES ('ok')");
    } finally {
      await pool.end();
    }
  });
});

describe('the pool', () => {
  it('cuts off a statement that runs past the timeout instead of hanging', async () => {
    const pool = createPool({
      connectionString: url,
      max: 1,
      applicationName: 'test',
      statementTimeoutMs: 200,
    });
    try {
      await expect(pool.query('SELECT pg_sleep(3)')).rejects.toThrow(/statement timeout/);
      await pingPool(pool); // the connection is still usable afterwards
    } finally {
      await pool.end();
    }
  });

  it('fails a ping within its deadline when the server does not answer', async () => {
    const pool = createPool({ connectionString: url, max: 1, applicationName: 'test' });
    const client = await pool.connect();
    try {
      const started = Date.now();
      // Hold the pool's only connection, so the ping has to wait past its deadline.
      const held = client.query('SELECT pg_sleep(1)');
      await expect(pingPool(pool, 100)).rejects.toThrow(/did not answer in 100 ms/);
      expect(Date.now() - started).toBeLessThan(900);
      await held;
    } finally {
      client.release();
      await pool.end();
    }
  });

  it('exposes its size, idle and waiting counts as gauges', async () => {
    const pool = createPool({ connectionString: url, max: 2, applicationName: 'test' });
    const registry = new Registry();
    registerPoolMetrics(pool, registry);
    try {
      await Promise.all([pool.query('SELECT 1'), pool.query('SELECT 1')]);
      const text = await registry.metrics();
      expect(text).toContain('db_pool_connections_total 2');
      expect(text).toContain('db_pool_connections_idle 2');
      expect(text).toContain('db_pool_requests_waiting 0');
    } finally {
      await pool.end();
    }
  });
});
