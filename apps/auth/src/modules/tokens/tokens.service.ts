// The token endpoint's grants, free of HTTP. Refresh tokens are 256-bit random strings
// handed out once and stored as SHA-256 hashes; every use rotates them inside one
// transaction, and a reused token revokes its whole family. See docs/refresh-rotation.md.
import { createHash, randomBytes } from 'node:crypto';
import type { FastifyBaseLogger } from 'fastify';
import { invalidClient, invalidGrant, invalidScope } from '../../auth-errors.ts';
import type { AuthDb } from '../../db/client.ts';
import { appendAudit } from '../audit/audit.repository.ts';
import type { CredentialService } from '../credentials/credentials.service.ts';
import type { PasswordHasher } from '../passwords/password-hasher.ts';
import { findGrants } from '../roles/roles.repository.ts';
import type { AccessTokenIssuer } from './access-tokens.ts';
import {
  findByHash,
  findServiceClient,
  insertFamilyWithToken,
  insertRefreshToken,
  markUsed,
  revokeAllFamilies,
  revokeFamily,
} from './tokens.repository.ts';

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

const newRefreshToken = () => randomBytes(32).toString('base64url');
const sha256 = (token: string) => createHash('sha256').update(token).digest('hex');
// 32 random bytes in base64url are 43 characters; anything else cannot be ours.
const REFRESH_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

type RefreshOutcome =
  | { kind: 'invalid' }
  | { kind: 'reuse'; userId: string; familyId: string }
  | { kind: 'ok'; userId: string; next: string };

export function tokenService(deps: {
  db: AuthDb;
  issuer: AccessTokenIssuer;
  credentials: CredentialService;
  hasher: PasswordHasher;
  refreshTtlSec: number;
  log: FastifyBaseLogger;
}) {
  const { db, issuer, credentials, hasher, log } = deps;

  async function accessFor(userId: string) {
    return issuer.forUser(userId, await findGrants(db, userId));
  }

  return {
    /** Starts a refresh family for a user who has just proven who they are. */
    async startFamily(userId: string): Promise<TokenPair> {
      const refreshToken = newRefreshToken();
      const expiresAt = new Date(Date.now() + deps.refreshTtlSec * 1000);
      await insertFamilyWithToken(db, userId, expiresAt, sha256(refreshToken));
      const { accessToken, expiresIn } = await accessFor(userId);
      return { accessToken, refreshToken, expiresIn };
    },

    async passwordGrant(email: string, password: string): Promise<TokenPair> {
      const user = await credentials.verify(email, password);
      return this.startFamily(user.id);
    },

    async refreshGrant(presented: string): Promise<TokenPair> {
      if (!REFRESH_TOKEN_SHAPE.test(presented)) throw invalidGrant();
      const outcome = await db.transaction(async (tx): Promise<RefreshOutcome> => {
        const found = await findByHash(tx, sha256(presented));
        if (!found || found.familyRevokedAt || found.familyExpiresAt <= new Date()) {
          return { kind: 'invalid' };
        }
        if (found.usedAt || !(await markUsed(tx, found.tokenId))) {
          // Someone holds a token that was already exchanged: the legitimate client or the
          // thief, we cannot tell which — so neither keeps the family.
          await revokeFamily(tx, found.familyId, 'reuse-detected');
          await appendAudit(tx, {
            actorId: null,
            action: 'refresh-token.reuse-detected',
            targetUserId: found.userId,
            details: { familyId: found.familyId },
          });
          return { kind: 'reuse', userId: found.userId, familyId: found.familyId };
        }
        const next = newRefreshToken();
        await insertRefreshToken(tx, found.familyId, sha256(next));
        return { kind: 'ok', userId: found.userId, next };
      });

      if (outcome.kind === 'invalid') throw invalidGrant();
      if (outcome.kind === 'reuse') {
        log.warn(
          {
            event: 'security.refresh_token_reuse',
            userId: outcome.userId,
            familyId: outcome.familyId,
          },
          'refresh token reused: family revoked',
        );
        throw invalidGrant();
      }
      const { accessToken, expiresIn } = await accessFor(outcome.userId);
      return { accessToken, refreshToken: outcome.next, expiresIn };
    },

    async clientCredentials(clientId: string, secret: string, scope: string | undefined) {
      const client = await findServiceClient(db, clientId);
      const ok =
        client && !client.disabledAt
          ? await hasher.verify(client.secretHash, secret)
          : await hasher.verifyDummy(secret);
      if (!client || !ok) throw invalidClient();
      const requested = scope ? [...new Set(scope.split(' ').filter(Boolean))] : client.scopes;
      for (const s of requested) if (!client.scopes.includes(s)) throw invalidScope(s);
      return { ...(await issuer.forService(client.id, requested)), scope: requested.join(' ') };
    },

    /** Ends the family the token belongs to. Silent about unknown tokens (nothing to reveal). */
    async logout(presented: string): Promise<void> {
      if (!REFRESH_TOKEN_SHAPE.test(presented)) return;
      const found = await findByHash(db, sha256(presented));
      if (found) await revokeFamily(db, found.familyId, 'logout');
    },

    async revokeAllForUser(userId: string, reason: string): Promise<number> {
      return revokeAllFamilies(db, userId, reason);
    },
  };
}

export type TokenService = ReturnType<typeof tokenService>;
