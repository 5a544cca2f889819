// The auth service's environment: the kit's shared variables plus its own. Defaults suit a
// laptop; production must set the secrets (see assertProductionSafe and docs/configuration.md).
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

const int = (minimum: number, maximum: number, dflt: number, description: string) =>
  Type.Integer({ minimum, maximum, default: dflt, description });

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3001),
  /**
   * Development fallbacks, one explicit switch (no NODE_ENV branches): with true, a missing
   * signing key is generated into AUTH_KEY_FILE and the seed may use the dev passwords below.
   * Off unless asked for (`pnpm start` and the tests ask), so a deployment that forgets it
   * refuses to start without real secrets instead of running on public ones.
   */
  AUTH_DEV_DEFAULTS: Type.Boolean({ default: false }),

  // --- Tokens ---
  AUTH_ACCESS_TOKEN_TTL_SEC: int(30, 3600, 600, 'Access JWT lifetime'),
  AUTH_SERVICE_TOKEN_TTL_SEC: int(30, 3600, 900, 'Client-credentials token lifetime'),
  AUTH_REFRESH_TOKEN_TTL_SEC: int(300, 7_776_000, 2_592_000, 'Refresh family lifetime'),
  /** JSON array of private JWKs (Ed25519 or P-256), newest first; production must set it. */
  AUTH_SIGNING_KEYS: Type.Optional(Type.String({ minLength: 2 })),
  /** Where a local run keeps the keys it generated once (git-ignored). */
  AUTH_KEY_FILE: Type.String({ minLength: 1, default: '.meridian/auth-signing-keys.json' }),

  // --- Passwords (argon2id; OWASP's minimum: m=19 MiB, t=2, p=1) ---
  AUTH_PASSWORD_MIN_LENGTH: int(8, 64, 15, 'NIST 800-63B-4: 15 for single-factor'),
  AUTH_HASH_MEMORY_KIB: int(8192, 1_048_576, 19_456, 'argon2id memory cost'),
  AUTH_HASH_ITERATIONS: int(1, 10, 2, 'argon2id time cost'),
  AUTH_HASH_PARALLELISM: int(1, 8, 1, 'argon2id lanes'),
  AUTH_HASH_CONCURRENCY: int(0, 64, 0, 'Hashes at once; 0 = the CPUs this process may use'),
  AUTH_HASH_QUEUE_MAX: int(1, 100_000, 256, 'Hashes waiting; past it, 503 auth-busy'),

  // --- Login protection ---
  AUTH_LOCKOUT_THRESHOLD: int(2, 100, 5, 'Failures in a row that lock an account'),
  AUTH_LOCKOUT_BASE_SEC: int(1, 3600, 30, 'First lock; doubles with each further lock'),
  AUTH_LOCKOUT_MAX_SEC: int(1, 86_400, 900, 'Longest lock'),
  AUTH_LOGIN_IP_MAX: int(1, 100_000, 30, 'Logins per client IP per minute'),
  AUTH_LOGIN_ACCOUNT_MAX: int(1, 10_000, 10, 'Logins per account per minute'),
  AUTH_REGISTER_IP_MAX: int(1, 100_000, 20, 'Registrations per client IP per minute'),

  // --- Cookie sessions ---
  AUTH_SESSION_IDLE_SEC: int(1, 86_400, 1800, 'Idle timeout'),
  AUTH_SESSION_ABSOLUTE_SEC: int(1, 2_592_000, 43_200, 'Absolute timeout'),
  AUTH_COOKIE_SECURE: Type.Unsafe<'auto' | 'always' | 'never'>({
    type: 'string',
    enum: ['auto', 'always', 'never'],
    default: 'auto',
    description: 'auto: Secure (and the __Host- name) when the request came over HTTPS',
  }),

  // --- Demo seed ---
  AUTH_ADMIN_EMAIL: Type.String({ format: 'email', default: 'admin@meridian.local' }),
  /** Unset in development: a dev-only default is used and announced; production must set it. */
  AUTH_ADMIN_PASSWORD: Type.Optional(Type.String({ minLength: 8, maxLength: 128 })),
  /** Secret of the seeded `orders` service client (client-credentials grant). */
  ORDERS_CLIENT_SECRET: Type.Optional(Type.String({ minLength: 16, maxLength: 256 })),
});

export type Config = Static<typeof ConfigSchema>;

export const DEV_ADMIN_PASSWORD = 'meridian-dev-admin-password';
export const DEV_ORDERS_CLIENT_SECRET = 'meridian-dev-orders-client-secret';

/** Without dev defaults the service may not start on them: name every missing secret. */
export function missingSecrets(config: Config): string[] {
  if (config.AUTH_DEV_DEFAULTS) return [];
  const problems: string[] = [];
  if (!config.AUTH_SIGNING_KEYS) {
    problems.push('AUTH_SIGNING_KEYS must be set when AUTH_DEV_DEFAULTS=false');
  }
  if (!config.AUTH_ISSUER.startsWith('https://')) {
    problems.push('AUTH_ISSUER must be an https:// URL when AUTH_DEV_DEFAULTS=false');
  }
  return problems;
}
