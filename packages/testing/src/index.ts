// Helpers for component tests against the real Postgres and Redis, and a test token issuer.

export { createTestApp, type TestApp, type TestAppOptions } from './app.ts';
export { ADMIN_DATABASE_URL, createTestDatabase, type TestDatabase } from './database.ts';
export { testEnv, uniquePrefix } from './env.ts';
export {
  createTestIssuer,
  JWKS_PATH,
  type TestIssuer,
  type TestIssuerOptions,
  type TestSignOptions,
  type TestTokenClaims,
} from './issuer.ts';
export { createTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcp-proxy.ts';
