// `pnpm db:migrate`: apply every service's committed migrations to DATABASE_URL.
import { migrateAll } from './lib/database.ts';
import { loadDotEnv } from './lib/dotenv.ts';

loadDotEnv();
await migrateAll(process.env);
console.log('migrations applied: auth, catalog, orders, jobs');
