// The scenarios: each pairs a candidate server and path with the baseline it is measured
// against in the same run. To add one, append to SCENARIOS (see README.md).
import { resolve } from 'node:path';

export const BENCH_DIR = resolve(import.meta.dirname, '..');
export const REPO_DIR = resolve(BENCH_DIR, '..');

export interface ServerContext {
  /** 0 for servers that announce their own port. */
  port: number;
  databaseUrl: string;
  redisUrl: string;
}

export interface ServerDef {
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
  /** Count Redis commands and SQL statements per request (DB and cache scenarios). */
  countIo: boolean;
  /** How the server logs during the run, for the report. */
  logging: string;
  /** A file that must exist for the scenario to run (it may not be written yet). */
  entry: string;
}

export interface Scenario {
  name: string;
  description: string;
  candidate: ServerDef;
  baseline: ServerDef;
  /** Part of a run without --scenario. */
  inDefault: boolean;
}

// tsx as an import hook keeps one process (the `tsx` CLI forks a child), so the pid we read
// CPU time from is the server itself.
const tsxNode = (file: string): string[] => ['node', '--import', 'tsx', file];

const BASELINE_ENTRY = resolve(BENCH_DIR, 'src/baseline-server.ts');
const LOGGED_ENTRY = resolve(BENCH_DIR, 'src/logged-server.ts');
const CATALOG_ENTRY = resolve(REPO_DIR, 'apps/catalog/src/server.ts');

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

function catalog(path: string): ServerDef {
  return {
    label: 'catalog',
    argv: tsxNode(CATALOG_ENTRY),
    cwd: resolve(REPO_DIR, 'apps/catalog'),
    env: ({ port, databaseUrl, redisUrl }) => ({
      PORT: String(port),
      HOST: '127.0.0.1',
      // Production's level; stdout (the JSON log) goes to /dev/null.
      LOG_LEVEL: 'info',
      // Measure the kit's per-request cost, not 429s. The limiter still runs (and still
      // calls Redis) on limited routes; it just never says no.
      RATE_LIMIT_MAX: '100000000',
      DATABASE_URL: databaseUrl,
      REDIS_URL: redisUrl,
    }),
    ready: { path: '/health/ready' },
    path,
    countIo: true,
    logging: 'pino JSON at info to stdout, redirected to /dev/null',
    entry: CATALOG_ENTRY,
  };
}

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
    name: 'fastify-pino',
    description:
      'calibration and stand-in: bare Fastify + one pino line per request (~0.66× expected)',
    candidate: loggedFastify,
    baseline: bareFastify,
    inDefault: false,
  },
];
