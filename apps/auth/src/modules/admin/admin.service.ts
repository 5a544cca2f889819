// User administration, free of HTTP. Every grant and revocation is audited in the same
// transaction as the change, so the log cannot miss one or record one that did not happen.
import { AppError, notFound } from '@meridian/errors';
import { sql } from 'drizzle-orm';
import type { AuthDb } from '../../db/client.ts';
import { appendAudit, findAudit } from '../audit/audit.repository.ts';
import {
  countHolders,
  findRoleByName,
  findRoleNames,
  grantRole,
  revokeRole,
} from '../roles/roles.repository.ts';
import { findUserById, listUsersAfter } from '../users/users.repository.ts';

const badCursor = () =>
  new AppError({
    status: 400,
    code: 'invalid-cursor',
    detail: 'The cursor is not one this API issued.',
  });

const encodeCursor = (email: string) =>
  Buffer.from(JSON.stringify({ e: email })).toString('base64url');
function decodeCursor(cursor: string): string {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const e = (parsed as { e?: unknown }).e;
    if (typeof e !== 'string') throw badCursor();
    return e;
  } catch {
    throw badCursor();
  }
}

/** The role that may never be left without a holder. */
const LAST_ROLE_GUARDED = 'admin';

export function adminService(db: AuthDb) {
  async function target(userId: string, roleName: string) {
    const [user, role] = await Promise.all([
      findUserById(db, userId),
      findRoleByName(db, roleName),
    ]);
    if (!user) throw notFound('No such user.');
    if (!role) throw notFound(`No role named "${roleName}".`);
    return { user, role };
  }

  return {
    async listUsers(opts: { limit: number; cursor?: string }) {
      const afterEmail = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor);
      // One extra row tells us whether there is a next page without a COUNT.
      const rows = await listUsersAfter(db, { limit: opts.limit + 1, afterEmail });
      const page = rows.slice(0, opts.limit);
      const roles = await findRoleNames(
        db,
        page.map((u) => u.id),
      );
      const last = page.at(-1);
      return {
        items: page.map((u) => ({
          id: u.id,
          email: u.email,
          displayName: u.displayName,
          roles: roles.get(u.id) ?? [],
          createdAt: u.createdAt.toISOString(),
        })),
        nextCursor: rows.length > opts.limit && last ? encodeCursor(last.email) : null,
      };
    },

    async grant(actorId: string, userId: string, roleName: string): Promise<void> {
      const { role } = await target(userId, roleName);
      await db.transaction(async (tx) => {
        if (await grantRole(tx, userId, role.id)) {
          await appendAudit(tx, {
            actorId,
            action: 'role.granted',
            targetUserId: userId,
            details: { role: roleName },
          });
        }
      });
    },

    async revoke(actorId: string, userId: string, roleName: string): Promise<void> {
      const { role } = await target(userId, roleName);
      await db.transaction(async (tx) => {
        if (roleName === LAST_ROLE_GUARDED) {
          // Serialize admin removals: two admins removing each other at the same moment
          // would otherwise each see one admin left and both succeed.
          await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext('auth:revoke-admin'))`);
        }
        if (!(await revokeRole(tx, userId, role.id))) return;
        if (roleName === LAST_ROLE_GUARDED && (await countHolders(tx, role.id)) === 0) {
          // Throwing rolls the delete back: nobody would be left to grant it again.
          throw new AppError({
            status: 409,
            code: 'last-admin',
            detail: 'This is the last admin; grant admin to someone else first.',
          });
        }
        await appendAudit(tx, {
          actorId,
          action: 'role.revoked',
          targetUserId: userId,
          details: { role: roleName },
        });
      });
    },

    async audit(opts: { limit: number; before?: number; userId?: string }) {
      const rows = await findAudit(db, {
        limit: opts.limit,
        before: opts.before,
        targetUserId: opts.userId,
      });
      return {
        items: rows.map((r) => ({
          id: r.id,
          actorId: r.actorId,
          action: r.action,
          targetUserId: r.targetUserId,
          details: r.details,
          createdAt: r.createdAt.toISOString(),
        })),
      };
    },
  };
}

export type AdminService = ReturnType<typeof adminService>;
