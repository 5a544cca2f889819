// app.auth.identify: who the Bearer token names, or null, never an error; and one
// verification per request however many hooks ask (a rate limiter first, the route after).

import { problemDetails } from '@meridian/errors';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authVerify, createTokenVerifier, type TokenVerifier } from '../src/index.ts';
import {
  AUDIENCE,
  bearer,
  ISSUER,
  type JwksServer,
  makeKey,
  mint,
  startJwksServer,
  type TestKey,
} from './helpers.ts';

let key: TestKey;
let jwks: JwksServer;
let calls = 0;
let app: FastifyInstance;

beforeAll(async () => {
  key = await makeKey('identify-kid');
  jwks = await startJwksServer(key);
  const inner = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: jwks.jwksUrl,
    cacheSize: 0,
  });
  const counting: TokenVerifier = {
    verify: (token) => {
      calls += 1;
      return inner.verify(token);
    },
  };
  app = Fastify();
  await app.register(problemDetails);
  await app.register(authVerify, { verifier: counting });
  // What the service kit's rate limiter does: identify first, in an app-level hook.
  app.addHook('onRequest', async (request) => {
    const who = await app.auth.identify(request);
    request.headers['x-identified'] = who ? who.subject : 'nobody';
  });
  app.get('/whoami', { onRequest: app.auth.required }, async (request) => ({
    identified: request.headers['x-identified'],
    subject: request.principal?.subject,
  }));
  await app.ready();
});
afterAll(async () => {
  await app.close();
  await jwks.close();
});

describe('app.auth.identify', () => {
  it('names the caller, and the route hook reuses that verification (one call)', async () => {
    calls = 0;
    const res = await app.inject({ url: '/whoami', headers: bearer(await mint(key)) });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ identified: 'user-42', subject: 'user-42' });
    expect(calls).toBe(1);
  });

  it('is null for no token and for a bad one, without throwing; the route still refuses the bad one', async () => {
    calls = 0;
    const none = await app.inject({ url: '/whoami' });
    expect(none.statusCode).toBe(401);
    const bad = await app.inject({ url: '/whoami', headers: bearer('not.a.token') });
    expect(bad.statusCode).toBe(401);
    expect(bad.json()).toMatchObject({ code: 'invalid-token' });
    expect(calls).toBe(1); // the bad token: verified once, failed once, answered twice
  });
});
