// The benchmark harness (`pnpm bench`): for each scenario, baseline and candidate servers on
// core 0, autocannon on core 1, alternating rounds, CPU per request from /proc; then the
// stdout table, a section in RESULTS.md, results/latest.json and results/ratios.svg.

import type { ChildProcess } from 'node:child_process';
import { execFile } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs, promisify } from 'node:util';
import { parseUpstream, retarget, startCountingProxy } from './counting-proxy.ts';
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
  threadTicks,
  waitForAnnouncedPort,
  waitForHttp200,
  waitQuiet,
} from './processes.ts';
import {
  bottleneckNotes,
  consoleTable,
  markdownSection,
  RESULTS_HEADER,
  roundNotes,
  summarizeRounds,
  targetNotes,
} from './report.ts';
import {
  BENCH_DIR,
  type Fixture,
  type Micro,
  REPO_DIR,
  SCENARIOS,
  type Scenario,
  type ServerDef,
  type WorkerDef,
} from './scenarios.ts';
import { cpuMicrosPerRequest, cpuPercent, netPerRequest, splitThreadTicks } from './stats.ts';
import { renderRatioChart } from './svg.ts';
import type {
  IoCounts,
  LoadOptions,
  LoadResult,
  RequestSpec,
  Round,
  RunMeta,
  RunReport,
  Sample,
  ScenarioResult,
} from './types.ts';
import { PgCounter, pgStatements, RespCounter, subtractCounts, total } from './wire-count.ts';

// Issue #2's goal for a service route relative to bare Fastify; drawn on the chart. A
// scenario with a target of its own (Scenario.target) is checked against that instead.
const TARGET_RATIO = 0.6;
const READY_TIMEOUT_MS = 30_000;
const IO_REQUESTS = 200;
const IO_WARMUP_REQUESTS = 20;

const RESULTS_MD = resolve(BENCH_DIR, 'RESULTS.md');
const RESULTS_DIR = resolve(BENCH_DIR, 'results');
const OUT_DIR = resolve(BENCH_DIR, 'out');
const LOAD_RUNNER = resolve(BENCH_DIR, 'src/load-runner.ts');
const MICRO = resolve(BENCH_DIR, 'src/micro.ts');
const execFileAsync = promisify(execFile);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meridian';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Options {
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  scenarios: Scenario[];
}

const scenarioNames = SCENARIOS.map((s) => (s.inDefault ? s.name : `${s.name} (when named)`));
const USAGE = `usage: pnpm bench [--rounds N] [--duration S] [--warmup S] [--connections C]
                  [--scenario NAME]... [--quick]
scenarios: ${scenarioNames.join(', ')}`;

function parseCli(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      rounds: { type: 'string' },
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      scenario: { type: 'string', multiple: true },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  // --quick changes the defaults; a flag given explicitly still wins.
  const q = values.quick;
  const names = values.scenario ?? [];
  const unknown = names.filter((n) => !SCENARIOS.some((s) => s.name === n));
  if (unknown.length) throw new Error(`unknown scenario ${unknown.join(', ')}\n${USAGE}`);
  return {
    rounds: numberFlag(values.rounds, 'rounds', q ? 2 : 7, 1, 100, { integer: true }),
    durationS: numberFlag(values.duration, 'duration', q ? 3 : 10, 1, 600, { integer: true }),
    warmupS: numberFlag(values.warmup, 'warmup', q ? 1 : 3, 0, 600, { integer: true }),
    connections: numberFlag(values.connections, 'connections', 50, 1, 1000, { integer: true }),
    scenarios: names.length
      ? SCENARIOS.filter((s) => names.includes(s.name))
      : SCENARIOS.filter((s) => s.inDefault),
  };
}

interface Running {
  def: ServerDef;
  child: ChildProcess;
  pid: number;
  port: number;
  stderrFile: string;
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/** DATABASE_URL and REDIS_URL for a scenario's servers: its own database, if it made one. */
function backends(fixture: Fixture): { databaseUrl: string; redisUrl: string } {
  return { databaseUrl: fixture.databaseUrl ?? DATABASE_URL, redisUrl: REDIS_URL };
}

async function startServer(
  def: ServerDef,
  pinning: Pinning,
  tag: string,
  fixture: Fixture,
  urls = backends(fixture),
): Promise<Running> {
  const announce = def.ready === 'announce';
  const port = announce ? 0 : await freePort();
  const stderrFile = resolve(OUT_DIR, `${tag}.stderr.log`);
  const child = spawnTracked(pinnedArgv(pinning, 0, def.argv), {
    cwd: def.cwd,
    env: { ...process.env, ...def.env({ port, ...urls, fixture }) },
    pipeStdout: announce,
    stderrFile,
  });
  try {
    if (!child.pid) throw new Error('could not be spawned');
    let bound = port;
    if (def.ready === 'announce') bound = await waitForAnnouncedPort(child, READY_TIMEOUT_MS);
    else await waitForHttp200(child, port, def.ready.path, READY_TIMEOUT_MS);
    return { def, child, pid: child.pid, port: bound, stderrFile };
  } catch (err) {
    await stopChild(child);
    const why = tail(stderrFile);
    throw new Error(
      `${def.label} (${def.argv.join(' ')}): ${(err as Error).message}` +
        (why ? `\n--- ${stderrFile} ---\n${why}` : ''),
    );
  }
}

const requestOf = (def: ServerDef, fixture: Fixture): RequestSpec => def.request?.(fixture) ?? {};

/** How a side's request reads in the report when it is more than `GET <path>`. */
function describeRequest(def: ServerDef | WorkerDef, fixture: Fixture): string | undefined {
  if (def.kind === 'worker') return def.request;
  const spec = requestOf(def, fixture);
  if (!spec.method && !spec.headers && !spec.body) return undefined;
  const scheme = spec.headers?.authorization?.split(' ')[0];
  const auth = scheme ? ` + Authorization: ${scheme} <JWT>` : '';
  return `${spec.method ?? 'GET'} ${def.path}${auth}`;
}

async function send(
  port: number,
  path: string,
  spec: RequestSpec,
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: spec.method ?? 'GET',
    headers: spec.headers,
    body: spec.body,
    signal: AbortSignal.timeout(10_000),
  });
  return { status: res.status, body: await res.text() };
}

/**
 * The route's answer before any load: a route that fails would be benchmarked as an error
 * page. Then each of the server's checks (e.g. a corrupted token must get 401): a candidate
 * that skips the work it is meant to measure would look free.
 */
async function preflight(server: Running, fixture: Fixture): Promise<void> {
  const { def } = server;
  const spec = requestOf(def, fixture);
  const what = `${spec.method ?? 'GET'} ${def.path} on ${def.label}`;
  const res = await send(server.port, def.path, spec);
  if (res.status < 200 || res.status > 299) {
    throw new Error(
      `${what} answered ${res.status}: ${res.body.slice(0, 300)}` +
        '\n(has the database been migrated and seeded? cd /work/main && pnpm db:migrate && ' +
        'pnpm db:seed)',
    );
  }
  for (const check of def.checks?.(fixture) ?? []) {
    const got = await send(server.port, def.path, check.request);
    if (got.status !== check.status) {
      throw new Error(
        `${what} with ${check.what} answered ${got.status}, expected ${check.status}: ` +
          got.body.slice(0, 300),
      );
    }
  }
}

/**
 * Scrapes the service's /metrics once a second for prom-client's event-loop delay p99.
 * prom-client computes it from perf_hooks.monitorEventLoopDelay and resets that histogram
 * on every collect, so each scraped value covers the window since the previous scrape. The
 * first scrape only starts a clean window; its value (covering the idle time before the
 * round) is dropped.
 */
function scrapeEventLoop(port: number): { stop: () => number[] } {
  const values: number[] = [];
  let stopped = false;
  const scrape = async (): Promise<number> => {
    const res = await fetch(`http://127.0.0.1:${port}/metrics`, {
      signal: AbortSignal.timeout(5000),
    });
    const text = await res.text();
    const m = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})?\s+(\S+)$/m.exec(text);
    return m?.[1] ? Number(m[1]) * 1000 : Number.NaN;
  };
  void scrape().catch(() => Number.NaN);
  const timer = setInterval(() => {
    scrape().then(
      (ms) => {
        if (!stopped && Number.isFinite(ms)) values.push(ms);
      },
      () => undefined,
    );
  }, 1000);
  return {
    stop: () => {
      stopped = true;
      clearInterval(timer);
      return values;
    },
  };
}

type Subject =
  | { kind: 'server'; server: Running; spec: RequestSpec }
  | { kind: 'worker'; def: WorkerDef };

/**
 * One side of one round. For a server: runs the load generator against it (on core 1) and
 * reads the server's CPU around the load. For a worker baseline: runs the worker itself on
 * the server core and reads its own CPU. Either child prints {"event":"start"} and
 * {"event":"done",...}; the readings are taken as close to those lines as we see them.
 */
async function measure(
  subject: Subject,
  pinning: Pinning,
  opts: { durationS: number; connections: number },
  clkTck: number,
): Promise<Sample> {
  let child: ChildProcess;
  let stderrFile: string;
  if (subject.kind === 'server') {
    const { server, spec } = subject;
    const load: LoadOptions = {
      url: `http://127.0.0.1:${server.port}${server.def.path}`,
      connections: opts.connections,
      durationS: opts.durationS,
      ...spec,
      ...(server.def.timeoutS ? { timeoutS: server.def.timeoutS } : {}),
    };
    stderrFile = resolve(OUT_DIR, 'load-runner.stderr.log');
    child = spawnTracked(
      pinnedArgv(pinning, 1, ['node', '--import', 'tsx', LOAD_RUNNER, JSON.stringify(load)]),
      { cwd: BENCH_DIR, env: process.env, pipeStdout: true, stderrFile },
    );
  } else {
    const { def } = subject;
    stderrFile = resolve(OUT_DIR, 'worker.stderr.log');
    child = spawnTracked(pinnedArgv(pinning, 0, def.argv(opts.durationS)), {
      cwd: def.cwd,
      env: { ...process.env, ...def.env },
      pipeStdout: true,
      stderrFile,
    });
  }
  const label = subject.kind === 'server' ? subject.server.def.label : subject.def.label;
  // The process whose CPU is the measurement: the server, or the worker itself.
  const measuredPid = subject.kind === 'server' ? subject.server.pid : child.pid;
  if (!measuredPid) throw new Error(`${label} could not be spawned`);
  const scrapes = subject.kind === 'server' && subject.server.def.scrapeEventLoop;
  let scraper: ReturnType<typeof scrapeEventLoop> | null = null;
  let lags: number[] | undefined;
  let before: number | null = null;
  let after: number | null = null;
  let threadsBefore = new Map<number, number>();
  let threadsAfter = new Map<number, number>();
  let genBefore = 0;
  let genAfter = 0;
  let t0 = 0;
  let t1 = 0;
  let result: (LoadResult & { eventLoopP99Ms?: number[] }) | null = null;
  const stdout = child.stdout;
  if (!stdout) throw new Error('load runner has no stdout');
  const lines = createInterface({ input: stdout });
  let readError = '';
  lines.on('line', (line) => {
    let msg: { event?: string; result?: LoadResult & { eventLoopP99Ms?: number[] } };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    try {
      // Read the server's CPU as close to the load's start and end as we can observe them.
      if (msg.event === 'start') {
        t0 = performance.now();
        before = cpuTicks(measuredPid);
        threadsBefore = threadTicks(measuredPid);
        if (subject.kind === 'server' && child.pid) genBefore = cpuTicks(child.pid);
        if (scrapes && subject.kind === 'server') scraper = scrapeEventLoop(subject.server.port);
      }
      if (msg.event === 'done' && msg.result) {
        t1 = performance.now();
        after = cpuTicks(measuredPid);
        threadsAfter = threadTicks(measuredPid);
        if (subject.kind === 'server' && child.pid) genAfter = cpuTicks(child.pid);
        lags = scraper ? scraper.stop() : msg.result.eventLoopP99Ms;
        result = msg.result;
      }
    } catch (err) {
      readError = `reading /proc/${measuredPid}/stat: ${(err as Error).message}`;
    }
  });
  const limitMs = (opts.durationS + 60) * 1000;
  // 'close', not 'exit': it comes after stdout is drained, so the 'done' line has been read.
  const finished = await new Promise<boolean>((done) => {
    const timer = setTimeout(() => done(false), limitMs);
    const end = () => {
      clearTimeout(timer);
      done(true);
    };
    child.once('close', end);
    child.once('error', end);
  });
  (scraper as ReturnType<typeof scrapeEventLoop> | null)?.stop();
  if (!finished) await stopChild(child, 1000);
  if (subject.kind === 'server' && exited(subject.server.child)) {
    throw new Error(`${label} died during the round`);
  }
  if (!finished || child.exitCode !== 0 || !result || before === null || after === null) {
    const why = readError || `exit ${child.exitCode}${finished ? '' : ', timed out'}`;
    throw new Error(
      `${subject.kind === 'server' ? 'load runner' : label} failed (${why})\n${tail(stderrFile)}`,
    );
  }
  const r: LoadResult & { eventLoopP99Ms?: number[] } = result;
  const { eventLoopP99Ms: _reported, ...load } = r;
  return {
    ...load,
    cpuTicks: after - before,
    cpuUsPerReq: cpuMicrosPerRequest(before, after, clkTck, r.requests),
    serverCpuPct: cpuPercent(after - before, clkTck, t1 - t0),
    // A worker is its own load: there is no generator to report.
    loadgenCpuPct:
      subject.kind === 'server' ? cpuPercent(genAfter - genBefore, clkTck, t1 - t0) : Number.NaN,
    threads: splitThreadTicks(measuredPid, threadsBefore, threadsAfter, clkTck, r.requests),
    ...(lags ? { eventLoopP99Ms: lags } : {}),
  };
}

async function sequentialRequests(
  port: number,
  path: string,
  spec: RequestSpec,
  n: number,
): Promise<number> {
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const { status } = await send(port, path, spec);
    if (status < 200 || status > 299) failures++;
  }
  return failures;
}

/**
 * Counts Redis commands and SQL statements per request on a separate instance wired through
 * counting proxies, net of what the same instance sends while idle for as long.
 */
async function countIo(
  def: ServerDef,
  tag: string,
  fixture: Fixture,
): Promise<IoCounts | { error: string }> {
  const n = def.ioRequests ?? IO_REQUESTS;
  const spec = requestOf(def, fixture);
  const urls = backends(fixture);
  let pgUp: ReturnType<typeof parseUpstream>;
  let redisUp: ReturnType<typeof parseUpstream>;
  try {
    pgUp = parseUpstream(urls.databaseUrl, 5432);
    redisUp = parseUpstream(urls.redisUrl, 6379);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const pg = await startCountingProxy(pgUp, (c) => new PgCounter(c));
  const redis = await startCountingProxy(redisUp, (c) => new RespCounter(c));
  let server: Running | null = null;
  try {
    server = await startServer(def, { enabled: false, note: '' }, tag, fixture, {
      databaseUrl: retarget(urls.databaseUrl, pg.port),
      redisUrl: retarget(urls.redisUrl, redis.port),
    });
    await sequentialRequests(server.port, def.path, spec, Math.min(IO_WARMUP_REQUESTS, n));
    await sleep(300);
    const snap = () => ({ pg: { ...pg.counts }, redis: { ...redis.counts } });
    const s0 = snap();
    const t0 = performance.now();
    const failures = await sequentialRequests(server.port, def.path, spec, n);
    const elapsed = performance.now() - t0;
    const s1 = snap();
    await sleep(Math.min(5000, Math.max(500, elapsed)));
    const s2 = snap();
    if (pg.problem || redis.problem) {
      return { error: `could not parse the protocol: ${pg.problem ?? redis.problem}` };
    }
    if (failures > 0) return { error: `${failures} of ${n} requests were not 2xx` };
    const pgNet = netPerRequest(subtractCounts(s1.pg, s0.pg), subtractCounts(s2.pg, s1.pg), n);
    const redisNet = netPerRequest(
      subtractCounts(s1.redis, s0.redis),
      subtractCounts(s2.redis, s1.redis),
      n,
    );
    return {
      requests: n,
      sqlPerReq: pgStatements(pgNet),
      redisPerReq: total(redisNet),
      pgByMessage: pgNet,
      redisByCommand: redisNet,
    };
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] ?? 'failed' };
  } finally {
    if (server) await stopChild(server.child);
    await pg.close();
    await redis.close();
  }
}

/** src/micro.ts on the servers' core (they are stopped by then); its figures, µs per op. */
async function runMicro(mode: 'verify' | 'sign', pinning: Pinning): Promise<Micro> {
  const [cmd, ...args] = pinnedArgv(pinning, 0, ['node', '--import', 'tsx', MICRO, mode]);
  const { stdout } = await execFileAsync(cmd as string, args, {
    cwd: BENCH_DIR,
    timeout: 120_000,
  });
  const last = stdout.trim().split('\n').at(-1) ?? '{}';
  return JSON.parse(last) as Micro;
}

function fmtRound(label: string, s: Sample): string {
  const lag = s.eventLoopP99Ms?.length
    ? ` lag p99 ≤${Math.round(Math.max(...s.eventLoopP99Ms))} ms`
    : '';
  return (
    `${label} ${Math.round(s.reqPerSec).toLocaleString('en-US').padStart(7)} req/s ` +
    `${s.cpuUsPerReq.toFixed(1).padStart(6)} µs/req ${s.serverCpuPct.toFixed(0).padStart(3)}% CPU` +
    lag
  );
}

async function runScenario(
  scenario: Scenario,
  opts: Options,
  pinning: Pinning,
  clkTck: number,
): Promise<ScenarioResult> {
  console.log(`\n== ${scenario.name}: ${scenario.description}`);
  const fixture: Fixture = scenario.setup
    ? await scenario.setup({ databaseUrl: DATABASE_URL, redisUrl: REDIS_URL })
    : {};
  // A path known only once the setup ran (e.g. a product id looked up in the database).
  const atPath = (d: ServerDef): ServerDef =>
    d.pathFrom ? { ...d, path: d.pathFrom(fixture) } : d;
  const candidate = atPath(scenario.candidate);
  const baseline =
    scenario.baseline.kind === 'worker' ? scenario.baseline : atPath(scenario.baseline);
  try {
    const show = (d: ServerDef | WorkerDef) =>
      `${d.label} ${describeRequest(d, fixture) ?? `GET ${d.kind === 'worker' ? '' : d.path}`}`;
    console.log(`   candidate ${show(candidate)}  vs  baseline ${show(baseline)}`);
    const started: Running[] = [];
    let rounds: Round[] = [];
    try {
      const base =
        baseline.kind === 'worker'
          ? null
          : await startServer(baseline, pinning, `${scenario.name}-baseline`, fixture);
      if (base) started.push(base);
      const cand = await startServer(candidate, pinning, `${scenario.name}-candidate`, fixture);
      started.push(cand);
      await scenario.prepare?.(cand.port, fixture);
      if (base) await preflight(base, fixture);
      await preflight(cand, fixture);
      const baseSubject: Parameters<typeof measure>[0] =
        baseline.kind === 'worker'
          ? { kind: 'worker', def: baseline }
          : { kind: 'server', server: base as Running, spec: requestOf(baseline, fixture) };
      const candSubject: Parameters<typeof measure>[0] = {
        kind: 'server',
        server: cand,
        spec: requestOf(candidate, fixture),
      };
      // Each side starts on a quiet core: the other side may still be finishing requests
      // the load generator abandoned when its round ended.
      const side = async (subject: typeof baseSubject, load: Options) => {
        for (const s of started) await waitQuiet(s.pid);
        return measure(subject, pinning, load, clkTck);
      };
      if (opts.warmupS > 0) {
        const warm = { ...opts, durationS: opts.warmupS };
        console.log(`   warm-up ${opts.warmupS} s each`);
        await side(baseSubject, warm);
        await side(candSubject, warm);
      }
      rounds = [];
      for (let i = 1; i <= opts.rounds; i++) {
        const b = await side(baseSubject, opts);
        const c = await side(candSubject, opts);
        rounds.push({ round: i, baseline: b, candidate: c });
        console.log(
          `   round ${i}/${opts.rounds}  ${fmtRound('baseline', b)}  ${fmtRound('candidate', c)}` +
            `  ratio ${(c.reqPerSec / b.reqPerSec).toFixed(2)}`,
        );
      }
    } finally {
      for (const s of started.reverse()) await stopChild(s.child);
    }
    const summary = summarizeRounds(
      rounds,
      {
        label: candidate.label,
        path: candidate.path,
        request: describeRequest(candidate, fixture),
      },
      {
        label: baseline.label,
        path: baseline.kind === 'worker' ? '' : baseline.path,
        request: describeRequest(baseline, fixture),
      },
    );
    let explain: string[] | undefined;
    if (scenario.explain) {
      console.log('   measuring what explains the ratio');
      explain = await scenario.explain(fixture, (mode) => runMicro(mode, pinning));
    }
    let io: ScenarioResult['io'] = null;
    if (candidate.countIo) {
      const n = candidate.ioRequests ?? IO_REQUESTS;
      console.log(`   counting Redis commands and SQL statements over ${n} requests`);
      io = await countIo(candidate, `${scenario.name}-io`, fixture);
    }
    // A service baseline is counted too: the difference is part of the answer.
    let baselineIo: ScenarioResult['baselineIo'];
    if (baseline.kind !== 'worker' && baseline.countIo) {
      console.log('   counting the same for the baseline');
      baselineIo = await countIo(baseline, `${scenario.name}-io-baseline`, fixture);
    }
    return {
      name: scenario.name,
      description: scenario.description,
      ...summary,
      rounds,
      io,
      ...(baselineIo ? { baselineIo } : {}),
      ...(scenario.target ? { target: scenario.target } : {}),
      ...(explain ? { explain } : {}),
      notes: [
        ...targetNotes({ ...summary, target: scenario.target }),
        ...(fixture.notes ?? []),
        ...bottleneckNotes(summary),
        ...roundNotes(rounds),
      ],
    };
  } finally {
    await fixture.teardown?.();
  }
}

function commandLine(): string {
  const quote = (a: string): string =>
    /^[\w./=:@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  const args = process.argv.slice(2).map(quote).join(' ');
  const head = process.env.npm_lifecycle_event === 'bench' ? 'pnpm bench' : 'tsx src/run.ts';
  return args ? `${head} ${args}` : head;
}

function loggingNote(scenarios: readonly Scenario[]): string {
  const seen = new Map<string, string>();
  for (const s of scenarios) {
    for (const d of [s.candidate, s.baseline]) seen.set(d.label, d.logging);
  }
  return [...seen].map(([label, how]) => `${label}: ${how}`).join('; ');
}

function writeResults(report: RunReport): void {
  mkdirSync(RESULTS_DIR, { recursive: true });
  writeFileSync(resolve(RESULTS_DIR, 'latest.json'), `${JSON.stringify(report, null, 2)}\n`);
  const m = report.meta;
  const svg = renderRatioChart(
    report.scenarios.map((s) => ({
      name: s.name,
      ...s.ratio,
      ...(s.target ? { target: s.target.ratio } : {}),
    })),
    {
      target: TARGET_RATIO,
      subtitle:
        `${m.date.slice(0, 10)} · ${m.rounds} rounds × ${m.durationS} s · ` +
        `nproc ${m.nproc} · Node ${m.node} · ${m.pinned ? 'pinned' : 'unpinned'}`,
    },
  );
  writeFileSync(resolve(RESULTS_DIR, 'ratios.svg'), svg);
  if (!existsSync(RESULTS_MD)) writeFileSync(RESULTS_MD, `${RESULTS_HEADER}\n`);
  appendFileSync(RESULTS_MD, `\n${markdownSection(report)}`);
}

async function main(): Promise<number> {
  installCleanup();
  const opts = parseCli(process.argv.slice(2));
  mkdirSync(OUT_DIR, { recursive: true });
  const pinning = detectPinning();
  const clkTck = clockTicksPerSecond();
  console.log(`bench: ${pinning.note}; CLK_TCK ${clkTck}`);
  if (!pinning.enabled) console.log('bench: WARNING: running unpinned, figures are noisier');
  console.log(
    `bench: ${opts.rounds} rounds × ${opts.durationS} s, warm-up ${opts.warmupS} s, ` +
      `${opts.connections} connections, scenarios: ${opts.scenarios.map((s) => s.name).join(', ')}`,
  );

  const meta: RunMeta = {
    date: new Date().toISOString(),
    nproc: availableParallelism(),
    cpuModel: cpuModel(),
    node: process.version,
    commit: gitCommit(REPO_DIR),
    command: commandLine(),
    pinned: pinning.enabled,
    pinningNote: pinning.note,
    clockTicksPerSecond: clkTck,
    rounds: opts.rounds,
    durationS: opts.durationS,
    warmupS: opts.warmupS,
    connections: opts.connections,
    logging: loggingNote(opts.scenarios),
    services: `DATABASE_URL=${redact(DATABASE_URL)} REDIS_URL=${redact(REDIS_URL)}`,
    loadAvg: { start: loadavg()[0] ?? 0, end: 0 },
    targetRatio: TARGET_RATIO,
  };
  const report: RunReport = { meta, scenarios: [], skipped: [] };
  let failed = false;
  for (const scenario of opts.scenarios) {
    const missing = [scenario.candidate, scenario.baseline].find((d) => !existsSync(d.entry));
    if (missing) {
      const reason = `${missing.label} not found at ${missing.entry}`;
      console.log(`\n== ${scenario.name}: skipped, ${reason}`);
      report.skipped.push({ name: scenario.name, reason });
      continue;
    }
    try {
      report.scenarios.push(await runScenario(scenario, opts, pinning, clkTck));
    } catch (err) {
      failed = true;
      const message = (err as Error).message;
      console.error(`\n== ${scenario.name} failed: ${message}`);
      report.skipped.push({ name: scenario.name, reason: `failed: ${message.split('\n')[0]}` });
    }
  }

  meta.loadAvg.end = loadavg()[0] ?? 0;
  // Others commit to this checkout while a run goes on; say so when it happened.
  const commitAtEnd = gitCommit(REPO_DIR);
  if (commitAtEnd !== meta.commit) {
    meta.commitAtEnd = commitAtEnd;
    console.log(`bench: WARNING: HEAD moved during the run (${meta.commit} → ${commitAtEnd})`);
  }
  if (report.scenarios.length === 0) {
    console.error('\nbench: no scenario produced figures; nothing written');
    return 1;
  }
  writeResults(report);
  console.log(`\n${consoleTable(report)}`);
  for (const s of report.scenarios) {
    for (const [side, io] of [
      ['', s.io],
      [' (baseline)', s.baselineIo],
    ] as const) {
      if (io && !('error' in io)) {
        console.log(
          `${s.name}${side}: ${io.sqlPerReq.toFixed(2)} SQL statements/req, ` +
            `${io.redisPerReq.toFixed(2)} Redis commands/req`,
        );
      } else if (io) console.log(`${s.name}${side}: I/O not counted (${io.error})`);
    }
    for (const note of s.notes) console.log(`${s.name}: ${note}`);
  }
  console.log(`\nwrote ${RESULTS_MD}, results/latest.json, results/ratios.svg`);
  return failed ? 1 : 0;
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
