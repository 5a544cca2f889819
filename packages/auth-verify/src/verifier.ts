// Access-token verification, free of any framework so workers can use it too. jose does the
// cryptography and the standard claims; this file decides what counts as the token's fault
// (401) and what is ours (503), and turns the claims into a Principal.
import {
  type CryptoKey,
  createLocalJWKSet,
  createRemoteJWKSet,
  type ExportedJWKSCache,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  jwksCache,
  jwtVerify,
  type KeyObject,
} from 'jose';
import { authUnavailable, invalidToken } from './errors.ts';

export interface Principal {
  /** 'service' when `sub` starts with `service:` (a client-credentials token). */
  kind: 'user' | 'service';
  /** The token's `sub`. */
  subject: string;
  /** `sub` for users, null for services. */
  userId: string | null;
  /** `client_id` for services, null for users. */
  clientId: string | null;
  roles: readonly string[];
  permissions: readonly string[];
  /** `jti`. */
  tokenId: string;
  /** `exp`, in seconds since the epoch. */
  expiresAt: number;
}

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  /** Remote JWKS (other services). Exactly one of `jwksUrl` and `keys`. */
  jwksUrl?: string | URL;
  /**
   * Or a local key resolver (the auth service verifying its own tokens; tests): jose's
   * JWTVerifyGetKey (e.g. `createLocalJWKSet(jwks)`) or a public KeyObject/CryptoKey.
   */
  keys?: JWTVerifyGetKey | CryptoKey | KeyObject;
  /** Accepted JWS algorithms; asymmetric only. Default ['EdDSA']. */
  algorithms?: string[];
  /** JWKS HTTP timeout. Default 2000. */
  timeoutMs?: number;
  /** Least time between JWKS refetches triggered by an unknown kid. Default 30000. */
  cooldownMs?: number;
  /** JWKS cache max age; older keys are refetched before use. Default 600000. */
  cacheMaxAgeMs?: number;
  /**
   * When the JWKS cannot be fetched, keep verifying with the last set fetched successfully for
   * this long after that fetch (stale-if-error), so an auth-service outage does not turn every
   * request elsewhere into a 503. 0 disables it. Default 3600000 (1 h).
   */
  staleIfErrorMs?: number;
  /**
   * Verified tokens remembered per process, so a client sending the same token on every
   * request pays for one signature check, not one per request. 0 turns it off. Default 10000.
   */
  cacheSize?: number;
  /** Longest a verified token is remembered (never past its `exp`). Default 60000. */
  cacheTtlMs?: number;
  /** Leeway for exp/nbf against clock skew between hosts. Default 5. */
  clockToleranceSec?: number;
}

export interface TokenVerifier {
  /** Resolves to the token's Principal; rejects with AppError 401 invalid-token or 503 auth-unavailable. */
  verify(token: string): Promise<Principal>;
}

/** Far above any token we issue; a bigger header is rejected before any parsing or crypto. */
const MAX_TOKEN_LENGTH = 8_192;

/**
 * What the key resolver throws because of the token rather than the key source: the kid is
 * not in the set (even after the refetch jose does), or the header is ambiguous. Everything
 * else from the resolver (ERR_JWKS_TIMEOUT, ERR_JOSE_GENERIC for a non-200 or non-JSON
 * response, ERR_JWKS_INVALID, fetch's own TypeError on a refused connection) means we could
 * not get usable keys.
 */
const TOKEN_FAULT_KEY_ERRORS = new Set([
  'ERR_JWKS_NO_MATCHING_KEY',
  'ERR_JWKS_MULTIPLE_MATCHING_KEYS',
  'ERR_JOSE_NOT_SUPPORTED',
]);

/** Marks a resolver failure as the key source's, so verify() maps it to 503. */
class KeySourceFailure extends Error {
  constructor(cause: unknown) {
    super('signing keys unavailable', { cause });
    this.name = 'KeySourceFailure';
  }
}

function errorCode(err: unknown): unknown {
  return typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
}

/**
 * Classifies by where the error came from, not by code alone: a network failure surfaces
 * from fetch as a bare TypeError with no jose code, and a timeout or bad response from the
 * resolver must never look like a bad token.
 */
function guardResolver(resolve: JWTVerifyGetKey): JWTVerifyGetKey {
  return async (header, token) => {
    try {
      return await resolve(header, token);
    } catch (err) {
      if (TOKEN_FAULT_KEY_ERRORS.has(errorCode(err) as string)) throw err;
      throw new KeySourceFailure(err);
    }
  };
}

/**
 * Stale-if-error: if the key source fails, verify against the last set fetched successfully,
 * while it is younger than `maxStaleMs`. A kid missing from that set is still the token's
 * fault (401). The cost: a key retired during an outage stays trusted until the outage ends
 * or maxStaleMs passes — the same trade a CDN makes with stale-if-error.
 */
function withStaleFallback(
  remote: JWTVerifyGetKey,
  cache: Partial<ExportedJWKSCache>,
  maxStaleMs: number,
): JWTVerifyGetKey {
  let local: { uat: number; resolve: JWTVerifyGetKey } | null = null;
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      const { jwks, uat } = cache;
      if (!(err instanceof KeySourceFailure) || !jwks || !uat || Date.now() - uat > maxStaleMs) {
        throw err;
      }
      if (local?.uat !== uat) local = { uat, resolve: createLocalJWKSet(jwks) };
      return local.resolve(header, token);
    }
  };
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

function nonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Claims beyond what jose checks; the contract the auth service signs. */
function toPrincipal(payload: JWTPayload): Principal {
  const { sub, jti, exp, roles, permissions } = payload;
  if (!nonEmptyString(sub) || !nonEmptyString(jti) || typeof exp !== 'number') {
    throw invalidToken();
  }
  if (!isStringArray(roles) || !isStringArray(permissions)) throw invalidToken();

  const isService = sub.startsWith('service:');
  let clientId: string | null = null;
  if (isService) {
    // sub and client_id name the same client; a disagreement means a token we did not mint.
    const claimed = payload.client_id;
    if (!nonEmptyString(claimed) || sub !== `service:${claimed}`) throw invalidToken();
    clientId = claimed;
  }
  return Object.freeze({
    kind: isService ? 'service' : 'user',
    subject: sub,
    userId: isService ? null : sub,
    clientId,
    // Copied and frozen so no handler can grant itself a permission for later hooks.
    roles: Object.freeze([...roles]),
    permissions: Object.freeze([...permissions]),
    tokenId: jti,
    expiresAt: exp,
  });
}

export function createTokenVerifier(opts: TokenVerifierOptions): TokenVerifier {
  if ((opts.jwksUrl === undefined) === (opts.keys === undefined)) {
    throw new TypeError('createTokenVerifier: give exactly one of jwksUrl and keys');
  }
  const algorithms = opts.algorithms ?? ['EdDSA'];
  // A shared-secret alg would let anyone holding the public key mint tokens (key confusion),
  // and 'none' needs no key at all: refuse them at start-up, not per request.
  if (algorithms.length === 0 || algorithms.some((a) => /^(HS|none$)/i.test(a))) {
    throw new TypeError('createTokenVerifier: algorithms must be asymmetric (e.g. EdDSA, ES256)');
  }

  let key: JWTVerifyGetKey | CryptoKey | KeyObject;
  if (opts.jwksUrl !== undefined) {
    // jose fills this in on every successful fetch: the last good set and when it came.
    const cache = {} as Partial<ExportedJWKSCache>;
    const remote = guardResolver(
      createRemoteJWKSet(new URL(opts.jwksUrl), {
        timeoutDuration: opts.timeoutMs ?? 2_000,
        cooldownDuration: opts.cooldownMs ?? 30_000,
        cacheMaxAge: opts.cacheMaxAgeMs ?? 600_000,
        [jwksCache]: cache as ExportedJWKSCache,
      }),
    );
    key = withStaleFallback(remote, cache, opts.staleIfErrorMs ?? 3_600_000);
  } else {
    const keys = opts.keys as JWTVerifyGetKey | CryptoKey | KeyObject;
    key = typeof keys === 'function' ? guardResolver(keys) : keys;
  }

  const verifyOptions: JWTVerifyOptions = {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms,
    // RFC 9068: only access tokens are accepted here, not ID tokens or other JWTs we sign.
    typ: 'at+jwt',
    clockTolerance: opts.clockToleranceSec ?? 5,
    requiredClaims: ['exp', 'iat', 'sub', 'jti'],
  };

  const cache = new VerifiedTokenCache(opts.cacheSize ?? 10_000, opts.cacheTtlMs ?? 60_000);

  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        throw invalidToken();
      }
      const known = cache.get(token);
      if (known) return known;
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key, verifyOptions));
      } catch (err) {
        if (err instanceof KeySourceFailure) throw authUnavailable(err.cause);
        // Everything else jose throws (ERR_JWS_INVALID, ERR_JWT_INVALID, ERR_JOSE_ALG_NOT_ALLOWED,
        // ERR_JWS_SIGNATURE_VERIFICATION_FAILED, ERR_JWT_EXPIRED, ERR_JWT_CLAIM_VALIDATION_FAILED,
        // ERR_JWKS_NO_MATCHING_KEY, ...) is about the token.
        throw invalidToken(err);
      }
      const principal = toPrincipal(payload);
      cache.set(token, principal);
      return principal;
    },
  };
}

/**
 * A bounded map from token string to the principal it verified to. Keyed by the whole token,
 * signature included, so only the exact bytes that passed verification can hit. Entries end
 * at the token's `exp` (without clock leeway) or after `ttlMs`, whichever is first; the
 * oldest entry goes when the map is full (Map keeps insertion order). The trade: a key
 * retired from the JWKS stops working here up to `ttlMs` later than it otherwise would.
 */
class VerifiedTokenCache {
  readonly #entries = new Map<string, { principal: Principal; until: number }>();
  constructor(
    readonly size: number,
    readonly ttlMs: number,
  ) {}

  get(token: string): Principal | undefined {
    const hit = this.#entries.get(token);
    if (!hit) return undefined;
    if (Date.now() >= hit.until) {
      this.#entries.delete(token);
      return undefined;
    }
    return hit.principal;
  }

  set(token: string, principal: Principal): void {
    if (this.size <= 0) return;
    if (this.#entries.size >= this.size) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(token, {
      principal,
      until: Math.min(principal.expiresAt * 1000, Date.now() + this.ttlMs),
    });
  }
}
