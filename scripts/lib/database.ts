// Migrations and seeds for every service, each through the service's own script, so the
// root never learns a service's tables. Services own separate schemas, so they run in
// parallel.
import { runTsToEnd } from './processes.ts';
import { appPath, SERVICES } from './services.ts';

export async function migrateAll(env: NodeJS.ProcessEnv): Promise<void> {
  // The first creates the database if needed; the rest then find it there.
  const [first, ...rest] = SERVICES;
  if (first) await runTsToEnd(appPath(first, 'src/db/migrate.ts'), env);
  await Promise.all(rest.map((s) => runTsToEnd(appPath(s, 'src/db/migrate.ts'), env)));
}

export async function seedAll(env: NodeJS.ProcessEnv): Promise<void> {
  await Promise.all(SERVICES.map((s) => runTsToEnd(appPath(s, 'src/db/seed.ts'), env)));
}
