// The Fastify side: `request.principal`, and `app.auth` hooks a route opts into. Hooks throw
// AppErrors; the problem+json handler from @meridian/errors renders them, headers included,
// which is why this plugin declares it as a dependency.
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { forbidden, unauthorized } from './errors.ts';
import {
  createTokenVerifier,
  type Principal,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './verifier.ts';

export type AuthHook = (request: FastifyRequest) => Promise<void>;

export interface AuthHooks {
  /** onRequest: a valid Bearer token is required; sets request.principal. */
  required: AuthHook;
  /** onRequest: no Authorization header leaves principal null; a bad one is still a 401. */
  optional: AuthHook;
  /** A hook (onRequest after `required`, or preHandler): the principal must hold every one of `permissions`. */
  requirePermission(...permissions: string[]): AuthHook;
  /**
   * Who the Bearer token says is calling, or null (no token, or one that does not verify).
   * Never throws. The verification is shared with `required`/`optional` on the same request,
   * so a rate limiter can key on the user before the route's hooks run, at no extra cost.
   */
  identify(request: FastifyRequest): Promise<Principal | null>;
  verifier: TokenVerifier;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Who made the request, once an `app.auth` hook has run; null otherwise. */
    principal: Principal | null;
  }
  interface FastifyInstance {
    auth: AuthHooks;
  }
}

/** Either verifier settings, or a verifier built elsewhere (shared with a worker, say). */
export type AuthVerifyOptions =
  | (TokenVerifierOptions & { verifier?: TokenVerifier })
  | { verifier: TokenVerifier };

/**
 * The token from `Authorization: Bearer <token>` (scheme case-insensitive, RFC 7235), or
 * null when there is none to verify: no header, another scheme, an empty credential.
 */
function bearerToken(header: string | undefined): string | null {
  if (header === undefined) return null;
  const match = /^bearer[ \t]+(.*)$/is.exec(header.trim());
  const token = match?.[1]?.trim();
  return token ? token : null;
}

/** For handlers behind `app.auth.required`: the principal, typed as present. */
export function requirePrincipal(request: FastifyRequest): Principal {
  if (request.principal === null) throw unauthorized();
  return request.principal;
}

const authVerifyPlugin: FastifyPluginAsync<AuthVerifyOptions> = async (app, opts) => {
  const verifier =
    opts.verifier ?? createTokenVerifier(opts as TokenVerifierOptions & { verifier?: undefined });

  // null, not an object: a reference-type default would be shared by every request.
  app.decorateRequest('principal', null);

  // One verification per request, whoever asks first (a limiter's identify, a route hook).
  const verifications = new WeakMap<FastifyRequest, Promise<Principal>>();
  const verifyOnce = (request: FastifyRequest, token: string): Promise<Principal> => {
    let pending = verifications.get(request);
    if (!pending) {
      pending = verifier.verify(token);
      // Whoever awaits it handles the rejection; this only stops an unhandled-rejection
      // warning when identify() swallowed it and no route hook asks again.
      pending.catch(() => {});
      verifications.set(request, pending);
    }
    return pending;
  };

  const required: AuthHook = async (request) => {
    const token = bearerToken(request.headers.authorization);
    if (token === null) throw unauthorized();
    request.principal = await verifyOnce(request, token);
  };

  const identify = async (request: FastifyRequest): Promise<Principal | null> => {
    const token = bearerToken(request.headers.authorization);
    if (token === null) return null;
    try {
      return await verifyOnce(request, token);
    } catch {
      return null;
    }
  };

  const optional: AuthHook = async (request) => {
    if (!request.headers.authorization) return;
    await required(request);
  };

  const requirePermission = (...permissions: string[]): AuthHook => {
    // An empty list would guard nothing while looking like it does.
    if (permissions.length === 0) throw new TypeError('requirePermission needs a permission');
    return async (request) => {
      const principal = requirePrincipal(request);
      const missing = permissions.filter((p) => !principal.permissions.includes(p));
      if (missing.length > 0) throw forbidden(missing);
    };
  };

  app.decorate('auth', { required, optional, requirePermission, identify, verifier });
};

export const authVerify = fp(authVerifyPlugin, {
  name: '@meridian/auth-verify',
  fastify: '5.x',
  dependencies: ['@meridian/problem'],
});
