// A database of the bench run's own, next to DATABASE_URL's, migrated by the services' own
// scripts. Named `<prefix><pid>`, so a database left by a run that was killed (its pid gone)
// is recognised and dropped by the next run, and a live run's is never touched.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);

/** The same server and credentials, another database. */
export function withDb(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

export async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but is not ours to signal.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunDatabase {
  url: string;
  name: string;
  drop: () => Promise<void>;
}

export async function createRunDatabase(databaseUrl: string, prefix: string): Promise<RunDatabase> {
  const name = `${prefix}${process.pid}`;
  const admin = withDb(databaseUrl, 'postgres');
  await withClient(admin, async (c) => {
    const { rows } = await c.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1',
      [`${prefix}%`],
    );
    for (const { datname } of rows) {
      const pid = Number(datname.slice(prefix.length));
      if (datname === name || (Number.isInteger(pid) && !alive(pid))) {
        await c.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
      }
    }
    await c.query(`CREATE DATABASE "${name}"`);
  });
  return {
    url: withDb(databaseUrl, name),
    name,
    drop: () =>
      withClient(admin, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      }),
  };
}

/** A service's own migration script, as `pnpm db:migrate` runs it. */
export async function migrateApp(repoDir: string, app: string, databaseUrl: string): Promise<void> {
  await run('node', ['--import', 'tsx', 'src/db/migrate.ts'], {
    cwd: resolve(repoDir, 'apps', app),
    env: { ...process.env, DATABASE_URL: databaseUrl },
    timeout: 120_000,
  });
}
