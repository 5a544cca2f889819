// Signing keys. Production passes private JWKs in AUTH_SIGNING_KEYS (newest first: the first
// signs, the others are only published so tokens they signed keep verifying until retired).
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
/** A private JWK as we store it: `created` (Unix seconds) is our own member. */
export type StoredJwk = JWK & { created?: number };

export interface SigningKey {
  kid: string;
  alg: SigningAlg;
  privateKey: PrivateKey;
  /** Unix seconds the key was made (our own JWK member `created`; 0 when absent). */
  created: number;
}

// Verifiers refetch the JWKS on an unknown kid at most once per cooldown (30 s in
// @meridian/auth-verify), and the JWKS response may be cached for JWKS_MAX_AGE_SEC on the way:
// so a new key is published for their sum before it signs anything.
export const JWKS_MAX_AGE_SEC = 30;
export const PUBLISH_BEFORE_SIGNING_SEC = 60;

export interface KeyStore {
  /** The key to sign with now: the newest one published long enough for verifiers to know it. */
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

export async function buildKeyStore(
  privateJwks: StoredJwk[],
  publishDelaySec = PUBLISH_BEFORE_SIGNING_SEC,
): Promise<KeyStore> {
  if (privateJwks.length === 0) throw new Error('at least one signing key is required');
  const keys: SigningKey[] = [];
  const published: PublicJwk[] = [];
  for (const jwk of privateJwks) {
    if (!jwk.d) throw new Error(`signing key ${jwk.kid ?? '?'} has no private part`);
    const alg = algOf(jwk);
    const kid = jwk.kid ?? (await calculateJwkThumbprint(jwk));
    const created = typeof jwk.created === 'number' ? jwk.created : 0;
    keys.push({ kid, alg, privateKey: await importJWK({ ...jwk, alg }, alg), created });
    const { d: _private, created: _created, ...pub } = jwk;
    published.push({ ...pub, kty: jwk.kty ?? '', kid, alg, use: 'sig' });
  }
  const jwks = { keys: published };
  // The newest key signs once it has been published long enough — counted from when this
  // process started serving it, not from when it was made: a key rotated an hour ago but
  // loaded just now is news to every verifier. Until then the previous key (second in the
  // list, the one that was signing before) keeps signing. A lone key signs at once.
  const loadedAt = Math.floor(Date.now() / 1000);
  // biome-ignore lint/style/noNonNullAssertion: length checked above
  const [newest, previous] = [keys[0]!, keys[1]];
  const signer = () => {
    const ripe =
      Math.max(newest.created, loadedAt) <= Math.floor(Date.now() / 1000) - publishDelaySec;
    return ripe || !previous ? newest : previous;
  };
  return { signer, jwks, verifyKeys: createLocalJWKSet(jwks) };
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
