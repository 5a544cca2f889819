// `pnpm bench:products-1m`: issue #4's benchmarks on 1,000,000 products. Prepares the suite's
// own database (migrate, bulk load unless already there, VACUUM ANALYZE), starts the real
// catalog on core 0 against it, and measures, round after round in a rotating order:
//  - keyset pagination through GET /v1/products (newest and price_asc) at page 1, 1,000 and
//    the last full page: one request at a time (µs timing) and under autocannon;
//  - the API's page query through the raw pg driver, with its cursor (keyset) and with an
//    OFFSET in its place, at pages 1, 1,000, 10,000, 25,000 and the last full page;
//  - full-text search through GET /v1/search/products and its SQL through pg.
// Then EXPLAIN (ANALYZE, BUFFERS) of the slow statements, a section in RESULTS.md and
// results/products-1m.json. See README.md, "products-1m".
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { cpuModel, gitCommit, numberFlag, redact } from './machine.ts';
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
import {
  ids,
  keysetSql,
  type ListSort,
  lastFullPage,
  listPath,
  measuredPages,
  offsetSql,
  type PageStart,
  pageStartByCodec,
  prepareDatabase,
  SEARCH_QUERIES,
  type SqlText,
  searchMatches,
  searchPath,
  searchSql,
  walkToPage,
} from './products-1m-data.ts';
import {
  type CellRun,
  type CellSpec,
  type DataFacts,
  type LoadedSample,
  markdownSection,
  type PlanSummary,
  type SuiteMeta,
  type SuiteReport,
} from './products-1m-report.ts';
import { BENCH_DIR, REPO_DIR } from './scenarios.ts';
import type { SeqOptions, SeqResult } from './seq-timer.ts';
import { cpuMicrosPerRequest, cpuPercent } from './stats.ts';
import type { LoadOptions, LoadResult } from './types.ts';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meridian';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CATALOG_ENTRY = resolve(REPO_DIR, 'apps/catalog/src/server.ts');
const LOAD_RUNNER = resolve(BENCH_DIR, 'src/load-runner.ts');
const SEQ_TIMER = resolve(BENCH_DIR, 'src/seq-timer.ts');
const OUT_DIR = resolve(BENCH_DIR, 'out');
const RESULTS_MD = resolve(BENCH_DIR, 'RESULTS.md');
const RESULTS_JSON = resolve(BENCH_DIR, 'results/products-1m.json');
const PARTIAL_JSON = resolve(OUT_DIR, 'products-1m.partial.json');

const SORTS: readonly ListSort[] = ['newest', 'price_asc'];
// A 600 ms search still gets this many samples per round, one at a time.
const MIN_SAMPLES = 5;
// Under load a slow search answers its first request only after the 49 queued before it: a
// short window would see none. Search cells get at least this long under autocannon.
const SEARCH_LOAD_MIN_S = 6;

interface Options {
  count: number;
  rounds: number;
  httpDurationS: number;
  sqlDurationS: number;
  warmupS: number;
  connections: number;
  /** Print the section only: write neither RESULTS.md nor results/products-1m.json. */
  write: boolean;
}

const USAGE = `usage: pnpm bench:products-1m [--count N] [--rounds N] [--duration S] [--sql-duration S]
                              [--warmup S] [--connections C] [--quick] [--no-write]
  --count N         products in the suite's database (1000000); its name carries N
  --rounds N        rounds over every cell (5)
  --duration S      seconds per HTTP cell per round, one at a time and again under load (2)
  --sql-duration S  seconds per SQL cell per round (2; at least ${MIN_SAMPLES} statements)
  --warmup S        seconds of warm-up per cell before the rounds (1)
  --connections C   autocannon connections for the loaded pass (50)
  --quick           smoke run: 1 round, 1 s HTTP, 0.5 s SQL, 0.5 s warm-up
  --no-write        print the results section only (RESULTS.md and results/ untouched)`;

function parseCli(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv.filter((a) => a !== '--'),
    options: {
      count: { type: 'string' },
      rounds: { type: 'string' },
      duration: { type: 'string' },
      'sql-duration': { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
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
  const count = numberFlag(values.count, 'count', 1_000_000, 100, 100_000_000);
  if (!Number.isInteger(count)) throw new Error('--count must be a whole number');
  return {
    count,
    rounds: Math.round(numberFlag(values.rounds, 'rounds', q ? 1 : 5, 1, 100)),
    httpDurationS: numberFlag(values.duration, 'duration', q ? 1 : 2, 0.2, 600),
    sqlDurationS: numberFlag(values['sql-duration'], 'sql-duration', q ? 0.5 : 2, 0.1, 600),
    warmupS: numberFlag(values.warmup, 'warmup', q ? 0.5 : 1, 0, 600),
    connections: Math.round(numberFlag(values.connections, 'connections', 50, 1, 1000)),
    write: !values['no-write'],
  };
}

function commandLine(): string {
  const quote = (a: string): string =>
    /^[\w./=:@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  const args = process.argv.slice(2).map(quote).join(' ');
  const head =
    process.env.npm_lifecycle_event === 'bench:products-1m'
      ? 'pnpm bench:products-1m'
      : 'tsx src/products-1m.ts';
  return args ? `${head} ${args}` : head;
}

// --- children -----------------------------------------------------------------------------

interface Catalog {
  child: ChildProcess;
  pid: number;
  port: number;
}

async function startCatalog(pinning: Pinning, databaseUrl: string): Promise<Catalog> {
  const port = await freePort();
  const child = spawnTracked(pinnedArgv(pinning, 0, ['node', '--import', 'tsx', CATALOG_ENTRY]), {
    cwd: resolve(REPO_DIR, 'apps/catalog'),
    env: {
      ...process.env,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      RATE_LIMIT_MAX: '100000000',
      RATE_LIMIT_USER_MAX: '100000000',
      DATABASE_URL: databaseUrl,
      REDIS_URL,
      // Its rate-limit keys apart from anyone else's on the shared Redis.
      REDIS_PREFIX: `bench_products_1m_${process.pid}:`,
    },
    pipeStdout: false,
    stderrFile: resolve(OUT_DIR, 'products-1m-catalog.stderr.log'),
  });
  if (!child.pid) throw new Error('the catalog could not be spawned');
  await waitForHttp200(child, port, '/health/ready', 30_000);
  return { child, pid: child.pid, port };
}

/** Runs a JSON-speaking child (load-runner or seq-timer) pinned to the load core. */
async function runChild<T>(
  pinning: Pinning,
  script: string,
  payload: unknown,
  hooks: { start?: (pid: number) => void; done?: (pid: number) => void } = {},
  timeoutMs = 600_000,
): Promise<T> {
  const stderrFile = resolve(OUT_DIR, 'products-1m-load.stderr.log');
  const child = spawnTracked(
    pinnedArgv(pinning, 1, ['node', '--import', 'tsx', script, JSON.stringify(payload)]),
    { cwd: BENCH_DIR, env: process.env, pipeStdout: true, stderrFile },
  );
  const pid = child.pid;
  if (!pid || !child.stdout) throw new Error(`${script} could not be spawned`);
  let result: T | undefined;
  const lines = createInterface({ input: child.stdout });
  lines.on('line', (line) => {
    let msg: { event?: string; result?: T };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    if (msg.event === 'start') hooks.start?.(pid);
    if (msg.event === 'done') {
      hooks.done?.(pid);
      result = msg.result;
    }
  });
  const finished = await new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), timeoutMs);
    child.once('close', () => {
      clearTimeout(timer);
      done(true);
    });
  });
  if (!finished) await stopChild(child, 1000);
  if (!finished || child.exitCode !== 0 || result === undefined) {
    throw new Error(`${script} failed (exit ${child.exitCode}${finished ? '' : ', timed out'})`);
  }
  return result;
}

async function loaded(
  pinning: Pinning,
  clkTck: number,
  catalog: Catalog,
  path: string,
  opts: Options,
): Promise<LoadedSample> {
  let before = 0;
  let after = 0;
  let genBefore = 0;
  let genAfter = 0;
  let t0 = 0;
  let t1 = 0;
  const load: LoadOptions = {
    url: `http://127.0.0.1:${catalog.port}${path}`,
    connections: opts.connections,
    durationS: opts.httpDurationS,
  };
  const r = await runChild<LoadResult>(pinning, LOAD_RUNNER, load, {
    start: (pid) => {
      t0 = performance.now();
      before = cpuTicks(catalog.pid);
      genBefore = cpuTicks(pid);
    },
    done: (pid) => {
      t1 = performance.now();
      after = cpuTicks(catalog.pid);
      genAfter = cpuTicks(pid);
    },
  });
  return {
    ...r,
    cpuUsPerReq: cpuMicrosPerRequest(before, after, clkTck, r.requests),
    serverCpuPct: cpuPercent(after - before, clkTck, t1 - t0),
    loadgenCpuPct: cpuPercent(genAfter - genBefore, clkTck, t1 - t0),
  };
}

/**
 * Until the catalog is idle and no statement runs in the suite's database: autocannon
 * abandons its requests in flight when a round ends, and their queries (a search can queue
 * for seconds) would run into the next cell's time.
 */
async function waitQuietAll(monitor: pg.Client, dbName: string, catalog: Catalog): Promise<void> {
  const deadline = performance.now() + 120_000;
  let calm = 0;
  while (performance.now() < deadline && calm < 2) {
    const { rows } = await monitor.query<{ n: string }>(
      `SELECT count(*) AS n FROM pg_stat_activity
        WHERE datname = $1 AND state = 'active' AND pid <> pg_backend_pid()`,
      [dbName],
    );
    calm = Number(rows[0]?.n) === 0 ? calm + 1 : 0;
    if (calm < 2) await sleep(100);
  }
  await waitQuiet(catalog.pid);
}

// --- plans --------------------------------------------------------------------------------

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Workers Launched'?: number;
  'Sort Method'?: string;
  'Exact Heap Blocks'?: number;
  'Heap Fetches'?: number;
  'Shared Hit Blocks'?: number;
  'Shared Read Blocks'?: number;
  Plans?: PlanNode[];
}

function shape(node: PlanNode): string {
  const parts: string[] = [];
  const walk = (n: PlanNode) => {
    let s = n['Node Type'];
    if (n['Index Name']) s += ` using ${n['Index Name']}`;
    else if (n['Relation Name']) s += ` on ${n['Relation Name']}`;
    const rows = (n['Actual Rows'] ?? 0) * (n['Actual Loops'] ?? 1);
    const extra = [`${Math.round(rows).toLocaleString('en-US')} rows`];
    if (n['Workers Launched']) extra.push(`${n['Workers Launched']} workers`);
    if (n['Sort Method']) extra.push(n['Sort Method']);
    if (n['Exact Heap Blocks'])
      extra.push(`${n['Exact Heap Blocks'].toLocaleString('en-US')} heap blocks`);
    if (n['Heap Fetches'] !== undefined)
      extra.push(`${n['Heap Fetches'].toLocaleString('en-US')} heap fetches`);
    parts.push(`${s} (${extra.join(', ')})`);
    for (const c of n.Plans ?? []) walk(c);
  };
  walk(node);
  return parts.join(' ← ');
}

async function explain(pool: pg.Pool, what: string, q: SqlText): Promise<PlanSummary> {
  // Once to warm what the rounds warmed, then the plan that is reported.
  await pool.query({ text: q.sql, values: q.params });
  const { rows } = await pool.query<{
    'QUERY PLAN': [{ Plan: PlanNode; 'Execution Time': number; 'Planning Time': number }];
  }>({ text: `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${q.sql}`, values: q.params });
  const top = rows[0]?.['QUERY PLAN'][0];
  if (!top) throw new Error(`no plan for ${what}`);
  const text = await pool.query<{ 'QUERY PLAN': string }>({
    text: `EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`,
    values: q.params,
  });
  return {
    what,
    executionMs: top['Execution Time'],
    planningMs: top['Planning Time'],
    sharedHit: top.Plan['Shared Hit Blocks'] ?? 0,
    sharedRead: top.Plan['Shared Read Blocks'] ?? 0,
    shape: shape(top.Plan),
    text: text.rows.map((r) => r['QUERY PLAN']).join('\n'),
  };
}

// --- the suite ----------------------------------------------------------------------------

async function main(): Promise<number> {
  installCleanup();
  const opts = parseCli(process.argv.slice(2));
  mkdirSync(OUT_DIR, { recursive: true });
  mkdirSync(resolve(BENCH_DIR, 'results'), { recursive: true });
  const pinning = detectPinning();
  const clkTck = clockTicksPerSecond();
  const log = (s: string) => console.log(`products-1m: ${s}`);
  log(
    `${pinning.note}; ${opts.rounds} rounds, HTTP ${opts.httpDurationS} s, SQL ${opts.sqlDurationS} s`,
  );
  const loadStart = loadavg()[0] ?? 0;
  const commit = gitCommit(REPO_DIR);
  const date = new Date().toISOString();

  const db = await prepareDatabase({
    repoDir: REPO_DIR,
    baseUrl: DATABASE_URL,
    count: opts.count,
    log,
  });
  const lastFull = lastFullPage(db.listed);
  const pages = measuredPages(lastFull);
  log(`${db.listed} listed products, last full page ${lastFull}; pages ${pages.sql.join(', ')}`);

  const pool = new pg.Pool({ connectionString: db.url, max: 2 });
  const monitor = new pg.Client({ connectionString: db.url });
  await monitor.connect();
  const notes: string[] = [];
  let catalog: Catalog | null = null;
  try {
    catalog = await startCatalog(pinning, db.url);
    const base = `http://127.0.0.1:${catalog.port}`;
    log(`catalog up on port ${catalog.port} (pid ${catalog.pid})`);

    // Where each page starts, per sort: the codec's cursor; page 1,000's also walked.
    const specs: CellSpec[] = [];
    const walks: DataFacts['walks'] = [];
    let pagesAgree = true;
    for (const sort of SORTS) {
      const starts = new Map<number, PageStart>();
      for (const page of pages.sql.filter((p) => p > 1)) {
        starts.set(page, await pageStartByCodec(pool, sort, page));
      }
      const p1000 = starts.get(1000);
      let walkedHere = false;
      if (p1000) {
        log(`walking ${sort} to page 1,000 through the route`);
        const walked = await walkToPage(base, sort, 1000);
        walks.push({
          sort,
          page: 1000,
          ms: walked.ms,
          sameAsCodec: walked.cursor === p1000.cursor,
        });
        walkedHere = true;
        if (walked.cursor !== p1000.cursor) {
          notes.push(
            `${sort}: the walked cursor of page 1,000 differs from the codec's; the walked one is measured`,
          );
          starts.set(1000, { ...p1000, cursor: walked.cursor });
        }
      }
      for (const page of pages.sql) {
        const start = starts.get(page);
        const keyset = keysetSql(pool, sort, start?.keyset);
        const offset = offsetSql(pool, sort, page);
        const a = await ids(pool, keyset);
        const b = await ids(pool, offset);
        if (a.length === 0 || JSON.stringify(a) !== JSON.stringify(b)) {
          pagesAgree = false;
          notes.push(
            `${sort} page ${page}: keyset returned ${a.length} rows, OFFSET ${b.length}, not the same ids`,
          );
        }
        specs.push(
          {
            id: `sql:${sort}:keyset:p${page}`,
            kind: 'sql',
            what: 'list',
            method: 'keyset',
            sort,
            page,
            query: keyset,
          },
          {
            id: `sql:${sort}:offset:p${page}`,
            kind: 'sql',
            what: 'list',
            method: 'offset',
            sort,
            page,
            query: offset,
          },
        );
        if (pages.http.includes(page)) {
          specs.push({
            id: `http:${sort}:p${page}`,
            kind: 'http',
            what: 'list',
            sort,
            page,
            cursorFrom: page === 1 ? 'none' : page === 1000 && walkedHere ? 'walked' : 'codec',
            path: listPath(sort, start?.cursor ?? null),
          });
        }
      }
    }
    const matches: Record<string, number> = {};
    for (const [i, q] of SEARCH_QUERIES.entries()) {
      matches[q] = await searchMatches(pool, q);
      specs.push(
        { id: `http:search:${i}`, kind: 'http', what: 'search', q, path: searchPath(q) },
        { id: `sql:search:${i}`, kind: 'sql', what: 'search', q, query: searchSql(q) },
      );
    }

    // Every route must answer 200 before any load: a benchmark of errors measures errors.
    for (const s of specs) {
      if (s.kind !== 'http') continue;
      const res = await fetch(`${base}${s.path}`, { signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      if (res.status !== 200)
        throw new Error(`GET ${s.path} answered ${res.status}: ${body.slice(0, 300)}`);
    }

    const seqOpts = (s: CellSpec, durationS: number): SeqOptions =>
      s.kind === 'http'
        ? { mode: 'http', url: `${base}${s.path}`, durationS, minSamples: MIN_SAMPLES }
        : {
            mode: 'sql',
            databaseUrl: db.url,
            sql: s.query.sql,
            params: s.query.params,
            durationS,
            minSamples: MIN_SAMPLES,
          };
    const cat = catalog;
    const quiet = () => waitQuietAll(monitor, db.name, cat);

    if (opts.warmupS > 0) {
      log(`warm-up: ${opts.warmupS} s per cell, ${specs.length} cells`);
      for (const s of specs) {
        await quiet();
        await runChild<SeqResult>(pinning, SEQ_TIMER, {
          ...seqOpts(s, opts.warmupS),
          minSamples: 1,
        });
      }
    }

    const runs: CellRun[] = specs.map((spec) => ({ spec, seq: [], loaded: [] }));
    for (let round = 0; round < opts.rounds; round++) {
      // Rotate the order each round, so no cell always follows the same neighbour.
      const shift = Math.round((round * runs.length) / opts.rounds);
      const order = [...runs.slice(shift), ...runs.slice(0, shift)];
      const t0 = performance.now();
      for (const run of order) {
        const s = run.spec;
        await quiet();
        run.seq[round] = await runChild<SeqResult>(
          pinning,
          SEQ_TIMER,
          seqOpts(s, s.kind === 'http' ? opts.httpDurationS : opts.sqlDurationS),
        );
        if (s.kind === 'http') {
          await quiet();
          const loadS =
            s.what === 'search'
              ? Math.max(opts.httpDurationS, SEARCH_LOAD_MIN_S)
              : opts.httpDurationS;
          run.loaded[round] = await loaded(pinning, clkTck, cat, s.path, {
            ...opts,
            httpDurationS: loadS,
          });
        }
        if (exited(cat.child)) throw new Error('the catalog died during the round');
        const seq = run.seq[round];
        const l = run.loaded[round];
        log(
          `  ${s.id.padEnd(28)} p50 ${((seq?.p50Us ?? Number.NaN) / 1000).toFixed(2)} ms, ` +
            `p99 ${((seq?.p99Us ?? Number.NaN) / 1000).toFixed(2)} ms (${seq?.samples} samples)` +
            (l
              ? `; loaded ${Math.round(l.reqPerSec)} req/s p99 ${l.p99Ms} ms, ${l.non2xx} non-2xx`
              : ''),
        );
      }
      // What has been measured so far survives a crash later in the run.
      writeFileSync(PARTIAL_JSON, `${JSON.stringify(runs)}\n`);
      log(
        `round ${round + 1}/${opts.rounds} done in ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
    await stopChild(cat.child);
    catalog = null;

    log('EXPLAIN (ANALYZE, BUFFERS) of the statements that matter');
    const plans: PlanSummary[] = [];
    const todo: [string, SqlText][] = [];
    for (const sort of SORTS) {
      const k = runs.find((r) => r.spec.id === `sql:${sort}:keyset:p1000`);
      const o = runs.find((r) => r.spec.id === `sql:${sort}:offset:p${lastFull}`);
      if (k?.spec.kind === 'sql') todo.push([`keyset ${sort} page 1,000`, k.spec.query]);
      if (o?.spec.kind === 'sql') {
        todo.push([`OFFSET ${sort} page ${lastFull.toLocaleString('en-US')}`, o.spec.query]);
      }
    }
    for (const r of runs) {
      if (r.spec.kind === 'sql' && r.spec.what === 'search') {
        todo.push([`search \`${r.spec.q}\``, r.spec.query]);
      }
    }
    for (const [what, q] of todo) {
      try {
        plans.push(await explain(pool, what, q));
      } catch (err) {
        notes.push(`EXPLAIN of ${what} failed: ${(err as Error).message}`);
      }
    }

    const settings = await monitor.query<{ name: string; setting: string; unit: string | null }>(
      `SELECT name, setting, unit FROM pg_settings WHERE name IN
        ('shared_buffers', 'work_mem', 'effective_cache_size', 'max_parallel_workers_per_gather',
         'random_page_cost', 'jit') ORDER BY name`,
    );
    const version = await monitor.query<{ v: string }>(
      "SELECT current_setting('server_version') AS v",
    );
    const commitAtEnd = gitCommit(REPO_DIR);
    const meta: SuiteMeta = {
      date,
      command: commandLine(),
      nproc: availableParallelism(),
      cpuModel: cpuModel(),
      node: process.version,
      commit,
      ...(commitAtEnd !== commit ? { commitAtEnd } : {}),
      pinned: pinning.enabled,
      pinningNote: pinning.note,
      rounds: opts.rounds,
      httpDurationS: opts.httpDurationS,
      sqlDurationS: opts.sqlDurationS,
      warmupS: opts.warmupS,
      connections: opts.connections,
      database: db.name,
      redis: redact(REDIS_URL),
      loadAvg: { start: loadStart, end: loadavg()[0] ?? 0 },
      postgres: `PostgreSQL ${version.rows[0]?.v.split(' ')[0] ?? '?'}`,
      settings: settings.rows
        .map((s) => `${s.name} ${s.setting}${s.unit ? ` × ${s.unit}` : ''}`)
        .join(', '),
    };
    const report: SuiteReport = {
      meta,
      data: {
        count: opts.count,
        products: db.products,
        listed: db.listed,
        seedS: db.seedS,
        vacuumS: db.vacuumS,
        tableSize: db.tableSize,
        lastFullPage: lastFull,
        walks,
        pagesAgree,
        matches,
      },
      cells: runs,
      plans,
      notes,
    };
    const section = markdownSection(report, SORTS, pages.sql);
    console.log(`\n${section}`);
    if (opts.write) {
      writeFileSync(RESULTS_JSON, `${JSON.stringify(report, null, 2)}\n`);
      await appendFile(RESULTS_MD, `\n${section}`);
      console.log(`wrote ${RESULTS_MD} and ${RESULTS_JSON}`);
    } else console.log('--no-write: RESULTS.md and results/ left as they were');
    return 0;
  } finally {
    if (catalog) await stopChild(catalog.child);
    await monitor.end().catch(() => undefined);
    await pool.end().catch(() => undefined);
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
