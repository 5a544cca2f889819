// createService builds the Fastify instance every Meridian service starts from, in the order
// a reader should learn it: request ids, access log, errors and metrics; OpenAPI; security
// headers; Redis, health and Postgres; rate limits; then, inside a CORS-enabled API scope,
// access-token verification, opt-in HTTP caching and the service's own routes (passed in as `routes`). It never
// listens (see runService).
// See docs/service-kit.md.
import cors from '@fastify/cors';
import rateLimit, { normalizeIP } from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { authVerify, type Principal, type TokenVerifierOptions } from '@meridian/auth-verify';
import type { BaseConfig } from '@meridian/config';
import { dbPlugin, pingPool } from '@meridian/db';
import {
  AppError,
  frameworkErrorHandler,
  notFoundHandler,
  ProblemSchema,
  problemDetails,
} from '@meridian/errors';
import {
  accessLog,
  genReqId,
  lazyChildLoggerFactory,
  logDestination,
  loggerOptions,
  metrics,
  REQUEST_ID_HEADER,
  requestId,
} from '@meridian/observability';
import { pingRedis, redisPlugin } from '@meridian/redis';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyRequest,
  LogController,
} from 'fastify';
import health from './health.ts';
import { httpCache } from './http-cache.ts';
import { leasedRedisStore } from './rate-limit-store.ts';
import { securityHeaders } from './security-headers.ts';
import { createValidatorCompiler } from './validation.ts';

export type ServiceInstance = FastifyInstance<
  import('node:http').Server,
  import('node:http').IncomingMessage,
  import('node:http').ServerResponse,
  FastifyBaseLogger,
  TypeBoxTypeProvider
>;

export interface ServiceOptions<RoutesOptions extends Record<string, unknown>> {
  name: string;
  version: string;
  description: string;
  config: BaseConfig;
  /** The service's own routes and plugins (its public API lives under /v1 inside). */
  routes: FastifyPluginAsync<RoutesOptions>;
  routesOptions?: RoutesOptions;
  /** Off for a service with no tables of its own. */
  database?: boolean;
  /**
   * Access-token verification for the routes (`app.auth`, `request.principal`). By default
   * tokens are checked against the auth service's JWKS at AUTH_JWKS_URL; `keys` verifies
   * locally instead (the auth service's own keys, tests); `false` registers no auth at all.
   */
  auth?: false | ServiceAuthOptions;
  /** OpenAPI security schemes beyond `bearerAuth` (the access JWT every service accepts). */
  securitySchemes?: Record<string, Record<string, unknown>>;
  /** Tests pass a logger stream or level; production logs JSON to stdout. */
  logger?: { level?: string; stream?: NodeJS.WritableStream };
}

export interface ServiceAuthOptions {
  /** A local key resolver (jose's JWTVerifyGetKey) or public key, instead of fetching the JWKS. */
  keys?: TokenVerifierOptions['keys'];
  /** Accepted JWS algorithms (asymmetric only); default EdDSA and ES256. */
  algorithms?: string[];
}

// Paths that are never rate limited: probes, scrapes and docs must work under attack.
const UNLIMITED = /^\/(health|metrics|docs)(\/|$)/;

function parseTrustProxy(value: string): boolean | number | string[] {
  if (value === 'true') return true;
  if (value === 'false') return false;
  if (/^\d+$/.test(value)) return Number(value);
  return value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export async function createService<RoutesOptions extends Record<string, unknown>>(
  opts: ServiceOptions<RoutesOptions>,
): Promise<ServiceInstance> {
  const { config, name } = opts;
  const logOpts = loggerOptions({ level: opts.logger?.level ?? config.LOG_LEVEL, service: name });

  const destination = opts.logger?.stream ? undefined : logDestination(config.LOG_SYNC);
  const app = Fastify({
    logger: { ...logOpts, stream: opts.logger?.stream ?? destination },
    genReqId,
    requestIdHeader: false,
    // Fastify's two lines per request are replaced by our one access line (access-log.ts).
    // Each request's logger (bound to its request id) is only built when something logs.
    childLoggerFactory: lazyChildLoggerFactory,
    logController: new LogController({
      requestIdLogLabel: 'requestId',
      disableRequestLogging: true,
    }),
    bodyLimit: config.BODY_LIMIT_BYTES,
    // Fastify accepts a hop count too; its typings lag behind.
    trustProxy: parseTrustProxy(config.TRUST_PROXY) as boolean | string[],
    // Bounded waits: a slow client can't hold a socket forever. keepAlive above a typical
    // load balancer's 60 s idle timeout, so the proxy closes first and never hits a reset.
    connectionTimeout: 10_000,
    requestTimeout: 30_000,
    keepAliveTimeout: 72_000,
    // A request that still arrives while closing gets Fastify's own fast 503 (plain JSON,
    // before any hook runs) with Connection: close, so the balancer retries elsewhere.
    return503OnClosing: true,
    routerOptions: { maxParamLength: 200 },
    // Routing errors (undecodable URL, over-long parameter) as problem+json too.
    frameworkErrors: frameworkErrorHandler,
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.setValidatorCompiler(createValidatorCompiler());

  // Draining: once close() starts, answer in-flight requests with `Connection: close`, so
  // keep-alive clients let go and the server can finish closing instead of waiting out
  // keepAliveTimeout. New connections are refused by then.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) reply.header('connection', 'close');
    done(null, payload);
  });
  // The asynchronous log buffer goes out before close() resolves (pino flushes it on exit too).
  if (destination) app.addHook('onClose', (_instance, done) => destination.flush(() => done()));

  // 1. Request ids, access log, RFC 9457 errors, metrics.
  await app.register(requestId);
  await app.register(accessLog);
  await app.register(problemDetails);
  app.addSchema(ProblemSchema);
  // Metrics before any route (its per-route hooks attach as routes are declared), and before
  // the infrastructure, so the pool and queues can add gauges.
  await app.register(metrics, { service: name });

  // 2. OpenAPI collects routes as they are added, so it comes before any route.
  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: `Meridian ${name}`, version: opts.version, description: opts.description },
      tags: [{ name: 'health', description: 'Probes for orchestrators and load balancers' }],
      components: {
        securitySchemes: {
          bearerAuth: {
            type: 'http',
            scheme: 'bearer',
            bearerFormat: 'JWT',
            description: 'Access token from the auth service (POST /v1/auth/token)',
          },
          ...opts.securitySchemes,
        },
      },
    },
    refResolver: {
      buildLocalReference: (json, _baseUri, _fragment, i) => String(json.$id ?? `def-${i}`),
    },
  });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    ...(config.DOCS_ASSETS_DIR ? { baseDir: config.DOCS_ASSETS_DIR } : {}),
  });

  // 3. Security headers on every response.
  await app.register(securityHeaders);

  // 4. Infrastructure: Redis (request-path connection) and Postgres.
  await app.register(redisPlugin, { url: config.REDIS_URL, name: `${name}:request` });
  app.register(health);
  if (opts.database !== false) {
    await app.register(dbPlugin, {
      connectionString: config.DATABASE_URL,
      max: config.DATABASE_POOL_MAX,
      applicationName: name,
      registry: app.metrics.registry,
    });
  }
  await app.after();
  app.readiness.add('redis', () => pingRedis(app.redis));
  if (opts.database !== false) app.readiness.add('postgres', () => pingPool(app.pg));

  // 5. Rate limits in Redis, so every replica draws on one budget per client, counted with
  //    leased blocks of tickets so a busy client is not a Redis call per request
  //    (rate-limit-store.ts). If Redis is
  //    down we let requests through (skipOnError): availability over strictness, see ADR 0005.
  //    One budget per caller: a signed-in user by their id (it follows them across addresses,
  //    and users behind one NAT do not share it), anyone else by address. Service principals
  //    are internal callers and are not limited. The caller is known before any route hook
  //    runs: identify() verifies the Bearer token once and the route's auth hook reuses it.
  //    Not `global`: that would hang the limiter off each route *after* its own hooks, and a
  //    request refused at token verification (401) would never be counted. It runs as the
  //    API scope's first hook instead (step 6).
  let identify: ((request: FastifyRequest) => Promise<Principal | null>) | undefined;
  await app.register(rateLimit, {
    global: false,
    keyGenerator: async (request) => {
      const principal = identify ? await identify(request) : null;
      if (principal?.kind === 'service') return principal.subject; // 'service:<id>'
      if (principal) return `user:${principal.subject}`;
      return `ip:${normalizeIP(request.ip)}`;
    },
    max: (_request, key) =>
      key.startsWith('user:') ? config.RATE_LIMIT_USER_MAX : config.RATE_LIMIT_MAX,
    timeWindow: config.RATE_LIMIT_WINDOW_MS,
    store: leasedRedisStore({
      redis: app.redis,
      prefix: `${config.REDIS_PREFIX}ratelimit:${name}:`,
      leaseMax: config.RATE_LIMIT_LEASE_MAX,
    }),
    skipOnError: true,
    enableDraftSpec: true,
    // A route may opt out with `config: { rateLimit: false }` (signed webhooks: the signature
    // is what protects them, and a sender's address says nothing about abuse).
    allowList: (request, key) =>
      UNLIMITED.test(request.url) ||
      key.startsWith('service:') ||
      (request.routeOptions.config as { rateLimit?: unknown } | undefined)?.rateLimit === false,
    errorResponseBuilder: (_request, context) =>
      new AppError({
        status: 429,
        code: 'rate-limited',
        detail: `Rate limit of ${context.max} requests per ${Math.round(config.RATE_LIMIT_WINDOW_MS / 1000)} s exceeded; retry after ${Math.ceil(context.ttl / 1000)} s.`,
      }),
  });

  // 6. The service's own routes, in a scope of their own with the CORS allow-list: browsers
  //    call the API, never the probes, the scrape endpoint or the same-origin docs, so those
  //    skip the CORS work on every request. Token verification lives in the same scope, after
  //    CORS, so a browser can read the 401 too; routes opt in with app.auth hooks.
  const origins = config.CORS_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  await app.register(async (api) => {
    // Per client IP, before anything else in the API: CORS, token verification, the 404.
    api.addHook('onRequest', api.rateLimit());
    await api.register(cors, {
      origin: origins,
      credentials: true,
      exposedHeaders: [
        REQUEST_ID_HEADER,
        'retry-after',
        'ratelimit-limit',
        'ratelimit-remaining',
        'ratelimit-reset',
        // Caching and versioning headers a browser client must be able to read.
        'etag',
        'deprecation',
        'sunset',
        'link',
      ],
    });
    if (opts.auth !== false) {
      const { keys, algorithms } = opts.auth ?? {};
      await api.register(authVerify, {
        issuer: config.AUTH_ISSUER,
        audience: config.AUTH_AUDIENCE,
        // The JWKS is fetched lazily, on the first token: a service starts without auth up.
        ...(keys === undefined ? { jwksUrl: config.AUTH_JWKS_URL } : { keys }),
        // The auth service signs with Ed25519 by default and accepts a P-256 key (ES256).
        algorithms: algorithms ?? ['EdDSA', 'ES256'],
      });
      identify = api.auth.identify;
    }
    // Opt-in HTTP caching (`config.httpCache` on a route): attached as each route is declared,
    // so it must come before the routes.
    await api.register(httpCache);
    await api.register(opts.routes, (opts.routesOptions ?? {}) as RoutesOptions);
    // The 404 lives in the API scope too, so a browser gets its CORS headers and can read
    // the problem document; and unknown routes count against the rate-limit budget
    // (scanning for URLs is not free) through the scope's hook.
    api.setNotFoundHandler(notFoundHandler);
  });

  return app;
}
