// Signs access JWTs in the shape @meridian/auth-verify checks (RFC 9068 "at+jwt"): short
// lived, asymmetric (EdDSA by default), with a kid so verifiers pick the right public key.
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { KeyStore } from '../../keys/keystore.ts';

export interface AccessTokenSettings {
  issuer: string;
  audience: string;
  userTtlSec: number;
  serviceTtlSec: number;
}

export interface IssuedToken {
  accessToken: string;
  expiresIn: number;
}

export function createAccessTokenIssuer(keys: KeyStore, s: AccessTokenSettings) {
  async function sign(sub: string, claims: Record<string, unknown>, ttl: number) {
    const now = Math.floor(Date.now() / 1000);
    const key = keys.signer();
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(s.issuer)
      .setAudience(s.audience)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + ttl)
      .setJti(randomUUID())
      .sign(key.privateKey);
    return { accessToken: token, expiresIn: ttl };
  }
  return {
    forUser(userId: string, grants: { roles: string[]; permissions: string[] }) {
      return sign(userId, { roles: grants.roles, permissions: grants.permissions }, s.userTtlSec);
    },
    forService(clientId: string, scopes: string[]) {
      return sign(
        `service:${clientId}`,
        { client_id: clientId, scope: scopes.join(' '), roles: [], permissions: scopes },
        s.serviceTtlSec,
      );
    },
  };
}

export type AccessTokenIssuer = ReturnType<typeof createAccessTokenIssuer>;
