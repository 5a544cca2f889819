// One real, migrated database per test file, cloned from a template in ~100 ms instead of
// migrating from scratch each time. The template's name carries a hash of the migrations, so
// a changed migration builds a new template. Parallel-safe: template builds and clones are
// serialized on an advisory lock (Postgres refuses to clone a database someone is connected
// to). See docs/testing.md and ADR 0003.
import { createHash, randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runMigrations } from '@meridian/db';
import pg from 'pg';

export const ADMIN_DATABASE_URL =
  process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

function urlFor(database: string): string {
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${database}`;
  return url.toString();
}

function hashFolder(folder: string): string {
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name.localeCompare(b.name),
    )) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else hash.update(entry.name).update(readFileSync(path));
    }
  };
  walk(folder);
  return hash.digest('hex').slice(0, 10);
}

async function withAdmin<T>(fn: (admin: pg.Client) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query("SELECT pg_advisory_lock(hashtext('meridian:test-databases'))");
    return await fn(admin);
  } finally {
    await admin.end(); // ending the session releases the advisory lock
  }
}

export interface TestDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

export interface TestDatabaseOptions {
  /** The service's schema (also the template's name part). */
  schema: string;
  migrationsFolder: string;
}

/** Clones a fresh database for this test file from the service's migrated template. */
export async function createTestDatabase(opts: TestDatabaseOptions): Promise<TestDatabase> {
  const template = `meridian_tpl_${opts.schema}_${hashFolder(opts.migrationsFolder)}`;
  const name = `meridian_test_${opts.schema}_${randomBytes(5).toString('hex')}`;

  await withAdmin(async (admin) => {
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
    if (exists.rowCount === 0) {
      await admin.query(`CREATE DATABASE "${template}"`);
      try {
        await runMigrations({
          connectionString: urlFor(template),
          schema: opts.schema,
          migrationsFolder: opts.migrationsFolder,
        });
      } catch (err) {
        await admin.query(`DROP DATABASE IF EXISTS "${template}"`);
        throw err;
      }
      // Templates of this schema's older migrations are dead weight now: drop them.
      const stale = await admin.query<{ datname: string }>(
        'SELECT datname FROM pg_database WHERE datname ~ $1 AND datname <> $2',
        [`^meridian_tpl_${opts.schema}_[0-9a-f]{10}$`, template],
      );
      for (const { datname } of stale.rows) {
        await admin.query(`DROP DATABASE IF EXISTS "${datname}"`).catch(() => {
          // still cloned from by a run of the old code: leave it for next time
        });
      }
    }
    await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  });

  return {
    name,
    url: urlFor(name),
    async drop() {
      const admin = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
