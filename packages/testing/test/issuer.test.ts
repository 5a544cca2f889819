// The test issuer: its JWKS is served over real HTTP and counted, and its tokens pass the
// same verifier every service uses (so they follow the auth service's contract).
import { createTokenVerifier } from '@meridian/auth-verify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestIssuer, type TestIssuer } from '../src/index.ts';

let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
});
afterAll(() => issuer.close());

describe('createTestIssuer', () => {
  it('signs tokens with exactly the contract header and claims', async () => {
    const token = await issuer.sign({ sub: 'user-1', roles: ['staff'], permissions: ['a:b'] });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', kid: issuer.kid, typ: 'at+jwt' });
    const claims = decodeJwt(token);
    expect(Object.keys(claims).sort()).toEqual(
      ['aud', 'exp', 'iat', 'iss', 'jti', 'permissions', 'roles', 'sub'].sort(),
    );
    expect(claims).toMatchObject({
      iss: issuer.issuer,
      aud: 'meridian-api',
      sub: 'user-1',
      roles: ['staff'],
      permissions: ['a:b'],
    });
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
  });

  it('serves its JWKS over HTTP, counts fetches, and its tokens pass @meridian/auth-verify', async () => {
    expect(issuer.env).toEqual({
      AUTH_JWKS_URL: issuer.jwksUrl,
      AUTH_ISSUER: issuer.issuer,
      AUTH_AUDIENCE: issuer.audience,
    });
    const before = issuer.fetchCount();
    const verifier = createTokenVerifier({
      jwksUrl: issuer.jwksUrl,
      issuer: issuer.issuer,
      audience: issuer.audience,
    });
    const principal = await verifier.verify(await issuer.sign({ sub: 'user-2' }));
    expect(principal).toMatchObject({ kind: 'user', userId: 'user-2', roles: [], permissions: [] });
    expect(issuer.fetchCount()).toBe(before + 1);

    // A kid the JWKS lacks and an expired token are refused; the cooldown spares the JWKS.
    await expect(
      verifier.verify(await issuer.sign({ sub: 'u' }, { kid: 'unknown' })),
    ).rejects.toMatchObject({ statusCode: 401, code: 'invalid-token' });
    await expect(
      verifier.verify(await issuer.sign({ sub: 'u' }, { expiresIn: -60, issuedAt: -120 })),
    ).rejects.toMatchObject({ statusCode: 401, code: 'invalid-token' });
    expect(issuer.fetchCount()).toBe(before + 1);
  });
});
