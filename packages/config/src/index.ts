// Loads a service's configuration from the environment exactly once, validated against a
// TypeBox schema. On failure it names every bad or missing variable in one message, so an
// operator fixes them all in one go instead of one restart per typo. See docs/configuration.md.
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsImport from 'ajv-formats';
import { type Static, type TObject, Type } from 'typebox';

// ajv-formats ships CommonJS with a default export; under NodeNext it arrives wrapped.
const addFormats = addFormatsImport as unknown as typeof addFormatsImport.default;

export class ConfigError extends Error {
  readonly issues: string[];
  constructor(issues: string[]) {
    super(`Invalid configuration:\n${issues.map((i) => `  - ${i}`).join('\n')}`);
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

function describe(error: ErrorObject, env: Record<string, unknown>): string {
  if (error.keyword === 'required') {
    const name = String(error.params.missingProperty);
    return `${name} is required but not set`;
  }
  const name = error.instancePath.replace(/^\//, '');
  const value = env[name];
  const shown = /SECRET|PASSWORD|KEY|TOKEN/i.test(name)
    ? '<redacted>'
    : // A URL's password must not reach a log either: postgres://user:***@host/db.
      JSON.stringify(value)?.replace(/(\/\/[^:/@\s]+:)[^@\s]*@/, '$1***@');
  if (error.keyword === 'enum') {
    const allowed = (error.params.allowedValues as unknown[]).join(', ');
    return `${name}=${shown} must be one of: ${allowed}`;
  }
  return `${name}=${shown} ${error.message ?? 'is invalid'}`;
}

/**
 * Validates `env` against `schema`, coercing strings to numbers/booleans and applying
 * defaults. Unknown variables are ignored (the environment holds far more than us).
 * Throws ConfigError listing every problem.
 */
export function loadConfig<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Static<S> {
  const ajv = new Ajv({ allErrors: true, coerceTypes: true, useDefaults: true, strict: false });
  addFormats(ajv);
  const validate = ajv.compile(schema);
  // Copy only the keys the schema declares: defaults and coercion must not mutate process.env.
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(schema.properties)) {
    const value = env[key];
    if (value !== undefined && value !== '') data[key] = value;
  }
  if (!validate(data)) {
    const issues = (validate.errors ?? []).map((e) => describe(e, env));
    throw new ConfigError([...new Set(issues)]);
  }
  return data as Static<S>;
}

/** Prints a ConfigError readably and exits non-zero; anything else is rethrown. */
export function loadConfigOrExit<S extends TObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): Static<S> {
  try {
    return loadConfig(schema, env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(1);
    }
    throw err;
  }
}

// Fragments every service's schema is built from, so the names stay the same everywhere.

export const BaseConfigSchema = Type.Object({
  HOST: Type.String({ default: '0.0.0.0', minLength: 1 }),
  LOG_LEVEL: Type.Unsafe<'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'>({
    type: 'string',
    enum: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'],
    default: 'info',
  }),
  // false: lines go out in batches from a buffer while the previous write is in flight, so a
  // busy service makes one write call per batch instead of one per line (bench/RESULTS.md).
  // The buffer is flushed on exit and on close; only a SIGKILL or a crash of the process
  // itself can lose what is in it. true: each line is written before the log call returns.
  LOG_SYNC: Type.Boolean({ default: false }),
  DATABASE_URL: Type.String({
    pattern: '^postgres(ql)?://',
    default: 'postgres://postgres@127.0.0.1:5432/meridian',
  }),
  DATABASE_POOL_MAX: Type.Integer({ minimum: 1, maximum: 100, default: 10 }),
  REDIS_URL: Type.String({ pattern: '^rediss?://', default: 'redis://127.0.0.1:6379' }),
  // Prefix for every Redis key this service writes (rate limits, cache, queues).
  REDIS_PREFIX: Type.String({ default: 'meridian:', pattern: '^[a-z0-9:_-]*$' }),
  CORS_ORIGINS: Type.String({
    default: 'http://localhost:8080',
    description: 'Comma-separated allow-list of browser origins',
  }),
  TRUST_PROXY: Type.String({
    default: 'loopback',
    description: 'Fastify trustProxy: true, false, a hop count, or comma-separated addresses',
  }),
  BODY_LIMIT_BYTES: Type.Integer({ minimum: 1024, maximum: 10_485_760, default: 1_048_576 }),
  RATE_LIMIT_MAX: Type.Integer({ minimum: 1, default: 300 }),
  RATE_LIMIT_WINDOW_MS: Type.Integer({ minimum: 1000, default: 60_000 }),
  /** Requests one signed-in user may make to one service per window, from any address. */
  RATE_LIMIT_USER_MAX: Type.Integer({ minimum: 1, default: 600 }),
  /** Most tickets one instance leases from Redis at once (1 = a Redis call per request). */
  RATE_LIMIT_LEASE_MAX: Type.Integer({ minimum: 1, maximum: 1000, default: 32 }),
  SHUTDOWN_GRACE_MS: Type.Integer({ minimum: 0, maximum: 120_000, default: 10_000 }),
  // Access tokens from the auth service: who must have signed them (iss), for whom (aud),
  // and where its public keys are. Every service verifies with these (service-kit).
  AUTH_ISSUER: Type.String({ minLength: 1, default: 'http://localhost:3001' }),
  AUTH_AUDIENCE: Type.String({ minLength: 1, default: 'meridian-api' }),
  AUTH_JWKS_URL: Type.String({
    pattern: '^https?://',
    default: 'http://127.0.0.1:3001/.well-known/jwks.json',
  }),
  // Set by the production bundle (scripts/build-service.ts); unset when running from source.
  DOCS_ASSETS_DIR: Type.Optional(Type.String({ minLength: 1 })),
});

/** A service's port, with its default. */
export function portSchema(defaultPort: number) {
  return Type.Integer({ minimum: 0, maximum: 65_535, default: defaultPort });
}

export type BaseConfig = Static<typeof BaseConfigSchema> & { PORT: number };
