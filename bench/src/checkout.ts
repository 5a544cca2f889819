// `pnpm bench:checkout`: issue #5's checkout benchmark. The real catalog and the real orders
// service (sandbox payments, signed webhooks back to orders) on core 0, each request a
// complete checkout by a different customer whose cart was filled beforehand, from a load
// generator on core 1; beside it, in the same run and alternating round by round, pgbench's
// default TPC-B-like script on a database of its own, pgbench itself on core 1. Then one
// sequential pass through counting proxies for the statements, transactions, round trips,
// Redis commands and HTTP calls per checkout. See README.md, "checkout", and
// docs/checkout-performance.md.
import { type ChildProcess, execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import pg from 'pg';
import { type BenchAuth, startAuthFixture } from './auth-fixture.ts';
import type { CheckoutLoadOptions, CheckoutLoadResult } from './checkout-load.ts';
import {
  type CheckoutIo,
  type CheckoutMeta,
  type CheckoutReport,
  type CheckoutRound,
  type CheckoutSample,
  markdownSection,
  type PgbenchSample,
  pgFigures,
  summarize,
  targetNote,
} from './checkout-report.ts';
import { HttpCounter, sqlKinds } from './checkout-wire.ts';
import { parseUpstream, retarget, startCountingProxy } from './counting-proxy.ts';
import { rawRedis } from './ioredis.ts';
import { cpuModel, gitCommit, numberFlag } from './machine.ts';
import { parsePgbenchLog, parsePgbenchSummary, pgbenchRunArgs } from './pgbench.ts';
import { postgresTicks } from './postgres-cpu.ts';
import {
  clockTicksPerSecond,
  cpuTicks,
  detectPinning,
  exited,
  freePort,
  installCleanup,
  killAllNow,
  type Pinning,
  pinnedArgv,
  spawnTracked,
  stopChild,
  waitForHttp200,
  waitQuiet,
} from './processes.ts';
import { createRunDatabase, migrateApp, withClient, withDb } from './run-database.ts';
import { BENCH_DIR, REPO_DIR } from './scenarios.ts';
import { cpuMicrosPerRequest, cpuPercent, percentile } from './stats.ts';
import { type Counts, PgCounter, RespCounter, subtractCounts } from './wire-count.ts';

const run = promisify(execFile);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meridian';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CATALOG_ENTRY = resolve(REPO_DIR, 'apps/catalog/src/server.ts');
const ORDERS_ENTRY = resolve(BENCH_DIR, 'src/orders-entry.ts');
const LOAD = resolve(BENCH_DIR, 'src/checkout-load.ts');
const OUT_DIR = resolve(BENCH_DIR, 'out');
const RESULTS_MD = resolve(BENCH_DIR, 'RESULTS.md');
const RESULTS_JSON = resolve(BENCH_DIR, 'results/checkout.json');
const USERS_FILE = resolve(OUT_DIR, `checkout-users-${process.pid}.txt`);
const PGBENCH_LOG = resolve(OUT_DIR, `pgbench-${process.pid}`);

// Our pid in the name: two runs never share a database, and a leftover is attributable.
const DB_PREFIX = 'meridian_bench_checkout_';
// Kept between runs (pgbench -i takes a few seconds; the suite re-inits it when the scale differs).
const PGBENCH_DB = 'meridian_bench_pgbench';
const REDIS_PREFIX = `bench_checkout_${process.pid}:`;
const PRODUCTS = 10;
const STOCK = 10_000_000;
const PRICE_MINOR = 1_999;
const SHIPPING = 'standard';
const CARD = 'pm_card_visa';
// More users than the fastest run could take: nothing here reaches this many checkouts/s.
const MAX_RATE_FOR_USERS = 1_000;
const READY_MS = 30_000;

interface Options {
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  lines: number;
  users: number | null;
  pgbenchClients: number;
  pgbenchThreads: number;
  pgbenchScale: number;
  ioCheckouts: number;
  write: boolean;
}

const USAGE = `usage: pnpm bench:checkout [--rounds N] [--duration S] [--warmup S] [--connections C]
                           [--lines L] [--users U] [--pgbench-clients N] [--pgbench-threads N]
                           [--pgbench-scale N] [--io-checkouts N] [--quick] [--no-write]
  --rounds N            rounds, each pgbench then checkout (5)
  --duration S          seconds per side per round (10)
  --warmup S            seconds of warm-up per side (3)
  --connections C       checkout load connections (50)
  --lines L             cart lines per customer, over ${PRODUCTS} products (2)
  --users U             customers with a filled cart (enough for ${MAX_RATE_FOR_USERS} checkouts/s)
  --pgbench-clients N   pgbench -c (20: the DB connections orders + catalog can open)
  --pgbench-threads N   pgbench -j (1: it is pinned to one core)
  --pgbench-scale N     pgbench -i -s (10)
  --io-checkouts N      sequential checkouts counted through the proxies (100)
  --quick               smoke run: 1 round × 3 s, 1 s warm-up, 20 counted checkouts
  --no-write            print the section only (RESULTS.md and results/ untouched)`;

function parseCli(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      lines: { type: 'string' },
      users: { type: 'string' },
      'pgbench-clients': { type: 'string' },
      'pgbench-threads': { type: 'string' },
      'pgbench-scale': { type: 'string' },
      'io-checkouts': { type: 'string' },
      quick: { type: 'boolean', default: false },
      'no-write': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const q = values.quick;
  const int = { integer: true };
  return {
    rounds: numberFlag(values.rounds, 'rounds', q ? 1 : 5, 1, 100, int),
    durationS: numberFlag(values.duration, 'duration', q ? 3 : 10, 1, 600, int),
    warmupS: numberFlag(values.warmup, 'warmup', q ? 1 : 3, 0, 600, int),
    connections: numberFlag(values.connections, 'connections', 50, 1, 1000, int),
    lines: numberFlag(values.lines, 'lines', 2, 1, PRODUCTS, int),
    users:
      values.users === undefined ? null : numberFlag(values.users, 'users', 0, 1, 10_000_000, int),
    pgbenchClients: numberFlag(values['pgbench-clients'], 'pgbench-clients', 20, 1, 80, int),
    pgbenchThreads: numberFlag(values['pgbench-threads'], 'pgbench-threads', 1, 1, 16, int),
    pgbenchScale: numberFlag(values['pgbench-scale'], 'pgbench-scale', 10, 1, 1000, int),
    ioCheckouts: numberFlag(values['io-checkouts'], 'io-checkouts', q ? 20 : 100, 1, 10_000, int),
    write: !values['no-write'],
  };
}

function commandLine(): string {
  const quote = (a: string): string =>
    /^[\w./=:@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  const args = process.argv.slice(2).map(quote).join(' ');
  const head =
    process.env.npm_lifecycle_event === 'bench:checkout'
      ? 'pnpm bench:checkout'
      : 'tsx src/checkout.ts';
  return args ? `${head} ${args}` : head;
}

const log = (s: string) => console.log(`checkout: ${s}`);

// --- databases ----------------------------------------------------------------------------

/** pgbench's database at the wanted scale: created and initialised when it is not. */
async function preparePgbench(scale: number): Promise<string> {
  const url = withDb(DATABASE_URL, PGBENCH_DB);
  const exists = await withClient(withDb(DATABASE_URL, 'postgres'), async (c) => {
    const { rows } = await c.query('SELECT 1 FROM pg_database WHERE datname = $1', [PGBENCH_DB]);
    if (rows.length === 0) await c.query(`CREATE DATABASE "${PGBENCH_DB}"`);
    return rows.length > 0;
  });
  let branches = -1;
  if (exists) {
    branches = await withClient(url, async (c) => {
      try {
        const { rows } = await c.query<{ n: string }>('SELECT count(*) AS n FROM pgbench_branches');
        return Number(rows[0]?.n);
      } catch {
        return -1;
      }
    });
  }
  if (branches !== scale) {
    log(`pgbench -i -s ${scale} on ${PGBENCH_DB}`);
    await run('pgbench', ['-i', '-q', '-s', String(scale), url], { timeout: 600_000 });
  }
  return url;
}

// --- services -----------------------------------------------------------------------------

interface Service {
  child: ChildProcess;
  pid: number;
  port: number;
  url: string;
}

async function startService(
  what: 'catalog' | 'orders',
  pinning: Pinning,
  env: Record<string, string>,
  port: number,
  tag: string,
): Promise<Service> {
  // BENCH_CPU_PROF=1: a V8 CPU profile of each service into out/ (not for timed figures).
  const prof =
    process.env.BENCH_CPU_PROF === '1'
      ? ['--cpu-prof', `--cpu-prof-dir=${OUT_DIR}/cpuprof-${tag}`]
      : [];
  const argv = [
    'node',
    ...prof,
    '--import',
    'tsx',
    what === 'catalog' ? CATALOG_ENTRY : ORDERS_ENTRY,
  ];
  const stderrFile = resolve(OUT_DIR, `checkout-${tag}.stderr.log`);
  const child = spawnTracked(pinnedArgv(pinning, 0, argv), {
    cwd: resolve(REPO_DIR, 'apps', what),
    env: { ...process.env, ...env, PORT: String(port), HOST: '127.0.0.1' },
    pipeStdout: false,
    stderrFile,
  });
  if (!child.pid) throw new Error(`${what} could not be spawned`);
  try {
    await waitForHttp200(child, port, '/health/ready', READY_MS);
  } catch (err) {
    await stopChild(child);
    let why = '';
    try {
      why = readFileSync(stderrFile, 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      // nothing written
    }
    throw new Error(`${what}: ${(err as Error).message}\n${why}`);
  }
  return { child, pid: child.pid, port, url: `http://127.0.0.1:${port}` };
}

function commonEnv(auth: BenchAuth, databaseUrl: string, redisUrl: string): Record<string, string> {
  return {
    // Production's level; stdout (the JSON log) goes to /dev/null.
    LOG_LEVEL: 'info',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_PREFIX,
    // One token per customer, one request per token, 50 at once from one address: far over
    // any real budget. The limiters still run (and call Redis); they never say no.
    RATE_LIMIT_MAX: '100000000',
    RATE_LIMIT_USER_MAX: '100000000',
    AUTH_JWKS_URL: auth.jwksUrl,
    AUTH_ISSUER: auth.issuer,
    AUTH_AUDIENCE: auth.audience,
  };
}

function ordersEnv(
  base: Record<string, string>,
  catalogUrl: string,
  catalogToken: string,
  webhookSecret: string,
  webhookUrl?: string,
): Record<string, string> {
  return {
    ...base,
    CATALOG_URL: catalogUrl,
    BENCH_CATALOG_TOKEN: catalogToken,
    PAYMENT_PROVIDER: 'sandbox',
    PAYMENT_WEBHOOK_SECRET: webhookSecret,
    // Required by the config even though the token comes from BENCH_CATALOG_TOKEN.
    ORDERS_CLIENT_SECRET: 'bench-unused-client-secret',
    ...(webhookUrl ? { PAYMENT_WEBHOOK_URL: webhookUrl } : {}),
  };
}

async function api(
  url: string,
  method: string,
  body: unknown,
  headers: Record<string, string>,
  expect: number,
): Promise<{ id: string }> {
  const res = await fetch(url, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  if (res.status !== expect)
    throw new Error(`${method} ${url}: ${res.status} ${text.slice(0, 300)}`);
  return text ? (JSON.parse(text) as { id: string }) : { id: '' };
}

/** Products with stock, made through catalog's API with a staff token, as staff would. */
async function makeProducts(catalog: Service, auth: BenchAuth): Promise<string[]> {
  const staff = {
    authorization: `Bearer ${await auth.sign({ sub: randomUUID(), roles: ['staff'], permissions: ['catalog:write'] })}`,
  };
  const category = await api(
    `${catalog.url}/v1/categories`,
    'POST',
    { name: 'Checkout bench', slug: 'checkout-bench' },
    staff,
    201,
  );
  const ids: string[] = [];
  for (let i = 0; i < PRODUCTS; i++) {
    const sku = `CHECKOUT-BENCH-${i}`;
    const p = await api(
      `${catalog.url}/v1/products`,
      'POST',
      {
        sku,
        name: sku,
        priceMinor: PRICE_MINOR,
        currency: 'EUR',
        status: 'active',
        categoryId: category.id,
      },
      staff,
      201,
    );
    // Threshold 0: no low-stock event; 10M units: no checkout of the run is ever short.
    await api(
      `${catalog.url}/v1/products/${p.id}/inventory`,
      'PUT',
      { onHand: STOCK, lowStockThreshold: 0 },
      staff,
      200,
    );
    ids.push(p.id);
  }
  return ids;
}

/**
 * `count` customers, each with a cart of `lines` lines (quantity 1) over the products,
 * written straight into orders.cart_items (the cart API has its own tests), and a token each
 * in the users file the load generator reads.
 */
async function makeCustomers(
  db: pg.Pool,
  auth: BenchAuth,
  products: string[],
  count: number,
  lines: number,
): Promise<void> {
  const out: string[] = [];
  const batch = 5_000;
  for (let start = 0; start < count; start += batch) {
    const users: string[] = [];
    const cartUsers: string[] = [];
    const cartProducts: string[] = [];
    for (let i = start; i < Math.min(count, start + batch); i++) {
      const userId = randomUUID();
      users.push(userId);
      for (let l = 0; l < lines; l++) {
        cartUsers.push(userId);
        cartProducts.push(products[(i + l) % products.length] as string);
      }
    }
    await db.query(
      `INSERT INTO orders.cart_items (user_id, product_id, quantity)
       SELECT u, p, 1 FROM unnest($1::uuid[], $2::uuid[]) AS t(u, p)`,
      [cartUsers, cartProducts],
    );
    const tokens = await Promise.all(users.map((sub) => auth.sign({ sub, roles: ['customer'] })));
    for (const [i, u] of users.entries()) out.push(`${u} ${tokens[i]}`);
  }
  writeFileSync(USERS_FILE, `${out.join('\n')}\n`);
}

function readUsers(): { userId: string; token: string }[] {
  return readFileSync(USERS_FILE, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [userId, token] = l.split(' ');
      return { userId: userId as string, token: token as string };
    });
}

async function checkoutOnce(
  ordersUrl: string,
  token: string,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`${ordersUrl}/v1/orders`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      authorization: `Bearer ${token}`,
      'idempotency-key': randomUUID(),
    },
    body: JSON.stringify({ shippingMethod: SHIPPING, paymentMethod: CARD }),
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.text() };
}

async function scalar(
  db: pg.Pool | pg.Client,
  text: string,
  params: unknown[] = [],
): Promise<number> {
  const { rows } = await db.query<{ n: string }>(text, params);
  return Number(rows[0]?.n ?? 0);
}

const awaiting = (db: pg.Pool) =>
  scalar(
    db,
    "SELECT count(*) AS n FROM orders.orders WHERE status IN ('pending', 'awaiting_payment')",
  );

/** Until no order is pending or awaiting its payment (the webhooks were processed); ms taken. */
async function drain(db: pg.Pool, timeoutMs = 120_000): Promise<number> {
  const t0 = performance.now();
  while (performance.now() - t0 < timeoutMs) {
    if ((await awaiting(db)) === 0) return performance.now() - t0;
    await sleep(100);
  }
  throw new Error(
    `orders still awaiting payment after ${timeoutMs / 1000} s: webhooks not processed`,
  );
}

/** Until no statement runs in either database and the services are idle. */
async function quiet(monitor: pg.Pool, dbs: string[], services: Service[]): Promise<void> {
  const deadline = performance.now() + 120_000;
  let calm = 0;
  while (performance.now() < deadline && calm < 2) {
    const n = await scalar(
      monitor,
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = ANY($1) AND state = 'active' AND pid <> pg_backend_pid()`,
      [dbs],
    );
    calm = n === 0 ? calm + 1 : 0;
    if (calm < 2) await sleep(100);
  }
  for (const s of services) await waitQuiet(s.pid);
}

// --- the two sides ------------------------------------------------------------------------

async function pgbenchSide(
  pinning: Pinning,
  clkTck: number,
  url: string,
  opts: Options,
  durationS: number,
): Promise<PgbenchSample> {
  // What pgbench does before a run unless -n: the suite does it outside the timed window.
  await withClient(url, async (c) => {
    await c.query('VACUUM pgbench_branches');
    await c.query('VACUUM pgbench_tellers');
    await c.query('TRUNCATE pgbench_history');
  });
  for (const f of readdirSync(OUT_DIR)) {
    if (f.startsWith(`${basename(PGBENCH_LOG)}.`)) rmSync(resolve(OUT_DIR, f));
  }
  const args = pgbenchRunArgs({
    url,
    clients: opts.pgbenchClients,
    threads: opts.pgbenchThreads,
    durationS,
    logPrefix: PGBENCH_LOG,
  });
  const pg0 = postgresTicks();
  const t0 = performance.now();
  const child = spawnTracked(pinnedArgv(pinning, 1, ['pgbench', ...args]), {
    cwd: BENCH_DIR,
    env: process.env,
    pipeStdout: true,
    stderrFile: resolve(OUT_DIR, 'checkout-pgbench.stderr.log'),
  });
  let stdout = '';
  child.stdout?.on('data', (b: Buffer) => {
    stdout += b.toString();
  });
  // pgbench's own CPU: its last reading before it exits (sampled; /proc is gone after).
  let genTicks = 0;
  const sampler = setInterval(() => {
    try {
      if (child.pid) genTicks = cpuTicks(child.pid);
    } catch {
      // exited
    }
  }, 200);
  const code = await new Promise<number | null>((done) => child.once('close', done));
  clearInterval(sampler);
  const wallMs = performance.now() - t0;
  const pg1 = postgresTicks();
  if (code !== 0) throw new Error(`pgbench exited ${code}:\n${stdout.slice(-1000)}`);
  const summary = parsePgbenchSummary(stdout);
  const latencies = readdirSync(OUT_DIR)
    .filter((f) => f.startsWith(`${basename(PGBENCH_LOG)}.`))
    .flatMap((f) => parsePgbenchLog(readFileSync(resolve(OUT_DIR, f), 'utf8')));
  const pgTicks = pg0 !== null && pg1 !== null ? pg1 - pg0 : null;
  return {
    tps: summary.tps,
    transactions: summary.transactions,
    failed: summary.failed,
    p50Ms: latencies.length ? percentile(latencies, 50) / 1000 : Number.NaN,
    p99Ms: latencies.length ? percentile(latencies, 99) / 1000 : Number.NaN,
    latencyAvgMs: summary.latencyAvgMs,
    postgresCpuUs:
      pgTicks === null ? null : cpuMicrosPerRequest(0, pgTicks, clkTck, summary.transactions),
    postgresCpuPct: pgTicks === null ? null : cpuPercent(pgTicks, clkTck, wallMs),
    pgbenchCpuPct: cpuPercent(genTicks, clkTck, wallMs),
  };
}

async function checkoutSide(
  pinning: Pinning,
  clkTck: number,
  orders: Service,
  catalog: Service,
  db: pg.Pool,
  load: CheckoutLoadOptions,
): Promise<{ sample: CheckoutSample; taken: number; exhausted: boolean }> {
  const child = spawnTracked(
    pinnedArgv(pinning, 1, ['node', '--import', 'tsx', LOAD, JSON.stringify(load)]),
    {
      cwd: BENCH_DIR,
      env: process.env,
      pipeStdout: true,
      stderrFile: resolve(OUT_DIR, 'checkout-load.stderr.log'),
    },
  );
  const pid = child.pid;
  if (!pid || !child.stdout) throw new Error('the load generator could not be spawned');
  type Reading = { t: number; orders: number; catalog: number; pg: number | null; gen: number };
  const read = (): Reading => ({
    t: performance.now(),
    orders: cpuTicks(orders.pid),
    catalog: cpuTicks(catalog.pid),
    pg: postgresTicks(),
    gen: cpuTicks(pid),
  });
  let r0: Reading | null = null;
  let r1: Reading | null = null;
  let result: CheckoutLoadResult | null = null;
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg: { event?: string; result?: CheckoutLoadResult };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.event === 'start') r0 = read();
    if (msg.event === 'done' && msg.result) {
      r1 = read();
      result = msg.result;
    }
  });
  const code = await new Promise<number | null>((done) => child.once('close', done));
  if (exited(orders.child) || exited(catalog.child))
    throw new Error('a service died during the round');
  const a = r0 as Reading | null;
  const b = r1 as Reading | null;
  const res = result as CheckoutLoadResult | null;
  if (code !== 0 || !a || !b || !res) {
    throw new Error(
      `the checkout load generator failed (exit ${code}); see out/checkout-load.stderr.log`,
    );
  }
  const left = await awaiting(db);
  const drainMs = await drain(db);
  const created = res.statuses['201'] ?? 0;
  const wall = b.t - a.t;
  const perCheckout = (ticks: number) => cpuMicrosPerRequest(0, ticks, clkTck, created);
  const pgTicks = a.pg !== null && b.pg !== null ? b.pg - a.pg : null;
  return {
    sample: {
      checkoutsPerSec: created / res.durationS,
      reqPerSec: res.reqPerSec,
      requests: res.requests,
      created,
      statuses: res.statuses,
      errors: res.errors,
      timeouts: res.timeouts,
      p50Ms: res.p50Ms,
      p99Ms: res.p99Ms,
      durationS: res.durationS,
      ordersCpuUs: perCheckout(b.orders - a.orders),
      catalogCpuUs: perCheckout(b.catalog - a.catalog),
      postgresCpuUs: pgTicks === null ? null : perCheckout(pgTicks),
      ordersCpuPct: cpuPercent(b.orders - a.orders, clkTck, wall),
      catalogCpuPct: cpuPercent(b.catalog - a.catalog, clkTck, wall),
      postgresCpuPct: pgTicks === null ? null : cpuPercent(pgTicks, clkTck, wall),
      loadgenCpuPct: cpuPercent(b.gen - a.gen, clkTck, wall),
      awaitingAtEnd: left,
      drainMs,
    },
    taken: res.usersTaken,
    exhausted: res.exhausted,
  };
}

// --- the counting pass --------------------------------------------------------------------

type Snap = Record<string, Counts>;

/** Loaded − idle × (loaded time ÷ idle time), per checkout: what the checkouts themselves sent. */
function netPer(loaded: Counts, idle: Counts, scale: number, n: number): Counts {
  const out: Counts = {};
  for (const [k, v] of Object.entries(loaded)) {
    const net = (v - (idle[k] ?? 0) * scale) / n;
    if (net > 0.004) out[k] = net;
  }
  return out;
}

/**
 * A second catalog and orders, unpinned, wired through counting proxies (Postgres and Redis
 * of each, orders → catalog HTTP, the sandbox's webhooks → orders), sent `n` checkouts one at
 * a time after a warm-up; once every webhook was processed, the same services are left idle
 * for as long (at most 5 s, scaled), and that is subtracted.
 */
async function countIo(
  auth: BenchAuth,
  dbUrl: string,
  db: pg.Pool,
  users: { userId: string; token: string }[],
  serviceToken: string,
  webhookSecret: string,
  n: number,
): Promise<CheckoutIo> {
  const warm = 10;
  if (users.length < n + warm)
    throw new Error(`only ${users.length} unused customers left for ${n + warm}`);
  const pgUp = parseUpstream(dbUrl, 5432);
  const redisUp = parseUpstream(REDIS_URL, 6379);
  const counts = {
    ordersPg: {} as Counts,
    ordersSql: {} as Counts,
    catalogPg: {} as Counts,
    catalogSql: {} as Counts,
  };
  const proxies = [
    await startCountingProxy(pgUp, (c) => new PgCounter(c, sqlKinds(counts.ordersSql))),
    await startCountingProxy(redisUp, (c) => new RespCounter(c)),
    await startCountingProxy(pgUp, (c) => new PgCounter(c, sqlKinds(counts.catalogSql))),
    await startCountingProxy(redisUp, (c) => new RespCounter(c)),
  ];
  const [oPg, oRedis, cPg, cRedis] = proxies as [
    (typeof proxies)[0],
    (typeof proxies)[0],
    (typeof proxies)[0],
    (typeof proxies)[0],
  ];
  counts.ordersPg = oPg.counts;
  counts.catalogPg = cPg.counts;
  const services: Service[] = [];
  try {
    const catalogPort = await freePort();
    const unpinned: Pinning = { enabled: false, note: '' };
    const catalog = await startService(
      'catalog',
      unpinned,
      commonEnv(auth, retarget(dbUrl, cPg.port), retarget(REDIS_URL, cRedis.port)),
      catalogPort,
      'io-catalog',
    );
    services.push(catalog);
    const toCatalog = await startCountingProxy(
      { host: '127.0.0.1', port: catalogPort },
      (c) => new HttpCounter(c),
    );
    proxies.push(toCatalog);
    const ordersPort = await freePort();
    const toOrders = await startCountingProxy(
      { host: '127.0.0.1', port: ordersPort },
      (c) => new HttpCounter(c),
    );
    proxies.push(toOrders);
    const orders = await startService(
      'orders',
      unpinned,
      ordersEnv(
        commonEnv(auth, retarget(dbUrl, oPg.port), retarget(REDIS_URL, oRedis.port)),
        `http://127.0.0.1:${toCatalog.port}`,
        serviceToken,
        webhookSecret,
        `http://127.0.0.1:${toOrders.port}/v1/payments/webhook`,
      ),
      ordersPort,
      'io-orders',
    );
    services.push(orders);
    const snap = (): Snap => ({
      ordersPg: { ...oPg.counts },
      ordersSql: { ...counts.ordersSql },
      ordersRedis: { ...oRedis.counts },
      catalogPg: { ...cPg.counts },
      catalogSql: { ...counts.catalogSql },
      catalogRedis: { ...cRedis.counts },
      ordersToCatalog: { ...toCatalog.counts },
      toOrders: { ...toOrders.counts },
    });
    const settle = async () => {
      await drain(db, 30_000);
      await waitQuiet(orders.pid);
      await waitQuiet(catalog.pid);
    };
    const send = async (from: number, count: number) => {
      for (let i = from; i < from + count; i++) {
        const r = await checkoutOnce(orders.url, (users[i] as (typeof users)[0]).token);
        if (r.status !== 201)
          throw new Error(`counted checkout answered ${r.status}: ${r.body.slice(0, 300)}`);
      }
    };
    await send(0, warm);
    await settle();
    const s0 = snap();
    const t0 = performance.now();
    await send(warm, n);
    await settle();
    const s1 = snap();
    const loadedMs = performance.now() - t0;
    const idleMs = Math.min(5_000, Math.max(1_000, loadedMs));
    await sleep(idleMs);
    const s2 = snap();
    const problem = proxies.map((p) => p.problem).find(Boolean);
    if (problem) throw new Error(`could not parse a stream: ${problem}`);
    const net = (k: string) =>
      netPer(
        subtractCounts(s1[k] as Counts, s0[k] as Counts),
        subtractCounts(s2[k] as Counts, s1[k] as Counts),
        loadedMs / idleMs,
        n,
      );
    return {
      checkouts: n,
      ordersPg: net('ordersPg'),
      ordersSql: net('ordersSql'),
      ordersRedis: net('ordersRedis'),
      ordersToCatalog: net('ordersToCatalog'),
      catalogPg: net('catalogPg'),
      catalogSql: net('catalogSql'),
      catalogRedis: net('catalogRedis'),
      toOrders: net('toOrders'),
    };
  } finally {
    for (const s of services.reverse()) await stopChild(s.child);
    for (const p of proxies) await p.close();
  }
}

async function cleanRedis(): Promise<void> {
  const redis = rawRedis(REDIS_URL) as unknown as {
    scan(cursor: string, ...args: (string | number)[]): Promise<[string, string[]]>;
    del(...keys: string[]): Promise<number>;
    quit(): Promise<unknown>;
  };
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${REDIS_PREFIX}*`, 'COUNT', 1000);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    await redis.quit();
  }
}

// --- the suite ----------------------------------------------------------------------------

async function main(): Promise<number> {
  installCleanup();
  const opts = parseCli(process.argv.slice(2));
  mkdirSync(OUT_DIR, { recursive: true });
  mkdirSync(dirname(RESULTS_JSON), { recursive: true });
  const pinning = detectPinning();
  const clkTck = clockTicksPerSecond();
  const date = new Date().toISOString();
  const loadStart = loadavg()[0] ?? 0;
  const commit = gitCommit(REPO_DIR);
  const users =
    opts.users ??
    (opts.rounds * opts.durationS + 2 * opts.warmupS) * MAX_RATE_FOR_USERS + opts.ioCheckouts + 100;
  log(
    `${pinning.note}; ${opts.rounds} rounds × ${opts.durationS} s, warm-up ${opts.warmupS} s, ` +
      `${opts.connections} connections, pgbench -c ${opts.pgbenchClients} -j ${opts.pgbenchThreads}`,
  );

  const pgbenchUrl = await preparePgbench(opts.pgbenchScale);
  const runDb = await createRunDatabase(DATABASE_URL, DB_PREFIX);
  const auth = await startAuthFixture();
  const webhookSecret = randomBytes(24).toString('base64url');
  const monitor = new pg.Pool({ connectionString: withDb(DATABASE_URL, 'postgres'), max: 1 });
  const db = new pg.Pool({ connectionString: runDb.url, max: 2 });
  const services: Service[] = [];
  const notes: string[] = [];
  try {
    log(`database ${runDb.name}: migrating catalog and orders`);
    await migrateApp(REPO_DIR, 'catalog', runDb.url);
    await migrateApp(REPO_DIR, 'orders', runDb.url);
    await db.query(
      `INSERT INTO orders.shipping_methods (code, name, price_minor, currency, min_days, max_days)
       VALUES ($1, 'Standard', 499, 'EUR', 3, 5)`,
      [SHIPPING],
    );
    const serviceToken = await auth.sign({
      sub: 'service:orders',
      client_id: 'orders',
      permissions: ['inventory:reserve'],
    });
    const base = commonEnv(auth, runDb.url, REDIS_URL);
    const catalog = await startService('catalog', pinning, base, await freePort(), 'catalog');
    services.push(catalog);
    const products = await makeProducts(catalog, auth);
    log(
      `${PRODUCTS} products × ${STOCK.toLocaleString('en-US')} units; ${users.toLocaleString('en-US')} customers with ${opts.lines}-line carts`,
    );
    const t0 = performance.now();
    await makeCustomers(db, auth, products, users, opts.lines);
    log(`customers ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await db.query('VACUUM ANALYZE orders.cart_items');
    const orders = await startService(
      'orders',
      pinning,
      ordersEnv(base, catalog.url, serviceToken, webhookSecret),
      await freePort(),
      'orders',
    );
    services.push(orders);
    const pool = readUsers();
    let offset = 0;

    // A checkout must answer 201 and its order must reach `paid` by webhook before any load:
    // a benchmark of error pages or of a saga that stops half-way would measure nothing.
    const first = await checkoutOnce(orders.url, (pool[offset++] as (typeof pool)[0]).token);
    if (first.status !== 201)
      throw new Error(`the first checkout answered ${first.status}: ${first.body.slice(0, 300)}`);
    const firstId = (JSON.parse(first.body) as { id: string }).id;
    await drain(db, 15_000);
    const firstStatus = await db.query<{ status: string }>(
      'SELECT status FROM orders.orders WHERE id = $1',
      [firstId],
    );
    if (firstStatus.rows[0]?.status !== 'paid') {
      throw new Error(`the first order ended ${firstStatus.rows[0]?.status}, not paid`);
    }
    log('a checkout answered 201 and its order was paid by webhook');

    const dbs = [runDb.name, PGBENCH_DB];
    const calm = () => quiet(monitor, dbs, services);
    const loadOpts = (durationS: number): CheckoutLoadOptions => ({
      url: `${orders.url}/v1/orders`,
      connections: opts.connections,
      durationS,
      timeoutS: 30,
      usersFile: USERS_FILE,
      offset,
      body: { shippingMethod: SHIPPING, paymentMethod: CARD },
    });
    let exhausted = false;
    const candidate = async (durationS: number) => {
      await calm();
      const r = await checkoutSide(pinning, clkTck, orders, catalog, db, loadOpts(durationS));
      offset += r.taken;
      exhausted ||= r.exhausted;
      return r.sample;
    };
    const baseline = async (durationS: number) => {
      await calm();
      return pgbenchSide(pinning, clkTck, pgbenchUrl, opts, durationS);
    };
    if (opts.warmupS > 0) {
      log(`warm-up ${opts.warmupS} s each`);
      await baseline(opts.warmupS);
      await candidate(opts.warmupS);
    }
    const rounds: CheckoutRound[] = [];
    for (let i = 1; i <= opts.rounds; i++) {
      const b = await baseline(opts.durationS);
      const c = await candidate(opts.durationS);
      rounds.push({ round: i, baseline: b, candidate: c });
      log(
        `round ${i}/${opts.rounds}  pgbench ${Math.round(b.tps)} tps p99 ${b.p99Ms.toFixed(1)} ms  ` +
          `checkout ${Math.round(c.checkoutsPerSec)}/s p99 ${c.p99Ms} ms (${c.requests - c.created} non-201, ` +
          `orders ${Math.round(c.ordersCpuPct)}% catalog ${Math.round(c.catalogCpuPct)}% CPU, ` +
          `${c.awaitingAtEnd} awaiting at end)  ratio ${(c.checkoutsPerSec / b.tps).toFixed(3)}`,
      );
    }
    if (exhausted) {
      notes.push(
        `the ${users} customers ran out: later requests reused emptied carts (422s); rerun with a larger --users`,
      );
    }
    for (const s of services.reverse()) await stopChild(s.child);
    services.length = 0;

    log(`counting statements, round trips and calls over ${opts.ioCheckouts} sequential checkouts`);
    let io: CheckoutReport['io'];
    try {
      io = await countIo(
        auth,
        runDb.url,
        db,
        pool.slice(offset),
        serviceToken,
        webhookSecret,
        opts.ioCheckouts,
      );
    } catch (err) {
      io = { error: (err as Error).message.split('\n')[0] ?? 'failed' };
    }

    const byStatus = async (sql: string) =>
      Object.fromEntries(
        (await db.query<{ status: string; n: string }>(sql)).rows.map((r) => [
          r.status,
          Number(r.n),
        ]),
      );
    const end = {
      ordersByStatus: await byStatus(
        'SELECT status, count(*) AS n FROM orders.orders GROUP BY status ORDER BY status',
      ),
      reservationsByStatus: await byStatus(
        'SELECT status, count(*) AS n FROM catalog.reservations GROUP BY status ORDER BY status',
      ),
      created: rounds.reduce((a, r) => a + r.candidate.created, 0),
      responses: rounds.reduce((a, r) => a + r.candidate.requests, 0),
    };
    const settings = await db.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN
        ('shared_buffers', 'synchronous_commit', 'fsync', 'wal_sync_method', 'commit_delay',
         'max_connections') ORDER BY name`,
    );
    const version = await scalar(db, "SELECT current_setting('server_version_num') AS n");
    const commitAtEnd = gitCommit(REPO_DIR);
    const meta: CheckoutMeta = {
      date,
      command: commandLine(),
      nproc: availableParallelism(),
      cpuModel: cpuModel(),
      node: process.version,
      postgres: `PostgreSQL ${Math.floor(version / 10000)}.${version % 10000}`,
      commit,
      ...(commitAtEnd !== commit ? { commitAtEnd } : {}),
      pinned: pinning.enabled,
      pinningNote: `${pinning.note}; catalog and orders both on core 0; pgbench on core 1 like the load generator; Postgres and Redis unpinned`,
      rounds: opts.rounds,
      durationS: opts.durationS,
      warmupS: opts.warmupS,
      connections: opts.connections,
      lines: opts.lines,
      products: PRODUCTS,
      stockPerProduct: STOCK,
      users,
      pgbench: {
        clients: opts.pgbenchClients,
        threads: opts.pgbenchThreads,
        scale: opts.pgbenchScale,
        database: PGBENCH_DB,
      },
      database: runDb.name,
      settings: settings.rows
        .map((s) => `${s.name} ${s.setting}${s.unit ? ` ${s.unit}` : ''}`)
        .join(', '),
      logging: 'catalog and orders: pino JSON at info to stdout, redirected to /dev/null',
      loadAvg: { start: loadStart, end: loadavg()[0] ?? 0 },
    };
    const report: CheckoutReport = { meta, rounds, end, io, notes };
    const section = markdownSection(report);
    console.log(`\n${section}`);
    console.log(targetNote(summarize(rounds)));
    if (!('error' in io)) {
      const o = pgFigures(io.ordersPg, io.ordersSql);
      const c = pgFigures(io.catalogPg, io.catalogSql);
      log(
        `per checkout: orders ${o.statements.toFixed(1)} SQL / ${o.transactions.toFixed(1)} tx; catalog ${c.statements.toFixed(1)} SQL / ${c.transactions.toFixed(1)} tx`,
      );
    }
    if (opts.write) {
      writeFileSync(RESULTS_JSON, `${JSON.stringify(report, null, 2)}\n`);
      await appendFile(RESULTS_MD, `\n${section}`);
      log(`wrote ${RESULTS_MD} and ${RESULTS_JSON}`);
    } else log('--no-write: RESULTS.md and results/ left as they were');
    return 0;
  } finally {
    for (const s of services.reverse()) await stopChild(s.child);
    await db.end().catch(() => undefined);
    await monitor.end().catch(() => undefined);
    await runDb.drop().catch((err: Error) => log(`could not drop ${runDb.name}: ${err.message}`));
    await cleanRedis().catch((err: Error) =>
      log(`could not clean Redis ${REDIS_PREFIX}*: ${err.message}`),
    );
    await auth.close();
    rmSync(USERS_FILE, { force: true });
    for (const f of readdirSync(OUT_DIR)) {
      if (f.startsWith(`${basename(PGBENCH_LOG)}.`)) rmSync(resolve(OUT_DIR, f));
    }
  }
}

main().then(
  (code) => {
    killAllNow();
    process.exit(code);
  },
  (err: unknown) => {
    killAllNow();
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  },
);
