// `pnpm db:seed`: the built-in roles, idempotent (upsert by name).
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { ConfigSchema } from '../config.ts';
import { createAuthDb } from './client.ts';
import { roles } from './schema/index.ts';

export const BUILT_IN_ROLES = [
  { name: 'customer', description: 'Browses the catalog, places and tracks own orders' },
  { name: 'staff', description: 'Manages products, inventory and orders' },
  { name: 'admin', description: 'Everything, including users and roles' },
];

const config = loadConfigOrExit(ConfigSchema);
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'auth-seed',
});
try {
  for (const role of BUILT_IN_ROLES) {
    await createAuthDb(pool)
      .insert(roles)
      .values(role)
      .onConflictDoUpdate({ target: roles.name, set: { description: role.description } });
  }
  console.error(`auth: seeded ${BUILT_IN_ROLES.length} roles`);
} finally {
  await pool.end();
}
