// `pnpm db:seed`: idempotent demo data for every service (safe to run again).
import { seedAll } from './lib/database.ts';
import { loadDotEnv } from './lib/dotenv.ts';

loadDotEnv();
// A laptop command, like `pnpm start`: the auth seed may use its dev admin password unless
// AUTH_DEV_DEFAULTS=false (then it needs AUTH_ADMIN_PASSWORD and ORDERS_CLIENT_SECRET).
process.env.AUTH_DEV_DEFAULTS ||= 'true';
await seedAll(process.env);
console.log('demo data seeded');
