// Micro-measurements that explain a scenario's ratio: what one JWT verification or signing
// costs, layer by layer. The harness runs this after a scenario's rounds, pinned to the core
// its servers used, and reads one JSON line: {"<figure>": µs per operation, ...}.
//   verify: Ed25519 with node:crypto (synchronous), with crypto.subtle (what jose 6 uses; an
//           async job on libuv's pool), and jose's jwtVerify with auth-verify's checks.
//   sign:   the same three layers for signing an access token as the auth service does.
import {
  KeyObject,
  sign as nodeSign,
  verify as nodeVerify,
  randomUUID,
  webcrypto,
} from 'node:crypto';
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';

const ITERATIONS = 5000;
const WARMUP = 500;

async function perOpUs(fn: () => unknown): Promise<number> {
  for (let i = 0; i < WARMUP; i++) await fn();
  const t0 = performance.now();
  for (let i = 0; i < ITERATIONS; i++) await fn();
  return ((performance.now() - t0) * 1000) / ITERATIONS;
}

const { publicKey, privateKey } = await generateKeyPair('EdDSA', { extractable: true });
const jwk = { ...(await exportJWK(publicKey)), kid: 'bench', alg: 'EdDSA', use: 'sig' };
const claims = { iss: 'http://localhost:3001', aud: 'meridian-api' };

const signToken = () => {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ roles: ['customer'], permissions: [] })
    .setProtectedHeader({ alg: 'EdDSA', kid: 'bench', typ: 'at+jwt' })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setSubject(randomUUID())
    .setIssuedAt(now)
    .setExpirationTime(now + 600)
    .setJti(randomUUID())
    .sign(privateKey);
};

const token = await signToken();
const [header, payload, signature] = token.split('.');
const signingInput = Buffer.from(`${header}.${payload}`);
const sig = Buffer.from(signature ?? '', 'base64url');
// The same keys as node:crypto KeyObjects, for the synchronous path.
const pubObj = KeyObject.from(publicKey);
const privObj = KeyObject.from(privateKey);

const mode = process.argv[2];
const out: Record<string, number> = {};
if (mode === 'verify') {
  const keys = createLocalJWKSet({ keys: [jwk] });
  const options = {
    issuer: claims.iss,
    audience: claims.aud,
    algorithms: ['EdDSA'],
    typ: 'at+jwt',
    requiredClaims: ['iss', 'aud', 'sub', 'exp', 'iat', 'jti'],
  };
  out.nodeCryptoVerifyUs = await perOpUs(() => nodeVerify(null, signingInput, pubObj, sig));
  out.subtleVerifyUs = await perOpUs(() =>
    webcrypto.subtle.verify('Ed25519', publicKey, sig, signingInput),
  );
  out.joseJwtVerifyUs = await perOpUs(() => jwtVerify(token, keys, options));
} else if (mode === 'sign') {
  out.nodeCryptoSignUs = await perOpUs(() => nodeSign(null, signingInput, privObj));
  out.subtleSignUs = await perOpUs(() =>
    webcrypto.subtle.sign('Ed25519', privateKey, signingInput),
  );
  out.joseSignJwtUs = await perOpUs(signToken);
} else {
  console.error('usage: micro.ts verify|sign');
  process.exit(2);
}
console.log(JSON.stringify(out));
