// Signing keys. Production passes private JWKs in AUTH_SIGNING_KEYS. The first key not marked
// `next` signs; every key is published, so tokens signed by the previous key keep verifying
// until it is retired, and a staged `next` key is known to every verifier before it signs.
// A local run generates one Ed25519 key once and keeps it in AUTH_KEY_FILE, so tokens survive
// a restart. The JWKS publishes public parts only. See docs/jwt-and-sessions.md.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTVerifyGetKey,
  type SignJWT,
} from 'jose';

export type SigningAlg = 'EdDSA' | 'ES256';
type PrivateKey = Parameters<SignJWT['sign']>[0];
export type PublicJwk = JWK & { kid: string; kty: string };
/**
 * A private JWK as we store it, with two members of our own: `created` (Unix seconds) and
 * `next` (staged: published but not signing yet; see rotate.ts).
 */
export type StoredJwk = JWK & { created?: number; next?: boolean };

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: PrivateKey;
}

// Verifiers refetch the JWKS on an unknown kid at most once per cooldown (30 s in
// @meridian/auth-verify), and the JWKS response may be cached for JWKS_MAX_AGE_SEC on the way:
// so a staged key must be served for their sum before it is promoted to sign.
export const JWKS_MAX_AGE_SEC = 30;
export const PUBLISH_BEFORE_SIGNING_SEC = 60;

export interface KeyStore {
  /** The key to sign with: the first one not staged as `next`. */
  signer(): SigningKey;
  /** What /.well-known/jwks.json serves: every key's public half. */
  jwks: { keys: PublicJwk[] };
  /** Verifies this service's own tokens without an HTTP round trip. */
  verifyKeys: JWTVerifyGetKey;
}

function algOf(jwk: JWK): SigningAlg {
  if (jwk.kty === 'OKP' && jwk.crv === 'Ed25519') return 'EdDSA';
  if (jwk.kty === 'EC' && jwk.crv === 'P-256') return 'ES256';
  throw new Error(`unsupported signing key (kty=${jwk.kty}, crv=${jwk.crv}): use Ed25519 or P-256`);
}

/** A fresh private JWK with its RFC 7638 thumbprint as kid. */
export async function generateSigningJwk(alg: SigningAlg = 'EdDSA'): Promise<StoredJwk> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  const jwk = await exportJWK(privateKey);
  return {
    ...jwk,
    kid: await calculateJwkThumbprint(jwk),
    alg,
    created: Math.floor(Date.now() / 1000),
  };
}

export async function buildKeyStore(privateJwks: StoredJwk[]): Promise<KeyStore> {
  const keys: SigningKey[] = [];
  const published: PublicJwk[] = [];
  let signing: SigningKey | undefined;
  for (const jwk of privateJwks) {
    if (!jwk.d) throw new Error(`signing key ${jwk.kid ?? '?'} has no private part`);
    const alg = algOf(jwk);
    const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
    const key = { kid, alg, privateKey: await importJWK({ ...jwk, alg }, alg) };
    keys.push(key);
    if (!signing && jwk.next !== true) signing = key;
    const { d: _private, created: _created, next: _next, ...pub } = jwk;
    published.push({ ...pub, kty: jwk.kty ?? '', kid, alg, use: 'sig' });
  }
  if (!signing) throw new Error('no signing key: every key is staged as next (run keys:rotate)');
  const current = signing;
  const jwks = { keys: published };
  return { signer: () => current, jwks, verifyKeys: createLocalJWKSet(jwks) };
}

export function parseKeysJson(raw: string): StoredJwk[] {
  const parsed: unknown = JSON.parse(raw);
  const list = Array.isArray(parsed) ? parsed : (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(list)) throw new Error('expected a JSON array of private JWKs');
  return list as StoredJwk[];
}

/** Reads the key file, creating it (mode 0600) with one new key if it does not exist. */
export async function loadOrCreateKeyFile(path: string): Promise<StoredJwk[]> {
  try {
    return parseKeysJson(await readFile(path, 'utf8'));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dirname(path), { recursive: true });
  const keys = [await generateSigningJwk()];
  try {
    // 'wx': if another process created it meanwhile, use theirs instead of overwriting.
    await writeFile(path, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    return keys;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseKeysJson(await readFile(path, 'utf8'));
  }
}

export async function loadKeyStore(opts: {
  signingKeys: string | undefined;
  keyFile: string;
  /** May a missing key be generated into keyFile (AUTH_DEV_DEFAULTS)? */
  allowGenerated: boolean;
}): Promise<KeyStore> {
  if (opts.signingKeys) return buildKeyStore(parseKeysJson(opts.signingKeys));
  if (!opts.allowGenerated) {
    throw new Error('AUTH_SIGNING_KEYS must be set when AUTH_DEV_DEFAULTS=false');
  }
  return buildKeyStore(await loadOrCreateKeyFile(opts.keyFile));
}
