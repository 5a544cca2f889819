// Turns rounds into summaries and summaries into text: the stdout table, the section appended
// to RESULTS.md and its header. Pure functions; run.ts does the writing.
import { median, pairedRatios } from './stats.ts';
import type {
  IoCounts,
  Round,
  RunMeta,
  RunReport,
  Sample,
  ScenarioResult,
  SideSummary,
} from './types.ts';

export function summarizeSide(
  label: string,
  path: string,
  samples: readonly Sample[],
): SideSummary {
  const med = (pick: (s: Sample) => number): number => median(samples.map(pick));
  return {
    label,
    path,
    reqPerSec: med((s) => s.reqPerSec),
    p50Ms: med((s) => s.p50Ms),
    p99Ms: med((s) => s.p99Ms),
    cpuUsPerReq: med((s) => s.cpuUsPerReq),
    serverCpuPct: med((s) => s.serverCpuPct),
    loadgenCpuPct: med((s) => s.loadgenCpuPct),
    requests: med((s) => s.requests),
    non2xx: samples.reduce((a, s) => a + s.non2xx, 0),
    errors: samples.reduce((a, s) => a + s.errors + s.timeouts, 0),
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

export function summarizeRounds(
  rounds: readonly Round[],
  candidate: { label: string; path: string },
  baseline: { label: string; path: string },
): Pick<ScenarioResult, 'candidate' | 'baseline' | 'ratio' | 'cpuRatio'> {
  const c = rounds.map((r) => r.candidate);
  const b = rounds.map((r) => r.baseline);
  return {
    candidate: summarizeSide(candidate.label, candidate.path, c),
    baseline: summarizeSide(baseline.label, baseline.path, b),
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
  Fastify, logger off, \`GET /\` → \`{"hello":"world"}\`.
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

export function commitText(commit: string): string {
  return commit ? `commit ${commit}` : 'no commit yet';
}

export function markdownSection(report: RunReport): string {
  const m: RunMeta = report.meta;
  const lines: string[] = [];
  lines.push(`## ${m.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')}`, '');
  lines.push(`- Command: \`${m.command}\``);
  lines.push(`- Machine: nproc ${m.nproc}, ${m.cpuModel}; Node ${m.node}; ${commitText(m.commit)}`);
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
        `| ${side === 'candidate' ? s.name : ''} | ${side} | ${x.label}, \`GET ${x.path}\` | ` +
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
      if (s.io && 'error' in s.io) lines.push(`  I/O per request: not counted (${s.io.error}).`);
      else if (s.io) lines.push(`  I/O per request: ${ioText(s.io)}.`);
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
        `${side}: ${x.label} GET ${x.path}`,
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
