// `pnpm db:seed`: demo accounts and service clients, idempotent. Roles and permissions are
// reference data and come with the migrations. The admin's password comes from
// AUTH_ADMIN_PASSWORD; only with AUTH_DEV_DEFAULTS is there a (loudly announced) dev default.
import { loadConfigOrExit } from '@meridian/config';
import { createPool } from '@meridian/db';
import { sql } from 'drizzle-orm';
import {
  ConfigSchema,
  DEV_ADMIN_PASSWORD,
  DEV_ORDERS_CLIENT_SECRET,
  missingSecrets,
} from '../config.ts';
import { appendAudit } from '../modules/audit/audit.repository.ts';
import { createPasswordHasher } from '../modules/passwords/password-hasher.ts';
import { createAuthDb } from './client.ts';
import { roles, serviceClients, userRoles, users } from './schema/index.ts';

export const SERVICE_CLIENTS = [
  {
    id: 'orders',
    description: 'The orders service: reserves stock in catalog during checkout',
    scopes: ['inventory:reserve'],
  },
];

const config = loadConfigOrExit(ConfigSchema);
const strict = !config.AUTH_DEV_DEFAULTS;
const problems = [
  ...missingSecrets(config),
  ...(strict && !config.AUTH_ADMIN_PASSWORD
    ? ['AUTH_ADMIN_PASSWORD must be set when AUTH_DEV_DEFAULTS=false']
    : []),
  ...(strict && !config.ORDERS_CLIENT_SECRET
    ? ['ORDERS_CLIENT_SECRET must be set when AUTH_DEV_DEFAULTS=false']
    : []),
];
if (problems.length) {
  console.error(`auth seed: refusing to run:\n  - ${problems.join('\n  - ')}`);
  process.exit(1);
}

const hasher = createPasswordHasher({
  memoryCost: config.AUTH_HASH_MEMORY_KIB,
  timeCost: config.AUTH_HASH_ITERATIONS,
  parallelism: config.AUTH_HASH_PARALLELISM,
});
const pool = createPool({
  connectionString: config.DATABASE_URL,
  max: 1,
  applicationName: 'auth-seed',
});
const db = createAuthDb(pool);
try {
  const email = config.AUTH_ADMIN_EMAIL.trim().toLowerCase();
  const adminPassword = config.AUTH_ADMIN_PASSWORD ?? DEV_ADMIN_PASSWORD;
  // Created once, with the admin role, and audited. An existing account is left alone: its
  // password may have changed, and its admin role may have been revoked on purpose — a seed
  // that re-granted it on every start would silently undo that.
  const admin = await db.transaction(async (tx) => {
    const [created] = await tx
      .insert(users)
      .values({ email, displayName: 'Admin', passwordHash: await hasher.hash(adminPassword) })
      .onConflictDoNothing()
      .returning({ id: users.id });
    if (!created) return null;
    await tx.execute(sql`
      INSERT INTO ${userRoles} (user_id, role_id)
      SELECT ${created.id}, ${roles.id} FROM ${roles} WHERE ${roles.name} = 'admin'`);
    await appendAudit(tx, {
      actorId: null,
      action: 'user.seeded-admin',
      targetUserId: created.id,
      details: { email },
    });
    return created;
  });
  for (const client of SERVICE_CLIENTS) {
    const secretHash = await hasher.hash(config.ORDERS_CLIENT_SECRET ?? DEV_ORDERS_CLIENT_SECRET);
    // The configured secret wins on every run: rotating it is changing the variable.
    await db
      .insert(serviceClients)
      .values({ ...client, secretHash })
      .onConflictDoUpdate({
        target: serviceClients.id,
        set: { description: client.description, scopes: client.scopes, secretHash },
      });
  }
  const devNote = config.AUTH_ADMIN_PASSWORD
    ? ''
    : ` (dev password "${DEV_ADMIN_PASSWORD}": set AUTH_ADMIN_PASSWORD)`;
  console.error(
    admin
      ? `auth: created admin ${email}${devNote}; ${SERVICE_CLIENTS.length} service client(s)`
      : `auth: ${email} already exists: left as it is (roles and password untouched); ${SERVICE_CLIENTS.length} service client(s)`,
  );
} finally {
  await pool.end();
}
