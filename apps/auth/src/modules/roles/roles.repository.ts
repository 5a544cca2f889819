// Roles, permissions and who holds them. Plain rows in and out; takes a Db or a transaction.
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client.ts';
import { rolePermissions, roles, userRoles } from '../../db/schema/index.ts';

export interface RoleWithPermissions {
  id: string;
  name: string;
  description: string;
  permissions: string[];
}

export async function findAllRoles(db: DbOrTx): Promise<RoleWithPermissions[]> {
  return db
    .select({
      id: roles.id,
      name: roles.name,
      description: roles.description,
      permissions: sql<
        string[]
      >`coalesce(array_agg(${rolePermissions.permission} ORDER BY ${rolePermissions.permission}) FILTER (WHERE ${rolePermissions.permission} IS NOT NULL), '{}')`,
    })
    .from(roles)
    .leftJoin(rolePermissions, eq(rolePermissions.roleId, roles.id))
    .groupBy(roles.id)
    .orderBy(asc(roles.name));
}

export interface Grants {
  roles: string[];
  permissions: string[];
}

/** A user's roles and the union of their permissions, in one round trip. */
export async function findGrants(db: DbOrTx, userId: string): Promise<Grants> {
  const rows = await db
    .select({ role: roles.name, permission: rolePermissions.permission })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .leftJoin(rolePermissions, eq(rolePermissions.roleId, roles.id))
    .where(eq(userRoles.userId, userId));
  const roleSet = new Set<string>();
  const permissionSet = new Set<string>();
  for (const row of rows) {
    roleSet.add(row.role);
    if (row.permission) permissionSet.add(row.permission);
  }
  return { roles: [...roleSet].sort(), permissions: [...permissionSet].sort() };
}

/** Roles of many users at once (admin listing), keyed by user id. */
export async function findRoleNames(db: DbOrTx, userIds: string[]): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  if (userIds.length === 0) return out;
  const rows = await db
    .select({ userId: userRoles.userId, role: roles.name })
    .from(userRoles)
    .innerJoin(roles, eq(roles.id, userRoles.roleId))
    .where(inArray(userRoles.userId, userIds))
    .orderBy(asc(roles.name));
  for (const { userId, role } of rows) out.set(userId, [...(out.get(userId) ?? []), role]);
  return out;
}

export async function findRoleByName(db: DbOrTx, name: string) {
  const [row] = await db.select().from(roles).where(eq(roles.name, name));
  return row ?? null;
}

/** True when the grant is new (granting twice is not an error, and not audited twice). */
export async function grantRole(db: DbOrTx, userId: string, roleId: string): Promise<boolean> {
  const rows = await db
    .insert(userRoles)
    .values({ userId, roleId })
    .onConflictDoNothing()
    .returning({ userId: userRoles.userId });
  return rows.length > 0;
}

export async function revokeRole(db: DbOrTx, userId: string, roleId: string): Promise<boolean> {
  const rows = await db
    .delete(userRoles)
    .where(and(eq(userRoles.userId, userId), eq(userRoles.roleId, roleId)))
    .returning({ userId: userRoles.userId });
  return rows.length > 0;
}

export async function countHolders(db: DbOrTx, roleId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(userRoles)
    .where(eq(userRoles.roleId, roleId));
  return row?.n ?? 0;
}
