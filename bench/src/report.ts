// Turns rounds into summaries and summaries into text: the stdout table, the section appended
// to RESULTS.md and its header. Pure functions; run.ts does the writing.
import { median, minMax, pairedRatios } from './stats.ts';
import type {
  IoCounts,
  LagSummary,
  Round,
  RunMeta,
  RunReport,
  Sample,
  ScenarioResult,
  SideSummary,
  Target,
} from './types.ts';

/** Every ~1 s event-loop window of every round, pooled: its median and its worst. */
export function lagSummary(samples: readonly Sample[]): LagSummary | undefined {
  const windows = samples.flatMap((s) => s.eventLoopP99Ms ?? []);
  if (windows.length === 0) return undefined;
  return { windows: windows.length, medianMs: median(windows), maxMs: minMax(windows).max };
}

export function summarizeSide(
  label: string,
  path: string,
  samples: readonly Sample[],
  request?: string,
): SideSummary {
  const med = (pick: (s: Sample) => number): number => median(samples.map(pick));
  const threads = samples.map((s) => s.threads);
  const lag = lagSummary(samples);
  return {
    label,
    path,
    ...(request ? { request } : {}),
    reqPerSec: med((s) => s.reqPerSec),
    p50Ms: med((s) => s.p50Ms),
    p99Ms: med((s) => s.p99Ms),
    cpuUsPerReq: med((s) => s.cpuUsPerReq),
    serverCpuPct: med((s) => s.serverCpuPct),
    loadgenCpuPct: med((s) => s.loadgenCpuPct),
    requests: med((s) => s.requests),
    non2xx: samples.reduce((a, s) => a + s.non2xx, 0),
    errors: samples.reduce((a, s) => a + s.errors + s.timeouts, 0),
    ...(threads.length > 0 && threads.every((t) => t !== undefined)
      ? {
          threads: {
            main: med((s) => s.threads?.main ?? Number.NaN),
            pool: med((s) => s.threads?.pool ?? Number.NaN),
            other: med((s) => s.threads?.other ?? Number.NaN),
          },
        }
      : {}),
    ...(lag ? { eventLoopP99: lag } : {}),
  };
}

/** Warnings that make a round's figures suspect: a benchmark of errors measures errors. */
export function roundNotes(rounds: readonly Round[]): string[] {
  const notes: string[] = [];
  for (const r of rounds) {
    for (const side of ['baseline', 'candidate'] as const) {
      const s = r[side];
      if (s.non2xx > 0 || s.errors > 0 || s.timeouts > 0) {
        notes.push(
          `round ${r.round} ${side}: ${s.non2xx} non-2xx, ${s.errors} errors, ` +
            `${s.timeouts} timeouts`,
        );
      }
    }
  }
  return notes;
}

// Below this share of its core, a server was waiting for work rather than limiting it.
export const SATURATED_PCT = 85;

/**
 * req/s only compares servers that are the bottleneck. If a side's server left its core
 * partly idle, either the load generator set the pace (the req/s ratio is pulled towards 1)
 * or other work on the machine took the CPU (req/s is noise). CPU µs per request still
 * compares the servers, so the notes point there.
 */
export function bottleneckNotes(s: Pick<ScenarioResult, 'candidate' | 'baseline'>): string[] {
  const notes: string[] = [];
  for (const side of ['baseline', 'candidate'] as const) {
    const x = s[side];
    if (x.serverCpuPct >= SATURATED_PCT) continue;
    if (!Number.isFinite(x.loadgenCpuPct)) {
      // A worker baseline is its own load: only the machine can have held it back.
      notes.push(
        `${side} process used ${x.serverCpuPct.toFixed(0)}% of its core: other work on the ` +
          'machine took the CPU, so its rate is unreliable; compare CPU µs/req',
      );
      continue;
    }
    const used =
      `${side} server used ${x.serverCpuPct.toFixed(0)}% of its core, the load generator ` +
      `${x.loadgenCpuPct.toFixed(0)}% of its own`;
    notes.push(
      x.loadgenCpuPct >= SATURATED_PCT
        ? `${used}: the load generator set the pace, so the req/s ratio is pulled towards 1; ` +
            'compare CPU µs/req'
        : `${used}: other work on the machine took the CPU, so req/s is unreliable; ` +
            'compare CPU µs/req',
    );
  }
  return notes;
}

/** Whether the run met the scenario's target, said plainly, misses included. */
export function targetNotes(
  s: Pick<ScenarioResult, 'candidate' | 'ratio'> & { target?: Target | undefined },
): string[] {
  const t = s.target;
  if (!t) return [];
  const notes: string[] = [];
  const below = s.ratio.perRound.filter((r) => r < t.ratio).length;
  const met = s.ratio.median >= t.ratio;
  notes.push(
    `target req/s ratio ≥ ${dec(t.ratio, 2)}: ${met ? 'met' : 'MISSED'} (median ` +
      `${dec(s.ratio.median, 2)}; ${below} of ${s.ratio.perRound.length} rounds below)`,
  );
  if (t.eventLoopP99Ms !== undefined) {
    const lag = s.candidate.eventLoopP99;
    if (!lag) notes.push(`target event-loop p99 < ${t.eventLoopP99Ms} ms: not measured`);
    else {
      const ok = lag.maxMs < t.eventLoopP99Ms;
      notes.push(
        `target event-loop p99 < ${t.eventLoopP99Ms} ms: ${ok ? 'met' : 'MISSED'} (worst of ` +
          `${lag.windows} one-second windows ${dec(lag.maxMs, 1)} ms, median ` +
          `${dec(lag.medianMs, 1)} ms)`,
      );
    }
  }
  return notes;
}

export function summarizeRounds(
  rounds: readonly Round[],
  candidate: { label: string; path: string; request?: string | undefined },
  baseline: { label: string; path: string; request?: string | undefined },
): Pick<ScenarioResult, 'candidate' | 'baseline' | 'ratio' | 'cpuRatio'> {
  const c = rounds.map((r) => r.candidate);
  const b = rounds.map((r) => r.baseline);
  return {
    candidate: summarizeSide(candidate.label, candidate.path, c, candidate.request),
    baseline: summarizeSide(baseline.label, baseline.path, b, baseline.request),
    ratio: pairedRatios(
      c.map((s) => s.reqPerSec),
      b.map((s) => s.reqPerSec),
    ),
    cpuRatio: pairedRatios(
      c.map((s) => s.cpuUsPerReq),
      b.map((s) => s.cpuUsPerReq),
    ),
  };
}

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
const dec = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const ratioText = (r: { median: number; min: number; max: number }): string =>
  `${dec(r.median, 2)} (${dec(r.min, 2)}–${dec(r.max, 2)})`;

function countsText(counts: Readonly<Record<string, number>>): string {
  const parts = Object.entries(counts)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${dec(v, 2)}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function ioText(io: IoCounts): string {
  return (
    `${dec(io.sqlPerReq, 2)} SQL statements/req (${countsText(io.pgByMessage)}); ` +
    `${dec(io.redisPerReq, 2)} Redis commands/req (${countsText(io.redisByCommand)}); ` +
    `over ${io.requests} sequential requests`
  );
}

export const RESULTS_HEADER = `# Benchmark results

Written by \`bench/src/run.ts\`, one section per run, newest last. Every figure here was
written by the harness; never edit one by hand, re-run instead. Raw per-round figures of the
latest run are in \`results/latest.json\`, its chart in \`results/ratios.svg\`.

## Method (from BENCHMARKING.md)

- Absolute req/s on these shared 2-core machines swings by 2× from minute to minute, so a
  figure means something only as a ratio to a baseline measured in the same run: bare
  Fastify, logger off, \`GET /\` → \`{"hello":"world"}\`, unless the scenario's table row
  names another (the same route without a token; raw argon2id verifications).
- The server under test is pinned to core 0 and the load generator (autocannon, in its own
  process) to core 1 with \`taskset\`. A run that could not pin says so.
- Baseline and candidate alternate, A B A B …, for N rounds (default 7 × 10 s) after a
  warm-up of each (3 s). The req/s ratio is taken per round (candidate ÷ baseline of the same
  round) and reported as the median and the min–max over rounds.
- CPU µs per request = the server process's utime + stime (\`/proc/<pid>/stat\`, all threads)
  over the round ÷ responses in the round. It is far steadier than req/s. Server and load
  generator CPU % show which was the bottleneck: a req/s ratio compares two servers only when
  each used ~100 % of its core; otherwise the CPU µs/req ratio is the fairer comparison.
- No HTTP pipelining; a fixed number of connections (default 50). p50 and p99 latency are
  autocannon's, in whole milliseconds.
- Services log as in production: pino JSON at \`info\`, stdout redirected to /dev/null.
- The catalog runs with \`RATE_LIMIT_MAX=100000000\`, so the figures measure the kit's
  per-request cost rather than 429 responses. The limiter still runs and still calls Redis
  on limited routes; it just never refuses.
- For services, Redis commands and SQL statements per request are counted exactly, outside
  the timed rounds: a separate instance of the candidate is pointed at Postgres and Redis
  through counting proxies and sent sequential requests; what it does while idle for the
  same time is subtracted. A SQL statement is a simple Query or an extended-protocol Execute.
- Any non-2xx response or socket error in a round is listed under the run: such a round
  measured errors, not the route.

## Re-run

\`\`\`sh
pnpm bench                                   # all default scenarios, ~5 min
pnpm bench --quick                           # smoke run: 2 rounds × 3 s, 1 s warm-up
pnpm bench --scenario categories --rounds 9  # one scenario, more rounds
\`\`\`
`;

const routeText = (x: SideSummary): string => x.request ?? `GET ${x.path}`;

// A side whose busiest non-main threads do at least this share of its CPU keeps libuv's
// pool busy (argon2, WebCrypto); below it they are GC and compiler noise.
const POOL_SHARE = 0.1;

/**
 * Where each side's CPU went, by thread (ThreadSplit in types.ts). Shown only where a side
 * keeps the pool busy (login-storm's hashing, auth-overhead's WebCrypto verification), where
 * the split explains the ratio.
 */
function threadsText(s: ScenarioResult): string {
  const busyPool = (x: SideSummary): boolean =>
    x.threads !== undefined && x.threads.pool >= POOL_SHARE * x.cpuUsPerReq;
  if (!busyPool(s.candidate) && !busyPool(s.baseline)) return '';
  const part = (x: SideSummary): string =>
    x.threads
      ? `${x.label} ${dec(x.cpuUsPerReq, 0)} = main thread ${dec(x.threads.main, 0)} + ` +
        `4 busiest others (the pool) ${dec(x.threads.pool, 0)} + rest ${dec(x.threads.other, 0)}`
      : '';
  const parts = [part(s.candidate), part(s.baseline)].filter(Boolean);
  return parts.length ? `CPU µs per request by thread (medians): ${parts.join('; ')}` : '';
}

function lagText(s: ScenarioResult): string {
  const side = (x: SideSummary) =>
    x.eventLoopP99
      ? `${x.label} median ${dec(x.eventLoopP99.medianMs, 1)} ms, max ` +
        `${dec(x.eventLoopP99.maxMs, 1)} ms over ${x.eventLoopP99.windows} windows`
      : '';
  const parts = [side(s.candidate), side(s.baseline)].filter(Boolean);
  if (parts.length === 0) return '';
  return (
    'Event-loop delay p99 per ~1 s window (prom-client, 20 ms sampling: an idle loop reads ' +
    `~20 ms): ${parts.join('; ')}`
  );
}

export function commitText(commit: string): string {
  return commit ? `commit ${commit}` : 'no commit yet';
}

export function markdownSection(report: RunReport): string {
  const m: RunMeta = report.meta;
  const lines: string[] = [];
  lines.push(`## ${m.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, '');
  lines.push(`- Command: \`${m.command}\``);
  const moved = m.commitAtEnd
    ? ` (HEAD moved to ${m.commitAtEnd} during the run: later servers may run newer code)`
    : '';
  lines.push(
    `- Machine: nproc ${m.nproc}, ${m.cpuModel}; Node ${m.node}; ${commitText(m.commit)}${moved}`,
  );
  lines.push(`- Pinning: ${m.pinningNote}`);
  lines.push(
    `- Load: autocannon, ${m.connections} connections, no pipelining; ${m.rounds} rounds × ` +
      `${m.durationS} s per side after ${m.warmupS} s warm-up of each, baseline then candidate`,
  );
  lines.push(`- Logging: ${m.logging}`);
  lines.push(`- Services' backends: ${m.services}`);
  lines.push(
    `- 1-min load average: ${m.loadAvg.start.toFixed(2)} before the run (others' work), ` +
      `${m.loadAvg.end.toFixed(2)} at the end (this run alone adds about 2)`,
  );
  lines.push('');
  if (report.scenarios.length > 0) {
    lines.push(
      '| scenario | side | server, route | req/s | p50 ms | p99 ms | CPU µs/req | ' +
        'server CPU % | load gen CPU % | req/s ratio, median (min–max) | rounds | pinned |',
    );
    lines.push('|---|---|---|---:|---:|---:|---:|---:|---:|---|---:|---|');
    for (const s of report.scenarios) {
      const pinned = m.pinned ? 'yes' : 'no';
      const n = s.rounds.length;
      const row = (side: string, x: typeof s.candidate, ratio: string): string =>
        `| ${side === 'candidate' ? s.name : ''} | ${side} | ${x.label}, \`${routeText(x)}\` | ` +
        `${int(x.reqPerSec)} | ${dec(x.p50Ms, 0)} | ${dec(x.p99Ms, 0)} | ` +
        `${dec(x.cpuUsPerReq, 1)} | ${dec(x.serverCpuPct, 0)} | ${dec(x.loadgenCpuPct, 0)} | ` +
        `${ratio} | ${n} | ${pinned} |`;
      lines.push(row('candidate', s.candidate, `**${ratioText(s.ratio)}**`));
      lines.push(row('baseline', s.baseline, ''));
    }
    lines.push('');
    for (const s of report.scenarios) {
      lines.push(`- **${s.name}**: ${s.description}.`);
      lines.push(
        `  Per-round req/s ratios: ${s.ratio.perRound.map((r) => dec(r, 2)).join(', ')}. ` +
          `CPU µs/req ratio: ${ratioText(s.cpuRatio)}, i.e. ` +
          `${dec(1 / s.cpuRatio.median, 2)}× req/s where the server is the bottleneck.`,
      );
      const threads = threadsText(s);
      if (threads) lines.push(`  ${threads}.`);
      const lag = lagText(s);
      if (lag) lines.push(`  ${lag}.`);
      if (s.io && 'error' in s.io) lines.push(`  I/O per request: not counted (${s.io.error}).`);
      else if (s.io) lines.push(`  I/O per request: ${ioText(s.io)}.`);
      if (s.baselineIo && 'error' in s.baselineIo) {
        lines.push(`  Baseline I/O per request: not counted (${s.baselineIo.error}).`);
      } else if (s.baselineIo) lines.push(`  Baseline I/O per request: ${ioText(s.baselineIo)}.`);
      for (const line of s.explain ?? []) lines.push(`  Explains: ${line}.`);
      for (const note of s.notes) lines.push(`  Note: ${note}.`);
    }
  }
  for (const s of report.skipped) lines.push(`- Skipped **${s.name}**: ${s.reason}.`);
  lines.push('');
  return lines.join('\n');
}

/** A plain-text table for the terminal. */
export function consoleTable(report: RunReport): string {
  const head = [
    'scenario',
    'side',
    'req/s',
    'p50 ms',
    'p99 ms',
    'CPU µs/req',
    'srv CPU%',
    'gen CPU%',
    'ratio (min–max)',
  ];
  const rows: string[][] = [head];
  for (const s of report.scenarios) {
    for (const side of ['candidate', 'baseline'] as const) {
      const x = s[side];
      rows.push([
        side === 'candidate' ? s.name : '',
        `${side}: ${x.label} ${routeText(x)}`,
        int(x.reqPerSec),
        dec(x.p50Ms, 0),
        dec(x.p99Ms, 0),
        dec(x.cpuUsPerReq, 1),
        dec(x.serverCpuPct, 0),
        dec(x.loadgenCpuPct, 0),
        side === 'candidate' ? ratioText(s.ratio) : '',
      ]);
    }
  }
  const widths = head.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  const numeric = new Set([2, 3, 4, 5, 6, 7]);
  const fmtRow = (r: string[]): string =>
    r
      .map((cell, i) => {
        const w = widths[i] ?? 0;
        return numeric.has(i) ? cell.padStart(w) : cell.padEnd(w);
      })
      .join('  ')
      .trimEnd();
  const out = [fmtRow(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const r of rows.slice(1)) out.push(fmtRow(r));
  return out.join('\n');
}
