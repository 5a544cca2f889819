// PostgreSQL access for Meridian services: pool plugin, drizzle client, migrations.
export { PG_FOREIGN_KEY_VIOLATION, PG_UNIQUE_VIOLATION, pgError } from './errors.ts';
export {
  ensureDatabase,
  type MigrateOptions,
  migrateService,
  runMigrations,
} from './migrate.ts';
export {
  createDb,
  createPool,
  type DbPluginOptions,
  dbPlugin,
  type PoolSettings,
  pingPool,
  registerPoolMetrics,
} from './pool.ts';
