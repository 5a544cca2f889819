// buildApp(config): the auth service, assembled top-down; authService is also a plain
// plugin so the services can later share one process (ARC-02). Dependencies are built here,
// once, and handed to the modules that need them (no container, no globals).
import cookie from '@fastify/cookie';
import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { type Config, missingSecrets } from './config.ts';
import { createAuthDb } from './db/client.ts';
import { createAuthenticator } from './http/authenticate.ts';
import { basicCredentials } from './http/basic-auth.ts';
import { loginLimits } from './http/login-limits.ts';
import { type KeyStore, loadKeyStore } from './keys/keystore.ts';
import { adminRoutes } from './modules/admin/admin.routes.ts';
import { adminService } from './modules/admin/admin.service.ts';
import { credentialService } from './modules/credentials/credentials.service.ts';
import { createLockout } from './modules/credentials/lockout.ts';
import { createPasswordHasher } from './modules/passwords/password-hasher.ts';
import { findGrants } from './modules/roles/roles.repository.ts';
import { roleRoutes } from './modules/roles/roles.routes.ts';
import { roleService } from './modules/roles/roles.service.ts';
import { createSessionStore } from './modules/sessions/session-store.ts';
import { sessionRoutes } from './modules/sessions/sessions.routes.ts';
import { createAccessTokenIssuer } from './modules/tokens/access-tokens.ts';
import { jwksRoutes, tokenRoutes } from './modules/tokens/tokens.routes.ts';
import { tokenService } from './modules/tokens/tokens.service.ts';
import { userRoutes } from './modules/users/users.routes.ts';
import { userService } from './modules/users/users.service.ts';

export interface AuthServiceOptions {
  config: Config;
  keys: KeyStore;
  [key: string]: unknown;
}

export const authService: FastifyPluginAsync<AuthServiceOptions> = async (
  app,
  { config, keys },
) => {
  const db = createAuthDb(app.pg);
  await app.register(cookie);
  app.decorateRequest('session', null);

  const prefix = config.REDIS_PREFIX;
  const hasher = createPasswordHasher(
    {
      memoryCost: config.AUTH_HASH_MEMORY_KIB,
      timeCost: config.AUTH_HASH_ITERATIONS,
      parallelism: config.AUTH_HASH_PARALLELISM,
    },
    config.AUTH_HASH_CONCURRENCY,
    config.AUTH_HASH_QUEUE_MAX,
  );
  const lockout = createLockout(
    app.redis,
    {
      threshold: config.AUTH_LOCKOUT_THRESHOLD,
      baseSec: config.AUTH_LOCKOUT_BASE_SEC,
      maxSec: config.AUTH_LOCKOUT_MAX_SEC,
      windowSec: 15 * 60,
      prefix,
    },
    (err) => app.log.warn({ err }, 'lockout store unavailable; login allowed without it'),
  );
  const sessions = createSessionStore(app.redis, {
    idleSec: config.AUTH_SESSION_IDLE_SEC,
    absoluteSec: config.AUTH_SESSION_ABSOLUTE_SEC,
    prefix,
  });
  const credentials = credentialService({ db, hasher, lockout, log: app.log });
  const issuer = createAccessTokenIssuer(keys, {
    issuer: config.AUTH_ISSUER,
    audience: config.AUTH_AUDIENCE,
    userTtlSec: config.AUTH_ACCESS_TOKEN_TTL_SEC,
    serviceTtlSec: config.AUTH_SERVICE_TOKEN_TTL_SEC,
  });
  const tokens = tokenService({
    db,
    issuer,
    credentials,
    hasher,
    refreshTtlSec: config.AUTH_REFRESH_TOKEN_TTL_SEC,
    log: app.log,
  });
  const grantsOf = (userId: string) => findGrants(db, userId);
  const authn = createAuthenticator({ bearer: app.auth.required, sessions, grantsOf });

  const revokeSessions = (userId: string, keepSessionId: string | null) =>
    sessions.revokeAll(userId, keepSessionId ?? undefined);
  // logout-all: sessions first, so a Redis failure (503) leaves nothing half done.
  const revokeEverywhere = async (userId: string) => {
    const ended = await revokeSessions(userId, null);
    const families = await tokens.revokeAllForUser(userId, 'logout-all');
    app.log.info({ event: 'logins.revoked', userId, families, sessions: ended }, 'logins revoked');
  };

  const accountOf = (request: FastifyRequest) => {
    const body = request.body as Record<string, unknown> | undefined;
    // The account the request tries to authenticate as: for client credentials the client
    // (Basic first, as the token route reads it), otherwise the email. Basic is read only for
    // that grant, so a made-up Basic header cannot move a password login to another budget.
    const account =
      body?.grant_type === 'client_credentials'
        ? (basicCredentials(request)?.id ?? body?.client_id)
        : (body?.username ?? body?.email);
    return typeof account === 'string' ? account : undefined;
  };
  const limitLogins = loginLimits(app, {
    name: 'login',
    perIp: config.AUTH_LOGIN_IP_MAX,
    perAccount: config.AUTH_LOGIN_ACCOUNT_MAX,
    windowMs: 60_000,
    accountOf,
  });
  const limitRegistrations = loginLimits(app, {
    name: 'register',
    perIp: config.AUTH_REGISTER_IP_MAX,
    perAccount: config.AUTH_LOGIN_ACCOUNT_MAX,
    windowMs: 60_000,
    accountOf,
  });

  await app.register(jwksRoutes, { keys });
  await app.register(
    async (v1) => {
      await v1.register(roleRoutes, { roles: roleService(db) });
      await v1.register(userRoutes, {
        users: userService({
          db,
          hasher,
          passwordMinLength: config.AUTH_PASSWORD_MIN_LENGTH,
          credentials,
          revokeSessions,
          log: app.log,
        }),
        authn,
        limitRegistrations,
        limitLogins,
      });
      await v1.register(tokenRoutes, { tokens, authn, limitLogins, revokeEverywhere });
      await v1.register(sessionRoutes, {
        sessions,
        credentials,
        issuer,
        grantsOf,
        authn,
        limitLogins,
        cookieSecure: config.AUTH_COOKIE_SECURE,
        absoluteSec: config.AUTH_SESSION_ABSOLUTE_SEC,
      });
      await v1.register(adminRoutes, { admin: adminService(db), authn });
    },
    { prefix: '/v1' },
  );
};

export async function buildApp(
  config: Config,
  opts: { keys?: KeyStore } = {},
): Promise<ServiceInstance> {
  const problems = missingSecrets(config);
  if (problems.length) throw new Error(`Unsafe configuration:\n  - ${problems.join('\n  - ')}`);
  const keys =
    opts.keys ??
    (await loadKeyStore({
      signingKeys: config.AUTH_SIGNING_KEYS,
      keyFile: config.AUTH_KEY_FILE,
      allowGenerated: config.AUTH_DEV_DEFAULTS,
    }));
  return createService({
    name: 'auth',
    version: '0.2.0',
    description:
      'Identity: accounts, argon2id passwords, access JWTs (EdDSA, JWKS), rotating refresh tokens, cookie sessions with CSRF, RBAC and service clients.',
    config,
    routes: authService,
    routesOptions: { config, keys },
    // The kit verifies this service's own tokens with the same plugin the others use, but
    // from its in-memory keys rather than over HTTP.
    auth: { keys: keys.verifyKeys },
    securitySchemes: {
      sessionCookie: { type: 'apiKey', in: 'cookie', name: '__Host-meridian_session' },
    },
  });
}
