// A stand-in for the auth service's signing side, inside the harness process: one Ed25519
// key, its JWKS on a small node:http server, and one access token signed the way the auth
// service signs (apps/auth/src/modules/tokens/access-tokens.ts). The catalog under test
// fetches this JWKS, so the bench needs no running auth service and every figure is about
// verification alone.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, SignJWT } from 'jose';

export const JWKS_PATH = '/.well-known/jwks.json';
// What @meridian/config defaults AUTH_AUDIENCE to, and what the auth service signs for.
export const BENCH_AUDIENCE = 'meridian-api';
// Longer than any run, so no token expires mid-round and turns the candidate into 401s.
const TOKEN_TTL_SEC = 2 * 60 * 60;

export interface BenchAuth {
  jwksUrl: string;
  issuer: string;
  audience: string;
  /** A valid access token: typ at+jwt, EdDSA, kid, iss, aud, sub, iat, exp, jti, roles. */
  token: string;
  /** The same token with one signature character changed: must be refused with 401. */
  corruptedToken: string;
  /** How often the JWKS was fetched: the verifier caches it, so about once per process. */
  jwksFetches: () => number;
  /** Another access token with the same key and header: other subjects, roles, permissions. */
  sign: (claims: AccessClaims) => Promise<string>;
  close: () => Promise<void>;
}

/** Changes one character in the middle of the signature (not the last: its low bits are padding). */
export function corruptSignature(jwt: string): string {
  const sigStart = jwt.lastIndexOf('.') + 1;
  const at = sigStart + Math.floor((jwt.length - sigStart) / 2);
  const swapped = jwt[at] === 'A' ? 'B' : 'A';
  return `${jwt.slice(0, at)}${swapped}${jwt.slice(at + 1)}`;
}

/** What sign() puts in a token besides iss, aud, iat, exp and jti. */
export interface AccessClaims {
  sub: string;
  roles?: string[];
  permissions?: string[];
  /** Set for a service principal (client credentials), e.g. 'orders'. */
  client_id?: string;
}

export async function startAuthFixture(): Promise<BenchAuth> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = await exportJWK(publicKey);
  const kid = await calculateJwkThumbprint(jwk);
  const jwks = { keys: [{ ...jwk, kid, alg: 'EdDSA', use: 'sig' }] };
  const body = JSON.stringify(jwks);

  let fetches = 0;
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === JWKS_PATH) {
      fetches++;
      res.writeHead(200, {
        'content-type': 'application/json',
        // What the auth service sends; the verifier's own cache settings decide anyway.
        'cache-control': 'public, max-age=300',
      });
      res.end(body);
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const sign = ({ sub, roles = [], permissions = [], ...extra }: AccessClaims) => {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ ...extra, roles, permissions })
      .setProtectedHeader({ alg: 'EdDSA', kid, typ: 'at+jwt' })
      .setIssuer(issuer)
      .setAudience(BENCH_AUDIENCE)
      .setSubject(sub)
      .setIssuedAt(now)
      .setExpirationTime(now + TOKEN_TTL_SEC)
      .setJti(randomUUID())
      .sign(privateKey);
  };
  const token = await sign({ sub: randomUUID(), roles: ['customer'] });

  return {
    jwksUrl: `${issuer}${JWKS_PATH}`,
    issuer,
    audience: BENCH_AUDIENCE,
    token,
    corruptedToken: corruptSignature(token),
    jwksFetches: () => fetches,
    sign,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
