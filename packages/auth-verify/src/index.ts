// Verifying the auth service's access tokens: a framework-free verifier, a Fastify plugin
// with route hooks, and a client-credentials token source for service-to-service calls.
export {
  authUnavailable,
  forbidden,
  invalidToken,
  RETRY_AFTER_SEC,
  unauthorized,
} from './errors.ts';
export {
  type AuthHook,
  type AuthHooks,
  type AuthVerifyOptions,
  authVerify,
  requirePrincipal,
} from './plugin.ts';
export { ServiceTokenSource, type ServiceTokenSourceOptions } from './service-token.ts';
export {
  createTokenVerifier,
  type Principal,
  type TokenVerifier,
  type TokenVerifierOptions,
} from './verifier.ts';
