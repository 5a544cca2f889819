// The scenarios: each pairs a candidate server and path with the baseline it is measured
// against in the same run. To add one, append to SCENARIOS (see README.md).
import { resolve } from 'node:path';
import pg from 'pg';
import { type BenchAuth, startAuthFixture } from './auth-fixture.ts';
import { rawRedis } from './ioredis.ts';
import { type LoginUser, registerUser, setupLoginStorm } from './login-storm.ts';
import type { RequestSpec, Target } from './types.ts';

export const BENCH_DIR = resolve(import.meta.dirname, '..');
export const REPO_DIR = resolve(BENCH_DIR, '..');

/** What a scenario's setup made for its servers and requests; undone by teardown. */
export interface Fixture {
  /** A JWKS served by the harness and a token signed with its key (auth-overhead). */
  auth?: BenchAuth;
  /** A database of the scenario's own, in place of DATABASE_URL (login-storm). */
  databaseUrl?: string;
  /** Extra environment for the scenario's servers. */
  env?: Record<string, string>;
  /** The account the load logs in as (login-storm). */
  login?: LoginUser;
  /** The product the cached-read scenarios load, looked up by SKU (product-cached*). */
  product?: { id: string; sku: string; redisKey: string; redisUrl: string };
  /** What the setup did, for the report (the run's backends line does not show it). */
  notes?: string[];
  teardown?: () => Promise<void>;
}

/** What src/micro.ts printed: µs per operation, by name. */
export type Micro = Record<string, number>;

export interface ServerContext {
  /** 0 for servers that announce their own port. */
  port: number;
  databaseUrl: string;
  redisUrl: string;
  fixture: Fixture;
}

/** A request whose status is checked before any load, to prove the route does what we think. */
export interface ResponseCheck {
  what: string;
  request: RequestSpec;
  status: number;
}

export interface ServerDef {
  kind?: 'server';
  label: string;
  /** The command, without the taskset prefix the harness adds. */
  argv: string[];
  cwd: string;
  /** Environment on top of the harness's own; PORT must come from ctx.port. */
  env: (ctx: ServerContext) => Record<string, string>;
  /** 'announce': prints {"listening":PORT}; else the harness picks a port and polls path. */
  ready: 'announce' | { path: string };
  /** The path under load. */
  path: string;
  /** The path under load when it is known only after the scenario's setup; replaces `path`. */
  pathFrom?: (fixture: Fixture) => string;
  /** Method, headers and body of every request under load; a plain GET without it. */
  request?: (fixture: Fixture) => RequestSpec;
  /** Answers the server must give before the load starts, besides a 2xx to `request`. */
  checks?: (fixture: Fixture) => ResponseCheck[];
  /** Count Redis commands and SQL statements per request (DB and cache scenarios). */
  countIo: boolean;
  /** Sequential requests for that count (200 unless each request is slow). */
  ioRequests?: number;
  /** Scrape nodejs_eventloop_lag_p99_seconds from its /metrics every second of each round. */
  scrapeEventLoop?: boolean;
  /** autocannon's per-request timeout in seconds (10 unless requests queue for long). */
  timeoutS?: number;
  /** How the server logs during the run, for the report. */
  logging: string;
  /** A file that must exist for the scenario to run (it may not be written yet). */
  entry: string;
}

/**
 * A baseline that is not a server: a process the harness starts on the server core for each
 * round, which times itself and prints the load runner's {"event":"start"} and
 * {"event":"done","result":…} lines (see src/argon2-baseline.ts).
 */
export interface WorkerDef {
  kind: 'worker';
  label: string;
  /** What one unit of work is, shown where a server's route would be. */
  request: string;
  argv: (durationS: number) => string[];
  cwd: string;
  env: Record<string, string>;
  logging: string;
  entry: string;
}

export interface Scenario {
  name: string;
  description: string;
  candidate: ServerDef;
  baseline: ServerDef | WorkerDef;
  /** Part of a run without --scenario. */
  inDefault: boolean;
  /** What the issue asks of this scenario, checked in the report. */
  target?: Target;
  /** Makes what the servers need before they start (a key and JWKS, a database). */
  setup?: (backends: { databaseUrl: string; redisUrl: string }) => Promise<Fixture>;
  /** Runs once the candidate is up, before the checks (e.g. registers the user). */
  prepare?: (candidatePort: number, fixture: Fixture) => Promise<void>;
  /**
   * Figures that explain the ratio, measured after the rounds. `micro` runs src/micro.ts
   * pinned to the servers' core and returns its figures (µs per operation).
   */
  explain?: (
    fixture: Fixture,
    micro: (mode: 'verify' | 'sign') => Promise<Micro>,
  ) => Promise<string[]>;
}

// tsx as an import hook keeps one process (the `tsx` CLI forks a child), so the pid we read
// CPU time from is the server itself.
const tsxNode = (file: string): string[] => ['node', '--import', 'tsx', file];

const BASELINE_ENTRY = resolve(BENCH_DIR, 'src/baseline-server.ts');
const LOGGED_ENTRY = resolve(BENCH_DIR, 'src/logged-server.ts');
const ARGON2_ENTRY = resolve(BENCH_DIR, 'src/argon2-baseline.ts');
const REDIS_GET_ENTRY = resolve(BENCH_DIR, 'src/redis-get-server.ts');
const CATALOG_ENTRY = resolve(REPO_DIR, 'apps/catalog/src/server.ts');
const AUTH_ENTRY = resolve(REPO_DIR, 'apps/auth/src/server.ts');

export const bareFastify: ServerDef = {
  label: 'bare Fastify',
  argv: tsxNode(BASELINE_ENTRY),
  cwd: BENCH_DIR,
  env: ({ port }) => ({ PORT: String(port) }),
  ready: 'announce',
  path: '/',
  countIo: false,
  logging: 'logger off',
  entry: BASELINE_ENTRY,
};

const loggedFastify: ServerDef = {
  ...bareFastify,
  label: 'Fastify + pino',
  argv: tsxNode(LOGGED_ENTRY),
  logging: 'one pino line per request at info, to /dev/null',
  entry: LOGGED_ENTRY,
};

/** Where a service verifies access tokens: the harness's JWKS, when the scenario made one. */
function tokenEnv(fixture: Fixture): Record<string, string> {
  const auth = fixture.auth;
  if (!auth) return {};
  return {
    AUTH_JWKS_URL: auth.jwksUrl,
    AUTH_ISSUER: auth.issuer,
    AUTH_AUDIENCE: auth.audience,
  };
}

function catalog(path: string, label = 'catalog'): ServerDef {
  return {
    label,
    argv: tsxNode(CATALOG_ENTRY),
    cwd: resolve(REPO_DIR, 'apps/catalog'),
    env: ({ port, databaseUrl, redisUrl, fixture }) => ({
      PORT: String(port),
      HOST: '127.0.0.1',
      // Production's level; stdout (the JSON log) goes to /dev/null.
      LOG_LEVEL: 'info',
      // Measure the kit's per-request cost, not 429s. The limiters (per IP, and per user
      // for requests with a token) still run, and still call Redis, on limited routes; they
      // just never say no: one token is one user, far over a real budget within a second.
      RATE_LIMIT_MAX: '100000000',
      RATE_LIMIT_USER_MAX: '100000000',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
      ...tokenEnv(fixture),
    }),
    ready: { path: '/health/ready' },
    path,
    countIo: true,
    logging: 'pino JSON at info to stdout, redirected to /dev/null',
    entry: CATALOG_ENTRY,
  };
}

// The cached-read scenarios: one product of the seeded demo catalog, read by id.
const PRODUCT_SKU = 'LAP-AERO-13';
const PRODUCT_REDIS_KEY = 'bench:product';

function needProduct(fixture: Fixture): NonNullable<Fixture['product']> {
  if (!fixture.product) throw new Error('the product-cached scenarios need their fixture (setup)');
  return fixture.product;
}

/** GET /v1/products/:id on the catalog, with the in-process tier's TTL set explicitly. */
function productCatalog(localTtlMs: number): ServerDef {
  const base = catalog('/v1/products/:id', `catalog, local tier ${localTtlMs} ms`);
  return {
    ...base,
    pathFrom: (f) => `/v1/products/${needProduct(f).id}`,
    env: (ctx) => ({ ...base.env(ctx), PRODUCT_CACHE_LOCAL_TTL_MS: String(localTtlMs) }),
  };
}

/** Bare Fastify, one raw ioredis GET of the product's JSON per request. */
const redisGetFastify: ServerDef = {
  label: 'Fastify + raw ioredis GET',
  argv: tsxNode(REDIS_GET_ENTRY),
  cwd: BENCH_DIR,
  env: ({ port, redisUrl, fixture }) => ({
    PORT: String(port),
    REDIS_URL: redisUrl,
    BENCH_REDIS_KEY: needProduct(fixture).redisKey,
  }),
  ready: 'announce',
  path: '/product',
  countIo: false,
  logging: 'logger off',
  entry: REDIS_GET_ENTRY,
};

/** Looks the product up by SKU; the seeded demo catalog has it. */
async function setupProduct(backends: { databaseUrl: string; redisUrl: string }): Promise<Fixture> {
  const { databaseUrl, redisUrl } = backends;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ id: string }>(
      `select id from catalog.products where sku = $1 and status = 'active'`,
      [PRODUCT_SKU],
    );
    const id = rows[0]?.id;
    if (!id) {
      throw new Error(
        `no active product ${PRODUCT_SKU}: migrate and seed first (node --import tsx scripts/migrate.ts && node --import tsx scripts/seed.ts)`,
      );
    }
    return {
      product: { id, sku: PRODUCT_SKU, redisKey: PRODUCT_REDIS_KEY, redisUrl },
      teardown: async () => {
        const redis = rawRedis(redisUrl);
        try {
          await redis.del(PRODUCT_REDIS_KEY);
        } finally {
          await redis.quit();
        }
      },
    };
  } finally {
    await client.end();
  }
}

/**
 * Once the catalog is up: fetch the product's JSON from it and write that string to Redis
 * for the baseline, so both sides move the same body. The baseline's first GET comes after.
 */
async function prepareProduct(candidatePort: number, fixture: Fixture): Promise<void> {
  const product = needProduct(fixture);
  const res = await fetch(`http://127.0.0.1:${candidatePort}/v1/products/${product.id}`);
  const body = await res.text();
  if (!res.ok) throw new Error(`GET /v1/products/${product.id}: ${res.status} ${body}`);
  const redis = rawRedis(product.redisUrl);
  try {
    await redis.set(product.redisKey, body);
  } finally {
    await redis.quit();
  }
  fixture.notes = [
    ...(fixture.notes ?? []),
    `product ${product.sku} (id ${product.id}); the raw ioredis GET baseline, where it is the baseline, returns the same JSON ` +
      `(${Buffer.byteLength(body)} bytes) from Redis key ${product.redisKey}, written before the load. ` +
      'autocannon sends no If-None-Match, so every catalog response is a full 200 with its ETag',
  ];
}

const productScenario = (
  name: string,
  description: string,
  localTtlMs: number,
  baseline: ServerDef,
  ratio: number,
): Scenario => ({
  name,
  description,
  candidate: productCatalog(localTtlMs),
  baseline,
  inDefault: false,
  target: { ratio },
  setup: setupProduct,
  prepare: prepareProduct,
});

function bearer(fixture: Fixture, pick: (auth: BenchAuth) => string): RequestSpec {
  if (!fixture.auth) throw new Error('this scenario needs the auth fixture (setup)');
  return { headers: { authorization: `Bearer ${pick(fixture.auth)}` } };
}

/** The same catalog route, sent a valid access token on every request. */
const catalogWithToken: ServerDef = {
  ...catalog('/v1/categories', 'catalog + Bearer JWT'),
  request: (f) => bearer(f, (a) => a.token),
  // A 200 to the token proves nothing if the route ignores the header: a corrupted
  // signature must be refused, or the candidate would measure no verification at all.
  checks: (f) => [
    {
      what: 'a token with a corrupted signature',
      request: bearer(f, (a) => a.corruptedToken),
      status: 401,
    },
  ],
};

// The auth service's default argon2id cost (apps/auth/src/config.ts: OWASP's minimum), set
// explicitly on both sides so the baseline hashes exactly what a login hashes.
const ARGON2 = { memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;
// libuv's default, which the auth service runs with; explicit so an inherited value cannot
// give one side more hashing threads than the other.
const UV_THREADPOOL_SIZE = 4;

const argon2Verify: WorkerDef = {
  kind: 'worker',
  label: 'argon2id verify',
  request: `verify(), m=${ARGON2.memoryCost} t=${ARGON2.timeCost} p=${ARGON2.parallelism}, ${2 * UV_THREADPOOL_SIZE} in flight`,
  argv: (durationS) => [
    ...tsxNode(ARGON2_ENTRY),
    // Twice the pool size in flight: a finished hash always has the next one queued.
    JSON.stringify({ durationS, inFlight: 2 * UV_THREADPOOL_SIZE, ...ARGON2 }),
  ],
  cwd: BENCH_DIR,
  env: { UV_THREADPOOL_SIZE: String(UV_THREADPOOL_SIZE) },
  logging: 'none',
  entry: ARGON2_ENTRY,
};

function needLogin(fixture: Fixture): LoginUser {
  if (!fixture.login) throw new Error('login-storm needs its fixture (setup)');
  return fixture.login;
}

const passwordGrant = (username: string, password: string): RequestSpec => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ grant_type: 'password', username, password }),
});

const authLogin: ServerDef = {
  label: 'auth service',
  argv: tsxNode(AUTH_ENTRY),
  cwd: resolve(REPO_DIR, 'apps/auth'),
  env: ({ port, databaseUrl, redisUrl, fixture }) => ({
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    UV_THREADPOOL_SIZE: String(UV_THREADPOOL_SIZE),
    AUTH_HASH_MEMORY_KIB: String(ARGON2.memoryCost),
    AUTH_HASH_ITERATIONS: String(ARGON2.timeCost),
    AUTH_HASH_PARALLELISM: String(ARGON2.parallelism),
    // This measures hashing throughput under a storm, not the limiters: one account from
    // one IP is far over every login budget within a second. The limiters still run, with
    // their three Redis calls per login; they never refuse. Lockout only counts failures,
    // and every timed login succeeds; it is raised too so the one wrong-password check
    // can never lock the account.
    RATE_LIMIT_MAX: '100000000',
    RATE_LIMIT_USER_MAX: '100000000',
    AUTH_LOGIN_IP_MAX: '100000',
    AUTH_LOGIN_ACCOUNT_MAX: '10000',
    AUTH_LOCKOUT_THRESHOLD: '100',
    ...fixture.env,
  }),
  ready: { path: '/health/ready' },
  path: '/v1/auth/token',
  request: (f) => {
    const login = needLogin(f);
    return passwordGrant(login.username, login.password);
  },
  checks: (f) => [
    {
      what: 'a wrong password',
      request: passwordGrant(needLogin(f).username, `wrong-${needLogin(f).password}`),
      status: 401,
    },
  ],
  countIo: true,
  // Each login costs ~50 ms of hashing: 50 sequential ones are enough for exact counts.
  ioRequests: 50,
  scrapeEventLoop: true,
  // 50 connections queue for 4 hashing threads on one core: seconds per login, by design.
  timeoutS: 60,
  logging: 'pino JSON at info to stdout, redirected to /dev/null',
  entry: AUTH_ENTRY,
};

const us = (v: number | undefined): string => (v === undefined ? 'n/a' : `${v.toFixed(1)} µs`);

export const SCENARIOS: readonly Scenario[] = [
  {
    name: 'health-live',
    description: 'the whole service kit on its cheapest route (no DB, no Redis, not rate limited)',
    candidate: catalog('/health/live'),
    baseline: bareFastify,
    inDefault: true,
  },
  {
    name: 'categories',
    description: 'a public read: rate limit in Redis, category list from Postgres',
    candidate: catalog('/v1/categories'),
    baseline: bareFastify,
    inDefault: true,
  },
  {
    name: 'auth-overhead',
    description:
      'the categories read with a valid access JWT (Ed25519, verified against a JWKS) vs the same read without one',
    candidate: catalogWithToken,
    baseline: catalog('/v1/categories', 'catalog, no token'),
    inDefault: true,
    target: { ratio: 0.85 },
    setup: async () => {
      const auth = await startAuthFixture();
      return {
        auth,
        notes: [
          `both catalog processes verify against the harness: AUTH_JWKS_URL=${auth.jwksUrl}, ` +
            `AUTH_ISSUER=${auth.issuer}, AUTH_AUDIENCE=${auth.audience}; one Ed25519 key, one ` +
            'token (typ at+jwt, 2 h), the same on every request',
        ],
        teardown: auth.close,
      };
    },
    explain: async (f, micro) => {
      const m = await micro('verify');
      return [
        `one Ed25519 JWT verification, on the server core after the rounds: the signature ` +
          `alone with node:crypto.verify ${us(m.nodeCryptoVerifyUs)}; with crypto.subtle, ` +
          `which jose 6 uses (an async job on libuv's pool) ${us(m.subtleVerifyUs)}; jose ` +
          `jwtVerify with auth-verify's checks ${us(m.joseJwtVerifyUs)}`,
        `JWKS fetches from the harness during the run: ${f.auth?.jwksFetches() ?? 0} (each ` +
          'catalog process caches it after its first token)',
      ];
    },
  },
  {
    name: 'login-storm',
    description:
      'password logins (POST /v1/auth/token) vs raw argon2id verifications, same parameters, same core, same thread pool',
    candidate: authLogin,
    baseline: argon2Verify,
    inDefault: false,
    target: { ratio: 0.8, eventLoopP99Ms: 50 },
    setup: ({ databaseUrl }) => setupLoginStorm(REPO_DIR, databaseUrl),
    prepare: (port, f) => registerUser(port, needLogin(f)),
    explain: async (_f, micro) => {
      const m = await micro('sign');
      return [
        `signing one access token (EdDSA, the auth service's header and claims), on the ` +
          `server core after the rounds: node:crypto.sign ${us(m.nodeCryptoSignUs)}; ` +
          `crypto.subtle ${us(m.subtleSignUs)}; jose SignJWT ${us(m.joseSignJwtUs)}`,
      ];
    },
  },
  productScenario(
    'product-cached',
    'GET /v1/products/:id from the two-tier cache (local tier 1000 ms, the default) vs one raw ioredis GET',
    1_000,
    redisGetFastify,
    0.8,
  ),
  productScenario(
    'product-cached-vs-hello',
    'GET /v1/products/:id from the two-tier cache (local tier 1000 ms, the default) vs bare Fastify hello-world',
    1_000,
    bareFastify,
    0.5,
  ),
  productScenario(
    'product-cached-redis-only',
    'GET /v1/products/:id with the local tier off (PRODUCT_CACHE_LOCAL_TTL_MS=0, Redis tier only) vs one raw ioredis GET',
    0,
    redisGetFastify,
    0.8,
  ),
  {
    name: 'fastify-pino',
    description:
      'calibration and stand-in: bare Fastify + one pino line per request (~0.66× expected)',
    candidate: loggedFastify,
    baseline: bareFastify,
    inDefault: false,
  },
];
