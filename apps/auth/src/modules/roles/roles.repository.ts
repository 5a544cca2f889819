// Role reads. Plain rows in and out; takes a Db or a transaction.
import { asc } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { type RoleRow, roles } from '../../db/schema/index.ts';

export async function findAllRoles(db: DbOrTx): Promise<RoleRow[]> {
  return db.select().from(roles).orderBy(asc(roles.name));
}
