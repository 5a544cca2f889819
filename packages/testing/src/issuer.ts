// A stand-in for the auth service in a component test: a real Ed25519 key, its JWKS served
// over real HTTP on 127.0.0.1 (fetches counted), and access tokens signed to the same
// contract the auth service signs (packages/auth-verify/README.md), so a service under test
// verifies them exactly as it would in production, JWKS fetch included.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

export const JWKS_PATH = '/.well-known/jwks.json';

export interface TestTokenClaims {
  sub: string;
  roles?: string[];
  permissions?: string[];
  /** Any other claim (`client_id`, `scope` for service tokens; or one that should not be there). */
  [claim: string]: unknown;
}

export interface TestSignOptions {
  /** Seconds from now to `exp`; negative for an already expired token. Default 600. */
  expiresIn?: number;
  /** Seconds from now to `iat` (negative: issued in the past). Default 0. */
  issuedAt?: number;
  /** Header `kid`; default the published key's. Another value is a kid the JWKS lacks. */
  kid?: string;
  /** Header `typ`; default `at+jwt`. */
  typ?: string;
  /** Override `iss` / `aud` for tokens that must be refused. */
  issuer?: string;
  audience?: string | string[];
  /** Default a fresh UUID. */
  jti?: string;
}

export interface TestIssuer {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** The published key's id. */
  kid: string;
  /** The public JWK as published. */
  publicJwk: JWK;
  /** AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE: pass to createTestApp's `env`. */
  env: { AUTH_JWKS_URL: string; AUTH_ISSUER: string; AUTH_AUDIENCE: string };
  /** A signed access token: header {alg EdDSA, kid, typ at+jwt}, claims iss aud sub iat exp jti roles permissions. */
  sign(claims: TestTokenClaims, opts?: TestSignOptions): Promise<string>;
  /** How many times the JWKS has been fetched. */
  fetchCount(): number;
  close(): Promise<void>;
}

export interface TestIssuerOptions {
  /** Default the JWKS server's own origin, e.g. http://127.0.0.1:41234. */
  issuer?: string;
  /** Default `meridian-api`, the auth service's. */
  audience?: string;
}

export async function createTestIssuer(opts: TestIssuerOptions = {}): Promise<TestIssuer> {
  const { privateKey, publicKey } = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
  const exported = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(exported);
  const publicJwk: JWK = { ...exported, kid, alg: 'EdDSA', use: 'sig' };
  const body = JSON.stringify({ keys: [publicJwk] });

  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === JWKS_PATH) {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const issuer = opts.issuer ?? origin;
  const audience = opts.audience ?? 'meridian-api';
  const jwksUrl = `${origin}${JWKS_PATH}`;

  return {
    jwksUrl,
    issuer,
    audience,
    kid,
    publicJwk,
    env: { AUTH_JWKS_URL: jwksUrl, AUTH_ISSUER: issuer, AUTH_AUDIENCE: audience },
    async sign({ sub, roles = [], permissions = [], ...extra }, o = {}) {
      const now = Math.floor(Date.now() / 1000);
      return new SignJWT({ ...extra, roles, permissions })
        .setProtectedHeader({ alg: 'EdDSA', kid: o.kid ?? kid, typ: o.typ ?? 'at+jwt' })
        .setIssuer(o.issuer ?? issuer)
        .setAudience(o.audience ?? audience)
        .setSubject(sub)
        .setIssuedAt(now + (o.issuedAt ?? 0))
        .setExpirationTime(now + (o.expiresIn ?? 600))
        .setJti(o.jti ?? randomUUID())
        .sign(privateKey);
    },
    fetchCount: () => fetches,
    close: () =>
      new Promise<void>((resolve) => {
        // jose's fetch keeps its connection alive; close() alone would wait for it to idle out.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
