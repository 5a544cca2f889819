// The verified-token cache: the same token pays for one signature check, never outlives its
// exp, and the map stays bounded. The key resolver counts how often jose really verified.
import { setTimeout as sleep } from 'node:timers/promises';
import { createLocalJWKSet } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/index.ts';
import { AUDIENCE, ISSUER, makeKey, mint, now, type TestKey } from './helpers.ts';

let key: TestKey;
beforeAll(async () => {
  key = await makeKey('cache-kid');
});

function countingVerifier(
  opts: { cacheSize?: number; cacheTtlMs?: number; clockToleranceSec?: number } = {},
) {
  const local = createLocalJWKSet({ keys: [key.jwk] });
  let lookups = 0;
  const verifier = createTokenVerifier({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys: (header, token) => {
      lookups += 1;
      return local(header, token);
    },
    ...opts,
  });
  return { verifier, lookups: () => lookups };
}

describe('verified-token cache', () => {
  it('verifies a token once, then answers from memory with the same principal', async () => {
    const { verifier, lookups } = countingVerifier();
    const token = await mint(key);
    const first = await verifier.verify(token);
    for (let i = 0; i < 5; i++) expect(await verifier.verify(token)).toBe(first);
    expect(lookups()).toBe(1);
  });

  it('only the exact token hits: one changed character is verified (and refused)', async () => {
    const { verifier, lookups } = countingVerifier();
    const token = await mint(key);
    await verifier.verify(token);
    const tampered = `${token.slice(0, -2)}${token.at(-2) === 'A' ? 'B' : 'A'}${token.at(-1)}`;
    await expect(verifier.verify(tampered)).rejects.toMatchObject({ statusCode: 401 });
    expect(lookups()).toBe(2);
  });

  it('a cached token still expires at its exp', async () => {
    const { verifier } = countingVerifier({ clockToleranceSec: 0 });
    const token = await mint(key, { claims: { exp: now() + 2 } });
    await verifier.verify(token);
    await sleep(2_100);
    await expect(verifier.verify(token)).rejects.toMatchObject({
      statusCode: 401,
      code: 'invalid-token',
    });
  });

  it('entries end after cacheTtlMs even for long-lived tokens', async () => {
    const { verifier, lookups } = countingVerifier({ cacheTtlMs: 100 });
    const token = await mint(key);
    await verifier.verify(token);
    await sleep(150);
    await verifier.verify(token);
    expect(lookups()).toBe(2);
  });

  it('stays bounded: the oldest entry goes first', async () => {
    const { verifier, lookups } = countingVerifier({ cacheSize: 2 });
    const [a, b, c] = await Promise.all([mint(key), mint(key), mint(key)]);
    for (const t of [a, b, c]) await verifier.verify(t as string);
    expect(lookups()).toBe(3);
    await verifier.verify(c as string); // still cached
    expect(lookups()).toBe(3);
    await verifier.verify(a as string); // evicted by c
    expect(lookups()).toBe(4);
  });

  it('cacheSize 0 turns it off', async () => {
    const { verifier, lookups } = countingVerifier({ cacheSize: 0 });
    const token = await mint(key);
    await verifier.verify(token);
    await verifier.verify(token);
    expect(lookups()).toBe(2);
  });
});
