// Access tokens through the kit: by default every service verifies against the auth
// service's JWKS (here a real test issuer over HTTP); `auth.keys` verifies locally, with no
// fetch; `auth: false` registers nothing. Routes only opt in with app.auth hooks.
import { requirePrincipal } from '@meridian/auth-verify';
import { createTestIssuer, type TestIssuer, uniquePrefix } from '@meridian/testing';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { Type } from 'typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createService,
  type RoutePlugin,
  type ServiceAuthOptions,
  type ServiceInstance,
} from '../src/index.ts';
import { fixtureConfig } from './fixtures/fixture-app.ts';

const ORIGIN = 'https://shop.example';

const guardedRoutes: RoutePlugin = async (app) => {
  app.get('/v1/public', { onRequest: app.auth.optional }, async (request) => ({
    subject: request.principal?.subject ?? null,
  }));
  app.get('/v1/me', { onRequest: app.auth.required }, async (request) => ({
    subject: requirePrincipal(request).subject,
  }));
  app.post(
    '/v1/things',
    {
      onRequest: app.auth.required,
      preHandler: app.auth.requirePermission('things:write'),
      schema: {
        body: Type.Object({ name: Type.String() }, { additionalProperties: false }),
        security: [{ bearerAuth: [] }],
      },
    },
    async (request, reply) => reply.code(201).send({ name: request.body.name }),
  );
};

function build(env: Record<string, string>, auth?: false | ServiceAuthOptions) {
  return createService({
    name: 'fixture',
    version: '0.0.0',
    description: 'The kit with auth',
    config: fixtureConfig({ CORS_ORIGINS: ORIGIN, ...env }),
    routes: guardedRoutes,
    ...(auth === undefined ? {} : { auth }),
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('default: the JWKS at AUTH_JWKS_URL', () => {
  let issuer: TestIssuer;
  let app: ServiceInstance;

  beforeAll(async () => {
    issuer = await createTestIssuer();
    app = await build(issuer.env);
    await app.ready();
  });
  afterAll(async () => {
    await app.close();
    await issuer.close();
  });

  it('starts without fetching the JWKS, and fetches it once for the first token', async () => {
    expect(issuer.fetchCount()).toBe(0);
    const token = await issuer.sign({ sub: 'user-1' });
    for (let i = 0; i < 3; i++) {
      const res = await app.inject({ url: '/v1/me', headers: bearer(token) });
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ subject: 'user-1' });
    }
    expect(issuer.fetchCount()).toBe(1);
  });

  it('app.auth.required: no token is 401 problem+json with WWW-Authenticate and CORS headers', async () => {
    const res = await app.inject({ url: '/v1/me', headers: { origin: ORIGIN } });
    expect(res.statusCode).toBe(401);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(res.json()).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(res.headers['www-authenticate']).toBe('Bearer realm="meridian"');
    // Verification runs after CORS in the API scope, so a browser can read the 401.
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
  });

  it('app.auth.optional: no token is anonymous, a bad one is still 401', async () => {
    const anon = await app.inject({ url: '/v1/public' });
    expect(anon.json()).toEqual({ subject: null });
    const signed = await app.inject({
      url: '/v1/public',
      headers: bearer(await issuer.sign({ sub: 'user-2' })),
    });
    expect(signed.json()).toEqual({ subject: 'user-2' });
    const bad = await app.inject({
      url: '/v1/public',
      headers: bearer(await issuer.sign({ sub: 'user-2' }, { audience: 'someone-else' })),
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.json().code).toBe('invalid-token');
  });

  it('requirePermission: 403 without the permission, through with it', async () => {
    const without = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: bearer(await issuer.sign({ sub: 'u', permissions: ['things:read'] })),
      payload: { name: 'x' },
    });
    expect(without.statusCode).toBe(403);
    expect(without.json()).toMatchObject({
      code: 'forbidden',
      detail: expect.stringMatching(/things:write/),
    });

    const withIt = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: bearer(await issuer.sign({ sub: 'u', permissions: ['things:write'] })),
      payload: { name: 'x' },
    });
    expect(withIt.statusCode).toBe(201);
  });

  it('documents the bearer scheme and the route that requires it', async () => {
    const doc = (await app.inject({ url: '/docs/json' })).json();
    expect(doc.components.securitySchemes.bearerAuth).toMatchObject({ scheme: 'bearer' });
    expect(doc.paths['/v1/things'].post.security).toEqual([{ bearerAuth: [] }]);
  });
});

describe('auth.keys: local verification', () => {
  let app: ServiceInstance;
  let sign: (alg: 'ES256' | 'EdDSA') => Promise<string>;

  beforeAll(async () => {
    const es = await generateKeyPair('ES256');
    const ed = await generateKeyPair('EdDSA');
    const jwks = {
      keys: [
        { ...(await exportJWK(es.publicKey)), kid: 'es', alg: 'ES256' },
        { ...(await exportJWK(ed.publicKey)), kid: 'ed', alg: 'EdDSA' },
      ],
    };
    sign = (alg) =>
      new SignJWT({ roles: [], permissions: ['things:write'] })
        .setProtectedHeader({ alg, kid: alg === 'ES256' ? 'es' : 'ed', typ: 'at+jwt' })
        .setIssuer('http://localhost:3001')
        .setAudience('meridian-api')
        .setSubject('user-3')
        .setIssuedAt()
        .setExpirationTime('5m')
        .setJti('t-1')
        .sign(alg === 'ES256' ? es.privateKey : ed.privateKey);
    // Nothing listens on port 1: any attempt to fetch a JWKS would fail the request with 503.
    app = await build(
      { AUTH_JWKS_URL: 'http://127.0.0.1:1/.well-known/jwks.json' },
      { keys: createLocalJWKSet(jwks), algorithms: ['ES256'] },
    );
    await app.ready();
  });
  afterAll(() => app.close());

  it('verifies with the given keys and algorithms, fetching nothing', async () => {
    const res = await app.inject({
      method: 'POST',
      url: '/v1/things',
      headers: bearer(await sign('ES256')),
      payload: { name: 'x' },
    });
    expect(res.statusCode).toBe(201);
  });

  it('refuses an algorithm outside the list, even with a key it knows', async () => {
    const res = await app.inject({ url: '/v1/me', headers: bearer(await sign('EdDSA')) });
    expect(res.statusCode).toBe(401);
    expect(res.json().code).toBe('invalid-token');
  });
});

describe('auth: false', () => {
  it('registers no auth plugin', async () => {
    const app = await createService({
      name: 'fixture',
      version: '0.0.0',
      description: 'No auth',
      config: fixtureConfig(),
      routes: async (api) => {
        api.get('/v1/open', async () => ({ auth: api.hasDecorator('auth') }));
      },
      auth: false,
    });
    try {
      await app.ready();
      expect((await app.inject({ url: '/v1/open' })).json()).toEqual({ auth: false });
    } finally {
      await app.close();
    }
  });
});

describe('rate limits around authentication', () => {
  let issuer: TestIssuer;
  beforeAll(async () => {
    issuer = await createTestIssuer();
  });
  afterAll(() => issuer.close());

  it('counts requests refused by token verification: a bad-token flood still meets a 429', async () => {
    const app = await build({
      ...issuer.env,
      RATE_LIMIT_MAX: '3',
      REDIS_PREFIX: uniquePrefix('rl'),
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const res = await app.inject({
          url: '/v1/me',
          headers: bearer('not.a.token'),
          remoteAddress: '198.51.100.1',
        });
        statuses.push(res.statusCode);
      }
      expect(statuses).toEqual([401, 401, 401, 429, 429]);
    } finally {
      await app.close();
    }
  });

  it('one budget per caller: a user by id across addresses, anyone else by address, services unlimited', async () => {
    const app = await build({
      ...issuer.env,
      RATE_LIMIT_MAX: '3',
      RATE_LIMIT_USER_MAX: '2',
      REDIS_PREFIX: uniquePrefix('rl'),
    });
    try {
      const get = async (token: string | null, ip: string) =>
        (
          await app.inject({
            url: '/v1/public',
            remoteAddress: ip,
            headers: token ? bearer(token) : {},
          })
        ).statusCode;
      const alice = await issuer.sign({ sub: 'alice' });
      const bob = await issuer.sign({ sub: 'bob' });
      expect(await get(alice, '198.51.100.10')).toBe(200);
      expect(await get(alice, '198.51.100.11')).toBe(200);
      // A third request from yet another address: her budget followed her.
      const limited = await app.inject({
        url: '/v1/public',
        remoteAddress: '198.51.100.12',
        headers: bearer(alice),
      });
      expect(limited.statusCode).toBe(429);
      expect(limited.json()).toMatchObject({ code: 'rate-limited' });
      expect(limited.headers['ratelimit-limit']).toBe('2');
      expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);

      // Behind Alice's first address, anonymous callers share that address's budget of 3…
      expect([
        await get(null, '198.51.100.10'),
        await get(null, '198.51.100.10'),
        await get(null, '198.51.100.10'),
      ]).toEqual([200, 200, 200]);
      expect(await get(null, '198.51.100.10')).toBe(429);
      // …while Bob, signed in from the same address, still has his own.
      expect(await get(bob, '198.51.100.10')).toBe(200);

      // A service principal is an internal caller: past both budgets, still served.
      const service = await issuer.sign({
        sub: 'service:orders',
        client_id: 'orders',
        scope: 'inventory:reserve',
        roles: [],
        permissions: ['inventory:reserve'],
      } as never);
      for (let i = 0; i < 5; i++) expect(await get(service, '198.51.100.20')).toBe(200);
    } finally {
      await app.close();
    }
  });
});
