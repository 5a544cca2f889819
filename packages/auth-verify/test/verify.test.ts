// The verifier and its Fastify hooks against a real JWKS server: who gets in, who gets a
// 401 (and which one), who gets a 403, and that every refusal is a problem+json document
// with the RFC 6750 challenge.
import { AppError, problemDetails } from '@meridian/errors';
import Fastify, { type FastifyInstance } from 'fastify';
import { createLocalJWKSet, exportSPKI, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  authVerify,
  createTokenVerifier,
  requirePrincipal,
  type TokenVerifier,
} from '../src/index.ts';
import {
  AUDIENCE,
  b64url,
  bearer,
  buildApp,
  expectProblem,
  INSUFFICIENT_SCOPE,
  INVALID_TOKEN,
  ISSUER,
  type JwksServer,
  makeKey,
  mint,
  now,
  serviceClaims,
  startJwksServer,
  type TestKey,
  UNAUTHORIZED,
} from './helpers.ts';

let key: TestKey;
let jwks: JwksServer;
let app: FastifyInstance;
let verifier: TokenVerifier;

beforeAll(async () => {
  key = await makeKey('key-1');
  jwks = await startJwksServer(key);
  verifier = createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUrl: jwks.jwksUrl });
  app = await buildApp({ verifier });
});

afterAll(async () => {
  await app.close();
  await jwks.close();
});

describe('a valid token', () => {
  it('lets a user in and describes them', async () => {
    const token = await mint(key, { claims: { jti: 'tok-1', roles: ['customer'] } });
    const res = await app.inject({ url: '/whoami', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      kind: 'user',
      subject: 'user-42',
      userId: 'user-42',
      clientId: null,
      roles: ['customer'],
      permissions: ['orders:read', 'orders:write'],
      tokenId: 'tok-1',
      expiresAt: expect.any(Number),
    });
  });

  it('lets a service in as a service, its scopes as permissions', async () => {
    const token = await mint(key, {
      claims: serviceClaims('orders', 'catalog:read stock:reserve'),
    });
    const res = await app.inject({ url: '/whoami', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      kind: 'service',
      subject: 'service:orders',
      userId: null,
      clientId: 'orders',
      roles: [],
      permissions: ['catalog:read', 'stock:reserve'],
    });
  });

  it('accepts the scheme in any case', async () => {
    const token = await mint(key);
    const res = await app.inject({ url: '/whoami', headers: { authorization: `bEaReR ${token}` } });
    expect(res.statusCode).toBe(200);
  });

  it('accepts a token within the clock tolerance of its expiry', async () => {
    const token = await mint(key, { claims: { exp: now() - 2 } });
    const res = await app.inject({ url: '/whoami', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
  });
});

describe('no usable credentials: 401 unauthorized', () => {
  it.each([
    ['no Authorization header', undefined],
    ['another scheme (Basic)', `Basic ${b64url('user:pass')}`],
    ['an empty bearer', 'Bearer '],
    ['a bare scheme', 'Bearer'],
    ['a token without a scheme', 'eyJhbGciOiJFZERTQSJ9.e30.sig'],
  ])('%s', async (_name, authorization) => {
    const res = await app.inject({
      url: '/whoami',
      headers: authorization === undefined ? {} : { authorization },
    });
    expectProblem(res, 401, 'unauthorized', UNAUTHORIZED);
  });
});

describe('a token that must not verify: 401 invalid-token', () => {
  // Each case builds its token from the good key unless it says otherwise, and names the jose
  // error code it must fail with (null: our own claim checks), so a case cannot pass for the
  // wrong reason, e.g. a forged signature rejected only because its kid was unknown.
  const SIG = 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED';
  const ALG = 'ERR_JOSE_ALG_NOT_ALLOWED';
  const CLAIM = 'ERR_JWT_CLAIM_VALIDATION_FAILED';
  const JWS = 'ERR_JWS_INVALID';
  const cases: [string, string | null, () => Promise<string>][] = [
    [
      'alg none with an empty signature',
      ALG,
      async () => {
        const good = await mint(key);
        const payload = good.split('.')[1];
        return `${b64url({ alg: 'none', kid: key.kid, typ: 'at+jwt' })}.${payload}.`;
      },
    ],
    [
      'HS256 keyed with the public key (SPKI PEM): the key-confusion attack',
      ALG,
      async () => {
        const pem = await exportSPKI(key.publicKey);
        return new SignJWT(claimsOf(await mint(key)))
          .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
          .sign(new TextEncoder().encode(pem));
      },
    ],
    [
      'HS256 keyed with the raw public key bytes',
      ALG,
      async () => {
        const raw = Buffer.from(key.jwk.x as string, 'base64url');
        return new SignJWT(claimsOf(await mint(key)))
          .setProtectedHeader({ alg: 'HS256', kid: key.kid, typ: 'at+jwt' })
          .sign(raw);
      },
    ],
    ['signed by another key under the same kid', SIG, async () => mint(await makeKey(key.kid))],
    [
      'a tampered payload with the original signature',
      SIG,
      async () => {
        const [header, payload, signature] = (await mint(key)).split('.');
        const claims = claimsOf(`.${payload}`);
        (claims.permissions as string[]).push('users:manage');
        return `${header}.${b64url(claims)}.${signature}`;
      },
    ],
    [
      'expired beyond the tolerance',
      'ERR_JWT_EXPIRED',
      () => mint(key, { claims: { exp: now() - 60 } }),
    ],
    ['nbf in the future', CLAIM, () => mint(key, { claims: { nbf: now() + 120 } })],
    ['another audience', CLAIM, () => mint(key, { claims: { aud: 'billing' } })],
    ['another issuer', CLAIM, () => mint(key, { claims: { iss: 'http://evil.test' } })],
    ['no typ (a plain JWT)', CLAIM, () => mint(key, { header: { typ: undefined } })],
    ['typ JWT (an ID token, say)', CLAIM, () => mint(key, { header: { typ: 'JWT' } })],
    ['no jti', CLAIM, () => mint(key, { claims: { jti: undefined } })],
    ['no sub', CLAIM, () => mint(key, { claims: { sub: undefined } })],
    ['no exp', CLAIM, () => mint(key, { claims: { exp: undefined } })],
    ['no iat', CLAIM, () => mint(key, { claims: { iat: undefined } })],
    ['roles not an array', null, () => mint(key, { claims: { roles: 'admin' } })],
    ['permissions not all strings', null, () => mint(key, { claims: { permissions: ['a', 1] } })],
    ['no permissions claim', null, () => mint(key, { claims: { permissions: undefined } })],
    [
      'a service sub whose client_id disagrees',
      null,
      () => mint(key, { claims: { ...serviceClaims('orders', 'x'), client_id: 'catalog' } }),
    ],
    [
      'a kid that is not in the JWKS',
      'ERR_JWKS_NO_MATCHING_KEY',
      async () => mint(await makeKey('key-unknown')),
    ],
    ['not a JWT at all', JWS, async () => 'not-a-jwt'],
    ['two segments', JWS, async () => 'abc.def'],
    ['garbage in three segments', JWS, async () => '!!!.???.***'],
    ['a header that is not JSON', JWS, async () => `${b64url('{')}.${b64url({})}.sig`],
    ['far too long', null, async () => `${'a'.repeat(9_000)}.b.c`],
  ];

  it.each(cases)('%s', async (_name, joseCode, makeToken) => {
    const token = await makeToken();
    const res = await app.inject({ url: '/whoami', headers: bearer(token) });
    expectProblem(res, 401, 'invalid-token', INVALID_TOKEN);
    expect(res.json().detail).toBe('The access token is invalid or expired.');
    // The token is never echoed back, not even in part.
    for (const part of [token, ...token.split('.')].filter((p) => p.length >= 8)) {
      expect(res.body).not.toContain(part);
    }
    // The same token through the bare verifier, for the reason it was refused.
    const err = await verifier.verify(token).then(
      () => null,
      (e: unknown) => e as AppError,
    );
    expect(err?.statusCode).toBe(401);
    expect((err?.cause as { code?: string } | undefined)?.code ?? null).toBe(joseCode);
  });
});

describe('permissions', () => {
  it('403 forbidden when the principal lacks one, naming it', async () => {
    const token = await mint(key, { claims: { permissions: ['orders:read'] } });
    const res = await app.inject({ url: '/admin', headers: bearer(token) });
    expectProblem(res, 403, 'forbidden', INSUFFICIENT_SCOPE);
    expect(res.json().detail).toBe('Missing permission: users:manage.');
  });

  it('200 when the principal has it', async () => {
    const token = await mint(key, { claims: { permissions: ['orders:read', 'users:manage'] } });
    const res = await app.inject({ url: '/admin', headers: bearer(token) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ ok: true });
  });

  it('401 before 403: a bad token on a permission route is invalid-token', async () => {
    const res = await app.inject({ url: '/admin', headers: bearer('a.b.c') });
    expectProblem(res, 401, 'invalid-token', INVALID_TOKEN);
  });

  it('401 unauthorized when no hook authenticated the request', async () => {
    const token = await mint(key, { claims: { permissions: ['users:manage'] } });
    const res = await app.inject({ url: '/unguarded', headers: bearer(token) });
    expectProblem(res, 401, 'unauthorized', UNAUTHORIZED);
  });

  it('names every missing permission when several are required', async () => {
    const token = await mint(key, { claims: { permissions: ['orders:read'] } });
    const res = await app.inject({ url: '/billing', headers: bearer(token) });
    expectProblem(res, 403, 'forbidden', INSUFFICIENT_SCOPE);
    expect(res.json().detail).toBe('Missing permissions: billing:read, billing:refund.');
  });

  it('refuses to build a permission check with no permission', () => {
    expect(() => app.auth.requirePermission()).toThrow(TypeError);
  });
});

describe('the optional hook', () => {
  it('leaves principal null without a header', async () => {
    const res = await app.inject({ url: '/maybe' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ principal: null });
  });

  it('sets the principal for a good token', async () => {
    const res = await app.inject({ url: '/maybe', headers: bearer(await mint(key)) });
    expect(res.json().principal).toMatchObject({ kind: 'user', userId: 'user-42' });
  });

  it('still refuses a bad token', async () => {
    const res = await app.inject({ url: '/maybe', headers: bearer('a.b.c') });
    expectProblem(res, 401, 'invalid-token', INVALID_TOKEN);
  });

  it('still refuses a header that is present but not Bearer', async () => {
    const res = await app.inject({ url: '/maybe', headers: { authorization: 'Basic abc' } });
    expectProblem(res, 401, 'unauthorized', UNAUTHORIZED);
  });
});

describe('registration', () => {
  it('works in an encapsulated scope below the problem handler, as service-kit mounts routes', async () => {
    const scoped = Fastify();
    await scoped.register(problemDetails);
    await scoped.register(async (api) => {
      await api.register(authVerify, { issuer: ISSUER, audience: AUDIENCE, keys: key.publicKey });
      // A route with its own generics takes the hooks too.
      api.get<{ Params: { id: string } }>(
        '/v1/things/:id',
        { onRequest: api.auth.required, preHandler: api.auth.requirePermission('orders:read') },
        async (request) => ({ id: request.params.id, by: requirePrincipal(request).subject }),
      );
    });
    const res = await scoped.inject({ url: '/v1/things/7', headers: bearer(await mint(key)) });
    expect(res.json()).toEqual({ id: '7', by: 'user-42' });
    const denied = await scoped.inject({ url: '/v1/things/7' });
    expectProblem(denied, 401, 'unauthorized', UNAUTHORIZED);
    await scoped.close();
  });

  it('refuses to register without the problem+json handler, which renders its errors', async () => {
    const bare = Fastify();
    await expect(
      bare.register(authVerify, { issuer: ISSUER, audience: AUDIENCE, keys: key.publicKey }),
    ).rejects.toThrow(/@meridian\/problem/);
    await bare.close();
  });
});

describe('createTokenVerifier without Fastify', () => {
  it('verifies with a local public key and throws AppErrors', async () => {
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: key.publicKey,
    });
    await expect(verifier.verify(await mint(key))).resolves.toMatchObject({ subject: 'user-42' });
    const err = await verifier.verify('a.b.c').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect(err).toMatchObject({
      statusCode: 401,
      code: 'invalid-token',
      headers: INVALID_TOKEN,
    });
  });

  it('verifies with a local JWKS resolver', async () => {
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: createLocalJWKSet({ keys: [key.jwk] }),
    });
    await expect(verifier.verify(await mint(key))).resolves.toMatchObject({ kind: 'user' });
    await expect(verifier.verify(await mint(await makeKey('other')))).rejects.toMatchObject({
      statusCode: 401,
    });
  });

  it('returns a principal nobody can add permissions to', async () => {
    const verifier = createTokenVerifier({
      issuer: ISSUER,
      audience: AUDIENCE,
      keys: key.publicKey,
    });
    const principal = await verifier.verify(await mint(key));
    expect(() => (principal.permissions as string[]).push('users:manage')).toThrow(TypeError);
    expect(Object.isFrozen(principal)).toBe(true);
  });

  it.each([
    ['neither jwksUrl nor keys', {}],
    [
      'both jwksUrl and keys',
      { jwksUrl: 'http://127.0.0.1:1/jwks', keys: () => undefined as never },
    ],
    [
      'a shared-secret algorithm',
      { jwksUrl: 'http://127.0.0.1:1/jwks', algorithms: ['EdDSA', 'HS256'] },
    ],
    ['alg none', { jwksUrl: 'http://127.0.0.1:1/jwks', algorithms: ['none'] }],
    ['no algorithms', { jwksUrl: 'http://127.0.0.1:1/jwks', algorithms: [] }],
  ])('refuses a configuration with %s', (_name, extra) => {
    expect(() => createTokenVerifier({ issuer: ISSUER, audience: AUDIENCE, ...extra })).toThrow(
      TypeError,
    );
  });
});

function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] as string, 'base64url').toString());
}
