// Test fixtures: a real JWKS server on loopback that counts its fetches, Ed25519 keys, token
// minting, and a Fastify app wired like a service (problem+json handler, then authVerify).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { problemDetails } from '@meridian/errors';
import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import { type CryptoKey, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';
import { expect } from 'vitest';
import { type AuthVerifyOptions, authVerify, requirePrincipal } from '../src/index.ts';

export const ISSUER = 'http://auth.meridian.test';
export const AUDIENCE = 'meridian';

export interface TestKey {
  kid: string;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
  jwk: JWK;
}

export async function makeKey(kid: string): Promise<TestKey> {
  const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'EdDSA', use: 'sig' };
  return { kid, publicKey, privateKey, jwk };
}

export interface HttpServer {
  url: string;
  /** Requests served so far. */
  readonly hits: number;
  close(): Promise<void>;
}

/** A real HTTP server on 127.0.0.1 with a port of its own; counts the requests it gets. */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void,
): Promise<HttpServer> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    async close() {
      // A server that never answers would otherwise keep close() waiting on its sockets.
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export interface JwksServer extends HttpServer {
  jwksUrl: string;
  /** What the server publishes from the next fetch on. */
  publish(...keys: TestKey[]): void;
}

export async function startJwksServer(...keys: TestKey[]): Promise<JwksServer> {
  let published = keys.map((k) => k.jwk);
  const server = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/jwk-set+json' });
    res.end(JSON.stringify({ keys: published }));
  });
  return Object.assign(server, {
    jwksUrl: `${server.url}/.well-known/jwks.json`,
    publish(...next: TestKey[]) {
      published = next.map((k) => k.jwk);
    },
  });
}

export const now = () => Math.floor(Date.now() / 1000);

export interface MintOptions {
  /** Claims merged over a valid user token's; a value of undefined removes the claim. */
  claims?: Record<string, unknown>;
  /** Header parameters merged over { alg: 'EdDSA', kid, typ: 'at+jwt' }. */
  header?: Record<string, unknown>;
}

/** A token exactly as the auth service signs one, unless told otherwise. */
export async function mint(key: TestKey, opts: MintOptions = {}): Promise<string> {
  const t = now();
  const claims: Record<string, unknown> = {
    iss: ISSUER,
    aud: AUDIENCE,
    sub: 'user-42',
    iat: t,
    exp: t + 300,
    jti: randomUUID(),
    roles: ['customer'],
    permissions: ['orders:read', 'orders:write'],
    ...opts.claims,
  };
  const header = { alg: 'EdDSA', kid: key.kid, typ: 'at+jwt', ...opts.header };
  // JSON.stringify drops undefined members, which is how a test removes a claim or typ.
  return new SignJWT(claims).setProtectedHeader(header as { alg: string }).sign(key.privateKey);
}

export function serviceClaims(clientId: string, scope: string): Record<string, unknown> {
  return {
    sub: `service:${clientId}`,
    client_id: clientId,
    scope,
    permissions: scope.split(' '),
    roles: [],
  };
}

export const b64url = (value: unknown) =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url');

/**
 * A service-shaped app: problem+json first, then authVerify, then routes that use its hooks.
 * /whoami needs a token, /admin also needs users:manage, /billing three permissions, /maybe
 * takes a token optionally,
 * /unguarded checks a permission without any authentication hook (a wiring mistake).
 */
export async function buildApp(opts: AuthVerifyOptions): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(problemDetails);
  await app.register(authVerify, opts);
  app.get('/whoami', { onRequest: app.auth.required }, async (request) =>
    requirePrincipal(request),
  );
  app.get(
    '/admin',
    { onRequest: app.auth.required, preHandler: app.auth.requirePermission('users:manage') },
    async () => ({ ok: true }),
  );
  app.get('/maybe', { onRequest: app.auth.optional }, async (request) => ({
    principal: request.principal,
  }));
  app.get(
    '/billing',
    {
      onRequest: app.auth.required,
      preHandler: app.auth.requirePermission('orders:read', 'billing:read', 'billing:refund'),
    },
    async () => ({ ok: true }),
  );
  app.get('/unguarded', { preHandler: app.auth.requirePermission('users:manage') }, async () => ({
    ok: true,
  }));
  await app.ready();
  return app;
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** The problem document every auth failure must be: status, media type, code, challenge. */
export function expectProblem(
  res: LightMyRequestResponse,
  status: number,
  code: string,
  headers: Record<string, string> = {},
): void {
  expect(res.statusCode).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
  const body = res.json();
  expect(body.type).toMatch(new RegExp(`:${code}$`));
  expect(body.code).toBe(code);
  expect(body.status).toBe(status);
  for (const [name, value] of Object.entries(headers)) expect(res.headers[name]).toBe(value);
}

export const INVALID_TOKEN = { 'www-authenticate': 'Bearer error="invalid_token"' };
export const UNAUTHORIZED = { 'www-authenticate': 'Bearer realm="meridian"' };
export const INSUFFICIENT_SCOPE = { 'www-authenticate': 'Bearer error="insufficient_scope"' };
