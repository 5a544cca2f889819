// The benchmark harness (`pnpm bench`): for each scenario, baseline and candidate servers on
// core 0, autocannon on core 1, alternating rounds, CPU per request from /proc; then the
// stdout table, a section in RESULTS.md, results/latest.json and results/ratios.svg.

import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { parseUpstream, retarget, startCountingProxy } from './counting-proxy.ts';
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
  waitForAnnouncedPort,
  waitForHttp200,
} from './processes.ts';
import {
  bottleneckNotes,
  consoleTable,
  markdownSection,
  RESULTS_HEADER,
  roundNotes,
  summarizeRounds,
} from './report.ts';
import { BENCH_DIR, REPO_DIR, SCENARIOS, type Scenario, type ServerDef } from './scenarios.ts';
import { cpuMicrosPerRequest, cpuPercent, netPerRequest } from './stats.ts';
import { renderRatioChart } from './svg.ts';
import type {
  IoCounts,
  LoadOptions,
  LoadResult,
  Round,
  RunMeta,
  RunReport,
  Sample,
  ScenarioResult,
} from './types.ts';
import { PgCounter, pgStatements, RespCounter, subtractCounts, total } from './wire-count.ts';

// The goal for a service route relative to bare Fastify; drawn on the chart.
const TARGET_RATIO = 0.6;
const READY_TIMEOUT_MS = 30_000;
const IO_REQUESTS = 200;
const IO_WARMUP_REQUESTS = 20;

const RESULTS_MD = resolve(BENCH_DIR, 'RESULTS.md');
const RESULTS_DIR = resolve(BENCH_DIR, 'results');
const OUT_DIR = resolve(BENCH_DIR, 'out');
const LOAD_RUNNER = resolve(BENCH_DIR, 'src/load-runner.ts');

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

function intFlag(
  raw: string | undefined,
  name: string,
  fallback: number,
  min: number,
  max: number,
) {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

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
    rounds: intFlag(values.rounds, 'rounds', q ? 2 : 7, 1, 100),
    durationS: intFlag(values.duration, 'duration', q ? 3 : 10, 1, 600),
    warmupS: intFlag(values.warmup, 'warmup', q ? 1 : 3, 0, 600),
    connections: intFlag(values.connections, 'connections', 50, 1, 1000),
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

async function startServer(
  def: ServerDef,
  pinning: Pinning,
  tag: string,
  urls = { databaseUrl: DATABASE_URL, redisUrl: REDIS_URL },
): Promise<Running> {
  const announce = def.ready === 'announce';
  const port = announce ? 0 : await freePort();
  const stderrFile = resolve(OUT_DIR, `${tag}.stderr.log`);
  const child = spawnTracked(pinnedArgv(pinning, 0, def.argv), {
    cwd: def.cwd,
    env: { ...process.env, ...def.env({ port, ...urls }) },
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

/** One GET before any load: a route that fails would be benchmarked as an error page. */
async function preflight(server: Running): Promise<void> {
  const url = `http://127.0.0.1:${server.port}${server.def.path}`;
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  const body = await res.text();
  if (res.status < 200 || res.status > 299) {
    throw new Error(
      `GET ${server.def.path} on ${server.def.label} answered ${res.status}: ` +
        body.slice(0, 300) +
        '\n(has the database been migrated and seeded? cd /work/main && pnpm db:migrate && ' +
        'pnpm db:seed)',
    );
  }
}

/** Runs the load generator against one server and reads that server's CPU around it. */
async function measure(
  server: Running,
  pinning: Pinning,
  opts: { durationS: number; connections: number },
  clkTck: number,
): Promise<Sample> {
  const load: LoadOptions = {
    url: `http://127.0.0.1:${server.port}${server.def.path}`,
    connections: opts.connections,
    durationS: opts.durationS,
  };
  const stderrFile = resolve(OUT_DIR, 'load-runner.stderr.log');
  const child = spawnTracked(
    pinnedArgv(pinning, 1, ['node', '--import', 'tsx', LOAD_RUNNER, JSON.stringify(load)]),
    { cwd: BENCH_DIR, env: process.env, pipeStdout: true, stderrFile },
  );
  let before: number | null = null;
  let after: number | null = null;
  let genBefore = 0;
  let genAfter = 0;
  let t0 = 0;
  let t1 = 0;
  let result: LoadResult | null = null;
  const stdout = child.stdout;
  if (!stdout) throw new Error('load runner has no stdout');
  const lines = createInterface({ input: stdout });
  let readError = '';
  lines.on('line', (line) => {
    let msg: { event?: string; result?: LoadResult };
    try {
      msg = JSON.parse(line) as typeof msg;
    } catch {
      return;
    }
    try {
      // Read the server's CPU as close to the load's start and end as we can observe them.
      if (msg.event === 'start') {
        t0 = performance.now();
        before = cpuTicks(server.pid);
        if (child.pid) genBefore = cpuTicks(child.pid);
      }
      if (msg.event === 'done' && msg.result) {
        t1 = performance.now();
        after = cpuTicks(server.pid);
        if (child.pid) genAfter = cpuTicks(child.pid);
        result = msg.result;
      }
    } catch (err) {
      readError = `reading /proc/${server.pid}/stat: ${(err as Error).message}`;
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
  if (!finished) await stopChild(child, 1000);
  if (exited(server.child)) throw new Error(`${server.def.label} died during the round`);
  if (!finished || child.exitCode !== 0 || !result || before === null || after === null) {
    const why = readError || `exit ${child.exitCode}${finished ? '' : ', timed out'}`;
    throw new Error(`load runner failed (${why})\n${tail(stderrFile)}`);
  }
  const r: LoadResult = result;
  return {
    ...r,
    cpuTicks: after - before,
    cpuUsPerReq: cpuMicrosPerRequest(before, after, clkTck, r.requests),
    serverCpuPct: cpuPercent(after - before, clkTck, t1 - t0),
    loadgenCpuPct: cpuPercent(genAfter - genBefore, clkTck, t1 - t0),
  };
}

async function sequentialGets(port: number, path: string, n: number): Promise<number> {
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, {
      signal: AbortSignal.timeout(5000),
    });
    await res.arrayBuffer();
    if (res.status < 200 || res.status > 299) failures++;
  }
  return failures;
}

/**
 * Counts Redis commands and SQL statements per request on a separate instance wired through
 * counting proxies, net of what the same instance sends while idle for as long.
 */
async function countIo(scenario: Scenario): Promise<IoCounts | { error: string }> {
  const def = scenario.candidate;
  let pgUp: ReturnType<typeof parseUpstream>;
  let redisUp: ReturnType<typeof parseUpstream>;
  try {
    pgUp = parseUpstream(DATABASE_URL, 5432);
    redisUp = parseUpstream(REDIS_URL, 6379);
  } catch (err) {
    return { error: (err as Error).message };
  }
  const pg = await startCountingProxy(pgUp, (c) => new PgCounter(c));
  const redis = await startCountingProxy(redisUp, (c) => new RespCounter(c));
  let server: Running | null = null;
  try {
    server = await startServer(def, { enabled: false, note: '' }, `${scenario.name}-io`, {
      databaseUrl: retarget(DATABASE_URL, pg.port),
      redisUrl: retarget(REDIS_URL, redis.port),
    });
    await sequentialGets(server.port, def.path, IO_WARMUP_REQUESTS);
    await sleep(300);
    const snap = () => ({ pg: { ...pg.counts }, redis: { ...redis.counts } });
    const s0 = snap();
    const t0 = performance.now();
    const failures = await sequentialGets(server.port, def.path, IO_REQUESTS);
    const elapsed = performance.now() - t0;
    const s1 = snap();
    await sleep(Math.min(5000, Math.max(500, elapsed)));
    const s2 = snap();
    if (pg.problem || redis.problem) {
      return { error: `could not parse the protocol: ${pg.problem ?? redis.problem}` };
    }
    if (failures > 0) return { error: `${failures} of ${IO_REQUESTS} requests were not 2xx` };
    const pgNet = netPerRequest(
      subtractCounts(s1.pg, s0.pg),
      subtractCounts(s2.pg, s1.pg),
      IO_REQUESTS,
    );
    const redisNet = netPerRequest(
      subtractCounts(s1.redis, s0.redis),
      subtractCounts(s2.redis, s1.redis),
      IO_REQUESTS,
    );
    return {
      requests: IO_REQUESTS,
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

function fmtRound(label: string, s: Sample): string {
  return (
    `${label} ${Math.round(s.reqPerSec).toLocaleString('en-US').padStart(7)} req/s ` +
    `${s.cpuUsPerReq.toFixed(1).padStart(6)} µs/req ${s.serverCpuPct.toFixed(0).padStart(3)}% CPU`
  );
}

async function runScenario(
  scenario: Scenario,
  opts: Options,
  pinning: Pinning,
  clkTck: number,
): Promise<ScenarioResult> {
  const { candidate, baseline } = scenario;
  console.log(`\n== ${scenario.name}: ${scenario.description}`);
  console.log(
    `   candidate ${candidate.label} GET ${candidate.path}  vs  baseline ${baseline.label} ` +
      `GET ${baseline.path}`,
  );
  const started: Running[] = [];
  let rounds: Round[] = [];
  try {
    const base = await startServer(baseline, pinning, `${scenario.name}-baseline`);
    started.push(base);
    const cand = await startServer(candidate, pinning, `${scenario.name}-candidate`);
    started.push(cand);
    await preflight(base);
    await preflight(cand);
    const load = { durationS: opts.durationS, connections: opts.connections };
    if (opts.warmupS > 0) {
      const warm = { durationS: opts.warmupS, connections: opts.connections };
      console.log(`   warm-up ${opts.warmupS} s each`);
      await measure(base, pinning, warm, clkTck);
      await measure(cand, pinning, warm, clkTck);
    }
    rounds = [];
    for (let i = 1; i <= opts.rounds; i++) {
      const b = await measure(base, pinning, load, clkTck);
      const c = await measure(cand, pinning, load, clkTck);
      rounds.push({ round: i, baseline: b, candidate: c });
      console.log(
        `   round ${i}/${opts.rounds}  ${fmtRound('baseline', b)}  ${fmtRound('candidate', c)}` +
          `  ratio ${(c.reqPerSec / b.reqPerSec).toFixed(2)}`,
      );
    }
  } finally {
    for (const s of started.reverse()) await stopChild(s.child);
  }
  const summary = summarizeRounds(rounds, candidate, baseline);
  let io: ScenarioResult['io'] = null;
  if (candidate.countIo) {
    console.log(`   counting Redis commands and SQL statements over ${IO_REQUESTS} requests`);
    io = await countIo(scenario);
  }
  return {
    name: scenario.name,
    description: scenario.description,
    ...summary,
    rounds,
    io,
    notes: [...bottleneckNotes(summary), ...roundNotes(rounds)],
  };
}

function cpuModel(): string {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? 'unknown CPU';
  } catch {
    return 'unknown CPU';
  }
}

/** Short hash of HEAD, with "+dirty" if tracked files differ from it: the code measured. */
function gitCommit(): string {
  const git = (...args: string[]): string =>
    execFileSync('git', args, {
      cwd: REPO_DIR,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    const head = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--untracked-files=no') ? `${head}+dirty` : head;
  } catch {
    return '';
  }
}

function commandLine(): string {
  const quote = (a: string): string =>
    /^[\w./=:@-]+$/.test(a) ? a : `'${a.replaceAll("'", "'\\''")}'`;
  const args = process.argv.slice(2).map(quote).join(' ');
  const head = process.env.npm_lifecycle_event === 'bench' ? 'pnpm bench' : 'tsx src/run.ts';
  return args ? `${head} ${args}` : head;
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(unparseable)';
  }
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
    report.scenarios.map((s) => ({ name: s.name, ...s.ratio })),
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
    commit: gitCommit(),
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
  if (report.scenarios.length === 0) {
    console.error('\nbench: no scenario produced figures; nothing written');
    return 1;
  }
  writeResults(report);
  console.log(`\n${consoleTable(report)}`);
  for (const s of report.scenarios) {
    if (s.io && !('error' in s.io)) {
      console.log(
        `${s.name}: ${s.io.sqlPerReq.toFixed(2)} SQL statements/req, ` +
          `${s.io.redisPerReq.toFixed(2)} Redis commands/req`,
      );
    } else if (s.io) console.log(`${s.name}: I/O not counted (${s.io.error})`);
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
