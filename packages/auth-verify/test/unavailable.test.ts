// When the key set cannot be fetched the answer is 503 auth-unavailable with Retry-After,
// never a 401 that would tell a client its good token is bad (and make it log the user out).
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  bearer,
  buildApp,
  expectProblem,
  type HttpServer,
  INVALID_TOKEN,
  ISSUER,
  type JwksServer,
  makeKey,
  mint,
  startJwksServer,
  startServer,
  type TestKey,
} from './helpers.ts';

const UNAVAILABLE = { 'retry-after': '5' };

let key: TestKey;
let jwks: JwksServer;
let hanging: HttpServer;
let failing: HttpServer;
let garbage: HttpServer;
let refusedUrl: string;

beforeAll(async () => {
  key = await makeKey('key-1');
  jwks = await startJwksServer(key);
  hanging = await startServer(() => {
    // Never answers: the request must give up on its own timeout.
  });
  failing = await startServer((_req, res) => {
    res.writeHead(500).end('oops');
  });
  garbage = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"not":"a jwks"}');
  });
  // A port that was just free: connecting to it is refused.
  const gone = await startServer(() => {});
  refusedUrl = `${gone.url}/jwks`;
  await gone.close();
});

afterAll(async () => {
  await Promise.all([jwks.close(), hanging.close(), failing.close(), garbage.close()]);
});

async function callWith(jwksUrl: string, extra: { timeoutMs?: number } = {}) {
  const app = await buildApp({ issuer: ISSUER, audience: AUDIENCE, jwksUrl, ...extra });
  try {
    return await app.inject({ url: '/whoami', headers: bearer(await mint(key)) });
  } finally {
    await app.close();
  }
}

describe('JWKS unavailable: 503 auth-unavailable', () => {
  it('when the JWKS server never answers, after timeoutMs', async () => {
    const started = Date.now();
    const res = await callWith(`${hanging.url}/jwks`, { timeoutMs: 200 });
    expectProblem(res, 503, 'auth-unavailable', UNAVAILABLE);
    expect(res.headers['www-authenticate']).toBeUndefined();
    expect(Date.now() - started).toBeLessThan(1_500);
    expect(hanging.hits).toBe(1);
  });

  it('when the connection is refused', async () => {
    expectProblem(await callWith(refusedUrl), 503, 'auth-unavailable', UNAVAILABLE);
  });

  it('when the JWKS server answers 500', async () => {
    expectProblem(await callWith(`${failing.url}/jwks`), 503, 'auth-unavailable', UNAVAILABLE);
  });

  it('when the answer is not a key set', async () => {
    expectProblem(await callWith(`${garbage.url}/jwks`), 503, 'auth-unavailable', UNAVAILABLE);
  });

  it('but a malformed token is still a 401, without any fetch', async () => {
    const app = await buildApp({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: `${hanging.url}/jwks`,
      timeoutMs: 200,
    });
    const before = hanging.hits;
    try {
      const res = await app.inject({ url: '/whoami', headers: bearer('a.b.c') });
      expectProblem(res, 401, 'invalid-token');
      expect(hanging.hits).toBe(before);
    } finally {
      await app.close();
    }
  });
});

describe('JWKS going down after a fetch', () => {
  it('with stale-if-error off: cached keys work until cacheMaxAgeMs, then 503', async () => {
    const own = await startJwksServer(key);
    const app = await buildApp({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: own.jwksUrl,
      cacheMaxAgeMs: 300,
      timeoutMs: 200,
      staleIfErrorMs: 0,
    });
    try {
      const call = async () => app.inject({ url: '/whoami', headers: bearer(await mint(key)) });
      expect((await call()).statusCode).toBe(200);
      await own.close();
      expect((await call()).statusCode).toBe(200); // served from the cache
      await sleep(350);
      // jose refetches a stale set before use and does not fall back to it on failure.
      expectProblem(await call(), 503, 'auth-unavailable', UNAVAILABLE);
    } finally {
      await app.close();
    }
  });

  it('by default the last good set keeps verifying past cacheMaxAgeMs, until staleIfErrorMs', async () => {
    const own = await startJwksServer(key);
    const app = await buildApp({
      issuer: ISSUER,
      audience: AUDIENCE,
      jwksUrl: own.jwksUrl,
      cacheMaxAgeMs: 200,
      timeoutMs: 200,
      staleIfErrorMs: 900,
    });
    try {
      const call = async (k = key) =>
        app.inject({ url: '/whoami', headers: bearer(await mint(k)) });
      expect((await call()).statusCode).toBe(200);
      await own.close();
      await sleep(300); // past cacheMaxAge: jose tries to refetch, fails, we fall back
      expect((await call()).statusCode).toBe(200);
      // A kid the stale set does not have is still the token's fault, not an outage.
      const stranger = await makeKey('stranger-kid');
      expectProblem(await call(stranger), 401, 'invalid-token', INVALID_TOKEN);
      await sleep(700); // now older than staleIfErrorMs
      expectProblem(await call(), 503, 'auth-unavailable', UNAVAILABLE);
    } finally {
      await app.close();
    }
  });
});
