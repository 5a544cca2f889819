// `pnpm db:migrate`: creates the database if needed and applies orders's committed migrations.
import { loadConfigOrExit } from '@meridian/config';
import { ensureDatabase, runMigrations } from '@meridian/db';
import { ConfigSchema } from '../config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from './client.ts';

const { DATABASE_URL } = loadConfigOrExit(ConfigSchema);
await ensureDatabase(DATABASE_URL);
await runMigrations({
  connectionString: DATABASE_URL,
  schema: DB_SCHEMA,
  migrationsFolder: MIGRATIONS_FOLDER,
});
console.error(`orders: migrations applied`);
