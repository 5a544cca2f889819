// `pnpm db:migrate`: creates the database if needed and applies the catalog service's committed migrations.
import { loadConfigOrExit } from '@meridian/config';
import { migrateService } from '@meridian/db';
import { ConfigSchema } from '../config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from './client.ts';

const { DATABASE_URL } = loadConfigOrExit(ConfigSchema);
await migrateService({
  connectionString: DATABASE_URL,
  schema: DB_SCHEMA,
  migrationsFolder: MIGRATIONS_FOLDER,
});
console.error('catalog: migrations applied');
