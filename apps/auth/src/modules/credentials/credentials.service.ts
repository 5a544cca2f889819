// Checks an email and password, the one place both login routes (token and session) go
// through. Unknown email and wrong password take the same path, the same time (a dummy
// argon2 verification) and end in the same error; lockout is checked first.
import type { FastifyBaseLogger } from 'fastify';
import { invalidCredentials, loginLocked } from '../../auth-errors.ts';
import type { AuthDb } from '../../db/client.ts';
import type { UserRow } from '../../db/schema/index.ts';
import type { PasswordHasher } from '../passwords/password-hasher.ts';
import { findUserByEmail, updatePasswordHash } from '../users/users.repository.ts';
import { normalizeEmail } from './email.ts';
import type { Lockout } from './lockout.ts';

export function credentialService(deps: {
  db: AuthDb;
  hasher: PasswordHasher;
  lockout: Lockout;
  log: FastifyBaseLogger;
}) {
  const { db, hasher, lockout, log } = deps;
  return {
    async verify(rawEmail: string, password: string): Promise<UserRow> {
      const email = normalizeEmail(rawEmail);
      const { lockedFor, history } = await lockout.check(email);
      if (lockedFor > 0) throw loginLocked(lockedFor);

      const user = await findUserByEmail(db, email);
      const ok = user
        ? await hasher.verify(user.passwordHash, password)
        : await hasher.verifyDummy(password);
      if (!user || !ok) {
        const lockedNow = await lockout.recordFailure(email);
        if (lockedNow > 0) {
          log.warn({ event: 'login.locked', lockSec: lockedNow }, 'account locked after failures');
        }
        throw invalidCredentials();
      }

      if (history) await lockout.reset(email);
      // Parameters changed since this hash was made: upgrade it now, while we hold the password.
      if (hasher.needsRehash(user.passwordHash)) {
        await updatePasswordHash(db, user.id, await hasher.hash(password), { changed: false });
        log.info({ event: 'password.rehashed', userId: user.id }, 'password hash upgraded');
      }
      return user;
    },
  };
}

export type CredentialService = ReturnType<typeof credentialService>;
