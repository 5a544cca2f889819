// Key rotation against a real JWKS server that counts its fetches: both published keys work,
// an unknown kid costs at most one refetch per cooldown however many requests carry it, and
// a newly published key is picked up by that refetch.
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUDIENCE,
  bearer,
  buildApp,
  expectProblem,
  INVALID_TOKEN,
  ISSUER,
  type JwksServer,
  makeKey,
  mint,
  startJwksServer,
  type TestKey,
} from './helpers.ts';

// Short enough to wait out in a test, long enough that 40 in-process requests (about a
// millisecond each, more on a busy CI machine) all land inside it. 0 would refetch on every
// unknown kid, which is what the cooldown exists to prevent, so it could not show the
// "one fetch" property.
const COOLDOWN_MS = 750;

let oldKey: TestKey;
let newKey: TestKey;
let jwks: JwksServer;
let app: FastifyInstance;

beforeAll(async () => {
  oldKey = await makeKey('2026-01');
  newKey = await makeKey('2026-02');
  // Mid-rotation: the new key signs, the old one stays published until its tokens expire.
  jwks = await startJwksServer(newKey, oldKey);
  app = await buildApp({
    issuer: ISSUER,
    audience: AUDIENCE,
    jwksUrl: jwks.jwksUrl,
    cooldownMs: COOLDOWN_MS,
  });
});

afterAll(async () => {
  await app.close();
  await jwks.close();
});

const whoami = async (key: TestKey) =>
  app.inject({ url: '/whoami', headers: bearer(await mint(key)) });

describe('JWKS rotation', () => {
  it('verifies tokens from both published keys with one fetch', async () => {
    expect((await whoami(newKey)).statusCode).toBe(200);
    expect((await whoami(oldKey)).statusCode).toBe(200);
    expect((await whoami(newKey)).statusCode).toBe(200);
    expect(jwks.hits).toBe(1);
  });

  it('an unknown kid right after a fetch refetches nothing (cooldown)', async () => {
    const res = await whoami(await makeKey('stranger'));
    expectProblem(res, 401, 'invalid-token', INVALID_TOKEN);
    expect(jwks.hits).toBe(1);
  });

  it('20 concurrent, then 20 sequential unknown kids cost exactly one refetch', async () => {
    await sleep(COOLDOWN_MS + 50);
    const strangers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => makeKey(`stranger-${i}`)),
    );
    const tokens = await Promise.all(strangers.map((k) => mint(k)));

    const started = Date.now();
    const concurrent = await Promise.all(
      tokens.map((t) => app.inject({ url: '/whoami', headers: bearer(t) })),
    );
    for (const t of tokens) {
      const res = await app.inject({ url: '/whoami', headers: bearer(t) });
      expectProblem(res, 401, 'invalid-token', INVALID_TOKEN);
    }
    // Guards the test itself: all 40 must have run within the cooldown of that one fetch.
    expect(Date.now() - started).toBeLessThan(COOLDOWN_MS);

    for (const res of concurrent) expectProblem(res, 401, 'invalid-token', INVALID_TOKEN);
    // The concurrent ones shared one in-flight fetch; the sequential ones hit the cooldown.
    expect(jwks.hits).toBe(2);
  });

  it('picks up a newly published key once the cooldown has passed', async () => {
    const nextKey = await makeKey('2026-03');
    // Rotation completes: the next key appears and the oldest is retired.
    jwks.publish(nextKey, newKey);
    await sleep(COOLDOWN_MS + 50);

    const res = await whoami(nextKey);
    expect(res.statusCode).toBe(200);
    expect(jwks.hits).toBe(3);

    // The refetched set no longer has the retired key: its tokens stop working.
    expectProblem(await whoami(oldKey), 401, 'invalid-token', INVALID_TOKEN);
    expect((await whoami(newKey)).statusCode).toBe(200);
    expect(jwks.hits).toBe(3);
  });

  it('within the cooldown, a key published after the last fetch is not yet known', async () => {
    // Why the auth service must publish a key at least cooldownMs before signing with it.
    const early = await makeKey('2026-04');
    await sleep(COOLDOWN_MS + 50);
    expect((await whoami(newKey)).statusCode).toBe(200); // no refetch: kid known
    const before = jwks.hits;
    await app.inject({ url: '/whoami', headers: bearer(await mint(await makeKey('x'))) });
    expect(jwks.hits).toBe(before + 1); // the unknown kid refetched; cooldown restarts now
    jwks.publish(early, newKey);
    expectProblem(await whoami(early), 401, 'invalid-token', INVALID_TOKEN);
    expect(jwks.hits).toBe(before + 1);
    await sleep(COOLDOWN_MS + 50);
    expect((await whoami(early)).statusCode).toBe(200);
    expect(jwks.hits).toBe(before + 2);
  });
});
