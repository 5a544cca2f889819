// Account use cases, free of HTTP: register, read and edit yourself, change your password.
import type { FastifyBaseLogger } from 'fastify';
import { emailTaken, invalidCredentials, weakPassword } from '../../auth-errors.ts';
import type { AuthDb } from '../../db/client.ts';
import type { UserRow } from '../../db/schema/index.ts';
import { appendAudit } from '../audit/audit.repository.ts';
import type { CredentialService } from '../credentials/credentials.service.ts';
import { normalizeEmail } from '../credentials/email.ts';
import type { PasswordHasher } from '../passwords/password-hasher.ts';
import { passwordProblem } from '../passwords/password-policy.ts';
import { findGrants, findRoleByName, grantRole } from '../roles/roles.repository.ts';
import { revokeAllFamilies } from '../tokens/tokens.repository.ts';
import {
  findUserById,
  insertUser,
  updateDisplayName,
  updatePasswordHash,
} from './users.repository.ts';
import type { User } from './users.schemas.ts';

export const DEFAULT_ROLE = 'customer';

export function toUser(row: UserRow, grants: { roles: string[]; permissions: string[] }): User {
  return {
    id: row.id,
    email: row.email,
    displayName: row.displayName,
    roles: grants.roles,
    permissions: grants.permissions,
    createdAt: row.createdAt.toISOString(),
  };
}

export function userService(deps: {
  db: AuthDb;
  hasher: PasswordHasher;
  passwordMinLength: number;
  credentials: CredentialService;
  /** Ends every session of the user but `keepSessionId` (password change). */
  revokeSessions: (userId: string, keepSessionId: string | null) => Promise<number>;
  log: FastifyBaseLogger;
}) {
  const { db, hasher } = deps;

  async function load(userId: string): Promise<User> {
    const row = await findUserById(db, userId);
    if (!row) throw invalidCredentials(); // the account was deleted under a live token
    return toUser(row, await findGrants(db, userId));
  }

  return {
    async register(input: { email: string; password: string; displayName: string }) {
      const email = normalizeEmail(input.email);
      const problem = passwordProblem(input.password, deps.passwordMinLength, {
        email,
        displayName: input.displayName,
      });
      if (problem) throw weakPassword('password', problem);
      // Hash outside the transaction: ~50 ms of CPU must not hold a connection and locks.
      const passwordHash = await hasher.hash(input.password);
      const row = await db.transaction(async (tx) => {
        const user = await insertUser(tx, {
          email,
          displayName: input.displayName.trim(),
          passwordHash,
        });
        if (!user) return null;
        const role = await findRoleByName(tx, DEFAULT_ROLE);
        if (role) await grantRole(tx, user.id, role.id);
        await appendAudit(tx, {
          actorId: user.id,
          action: 'user.registered',
          targetUserId: user.id,
        });
        return user;
      });
      if (!row) throw emailTaken();
      return toUser(row, await findGrants(db, row.id));
    },

    me: load,

    async updateMe(userId: string, patch: { displayName: string }) {
      await updateDisplayName(db, userId, patch.displayName.trim());
      return load(userId);
    },

    async changePassword(
      userId: string,
      input: { currentPassword: string; newPassword: string },
      keepSessionId: string | null,
    ): Promise<void> {
      const row = await findUserById(db, userId);
      if (!row) throw invalidCredentials();
      // Re-authentication: a stolen access token alone must not be enough to take over. It
      // goes through the login check, so wrong guesses count towards the same lockout.
      await deps.credentials.verify(row.email, input.currentPassword);
      const problem = passwordProblem(input.newPassword, deps.passwordMinLength, {
        email: row.email,
        displayName: row.displayName,
      });
      if (problem) throw weakPassword('newPassword', problem);
      const hash = await hasher.hash(input.newPassword);
      // Sessions (Redis) first: if Redis is down this fails with 503 before anything changed.
      // Then the new hash, its audit row and the end of every refresh family commit together,
      // so no old login survives in Postgres once the new password is in.
      const sessions = await deps.revokeSessions(userId, keepSessionId);
      const families = await db.transaction(async (tx) => {
        await updatePasswordHash(tx, userId, hash, { changed: true });
        await appendAudit(tx, {
          actorId: userId,
          action: 'user.password-changed',
          targetUserId: userId,
        });
        return revokeAllFamilies(tx, userId, 'password-changed');
      });
      deps.log.info(
        { event: 'password.changed', userId, sessions, families },
        'password changed; other logins revoked',
      );
    },
  };
}

export type UserService = ReturnType<typeof userService>;
