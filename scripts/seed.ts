// `pnpm db:seed`: idempotent demo data for every service (safe to run again).
import { seedAll } from './lib/database.ts';
import { loadDotEnv } from './lib/dotenv.ts';

loadDotEnv();
await seedAll(process.env);
console.log('demo data seeded');
