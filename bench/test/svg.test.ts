// Unit tests for the harness's pure parts: the statistics, the /proc parsing, the report
// summaries, the wire counters and the SVG chart.
import { describe, expect, it } from 'vitest';
import { bottleneckNotes, markdownSection, summarizeRounds } from '../src/report.ts';
import {
  cpuMicrosPerRequest,
  cpuPercent,
  median,
  minMax,
  netPerRequest,
  pairedRatios,
  parseProcStatTicks,
} from '../src/stats.ts';
import { escapeXml, renderRatioChart } from '../src/svg.ts';
import type { Round, RunReport, Sample } from '../src/types.ts';
import { PgCounter, pgStatements, RespCounter } from '../src/wire-count.ts';

describe('median', () => {
  it('takes the middle value of an odd count, whatever the order', () => {
    expect(median([9, 1, 5])).toBe(5);
    expect(median([3])).toBe(3);
  });
  it('averages the two middle values of an even count', () => {
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
  it('sorts numerically, not as strings', () => {
    expect(median([10, 9, 100])).toBe(10);
  });
  it('does not reorder its input', () => {
    const xs = [3, 1, 2];
    median(xs);
    expect(xs).toEqual([3, 1, 2]);
  });
  it('refuses an empty list', () => {
    expect(() => median([])).toThrow(RangeError);
  });
});

describe('pairedRatios', () => {
  it('divides round by round and summarises the ratios', () => {
    const r = pairedRatios([30, 20, 45], [40, 40, 50]);
    expect(r.perRound).toEqual([0.75, 0.5, 0.9]);
    expect(r.median).toBe(0.75);
    expect(r.min).toBe(0.5);
    expect(r.max).toBe(0.9);
  });
  it('is the median of per-round ratios, not the ratio of medians', () => {
    // Ratios 0.25, 3, 2.5 → median 2.5; median(c) / median(b) would be 30 / 20 = 1.5.
    const r = pairedRatios([10, 30, 50], [40, 10, 20]);
    expect(r.perRound).toEqual([0.25, 3, 2.5]);
    expect(r.median).toBe(2.5);
  });
  it('rejects mismatched or empty rounds and a zero baseline', () => {
    expect(() => pairedRatios([1, 2], [1])).toThrow(RangeError);
    expect(() => pairedRatios([], [])).toThrow(RangeError);
    expect(() => pairedRatios([1], [0])).toThrow(RangeError);
  });
  it('minMax finds both ends', () => {
    expect(minMax([3, -1, 7, 2])).toEqual({ min: -1, max: 7 });
  });
});

describe('CPU time from /proc/<pid>/stat', () => {
  // Fields 14 and 15 (utime, stime) are 1500 and 250 here.
  const line =
    '4242 (node) S 4200 4242 4200 0 -1 4194560 25000 0 0 0 1500 250 0 0 20 0 11 0 ' +
    '123456 1234567890 12345 18446744073709551615 1 1 0 0 0 0 0 16781312 134235650 0 0 0 17 0';

  it('adds utime and stime', () => {
    expect(parseProcStatTicks(line)).toBe(1750);
  });
  it('copes with spaces and parentheses in the command name', () => {
    const odd = line.replace('(node)', '(my (weird) node)');
    expect(parseProcStatTicks(odd)).toBe(1750);
  });
  it('reads a real line of this process', async () => {
    const { readFileSync } = await import('node:fs');
    const ticks = parseProcStatTicks(readFileSync('/proc/self/stat', 'utf8'));
    expect(Number.isInteger(ticks)).toBe(true);
    expect(ticks).toBeGreaterThanOrEqual(0);
  });
  it('rejects lines that are not stat lines', () => {
    expect(() => parseProcStatTicks('hello')).toThrow();
    expect(() => parseProcStatTicks('1 (x) S a b')).toThrow();
  });
  it('converts ticks to microseconds per request', () => {
    // 250 ticks at 100 Hz = 2.5 s of CPU over 100,000 requests = 25 µs each.
    expect(cpuMicrosPerRequest(1000, 1250, 100, 100_000)).toBeCloseTo(25, 10);
    expect(cpuMicrosPerRequest(0, 1000, 1000, 1000)).toBeCloseTo(1000, 10);
    expect(cpuMicrosPerRequest(0, 10, 100, 0)).toBeNaN();
    expect(() => cpuMicrosPerRequest(10, 5, 100, 1)).toThrow(RangeError);
  });
});

describe('cpuPercent', () => {
  it('is CPU seconds over wall seconds', () => {
    // 50 ticks at 100 Hz = 0.5 s of CPU in 1 s of wall time.
    expect(cpuPercent(50, 100, 1000)).toBeCloseTo(50, 10);
    expect(cpuPercent(1000, 100, 10_000)).toBeCloseTo(100, 10);
    expect(cpuPercent(1, 100, 0)).toBeNaN();
  });
});

describe('netPerRequest', () => {
  it('subtracts idle background and divides by requests', () => {
    expect(netPerRequest({ GET: 200, PING: 3 }, { PING: 3 }, 100)).toEqual({ GET: 2 });
  });
});

function sample(reqPerSec: number, cpuUsPerReq: number): Sample {
  return {
    reqPerSec,
    requests: reqPerSec * 10,
    p50Ms: 1,
    p99Ms: 4,
    meanMs: 1.2,
    non2xx: 0,
    errors: 0,
    timeouts: 0,
    durationS: 10,
    cpuTicks: 0,
    cpuUsPerReq,
    serverCpuPct: 98,
    loadgenCpuPct: 70,
  };
}

describe('summarizeRounds', () => {
  const rounds: Round[] = [
    { round: 1, baseline: sample(40_000, 25), candidate: sample(20_000, 50) },
    { round: 2, baseline: sample(30_000, 24), candidate: sample(24_000, 40) },
    { round: 3, baseline: sample(42_000, 26), candidate: sample(21_000, 52) },
  ];
  const s = summarizeRounds(rounds, { label: 'c', path: '/c' }, { label: 'b', path: '/' });

  it('reports medians per side', () => {
    expect(s.baseline.reqPerSec).toBe(40_000);
    expect(s.candidate.reqPerSec).toBe(21_000);
    expect(s.candidate.cpuUsPerReq).toBe(50);
  });
  it('reports the paired req/s ratio with its range', () => {
    expect(s.ratio.perRound).toEqual([0.5, 0.8, 0.5]);
    expect(s.ratio.median).toBe(0.5);
    expect(s.ratio.max).toBe(0.8);
  });
  it('flags a side whose server was not the bottleneck', () => {
    expect(bottleneckNotes(s)).toEqual([]);
    const genBound = { ...s, baseline: { ...s.baseline, serverCpuPct: 60, loadgenCpuPct: 99 } };
    expect(bottleneckNotes(genBound)).toHaveLength(1);
    expect(bottleneckNotes(genBound)[0]).toMatch(/^baseline server used 60%.*load generator set/);
    const busy = { ...s, candidate: { ...s.candidate, serverCpuPct: 50, loadgenCpuPct: 40 } };
    expect(bottleneckNotes(busy)[0]).toMatch(/^candidate server .*other work on the machine/);
  });
  it('puts the figures in the RESULTS.md table', () => {
    const report: RunReport = {
      meta: {
        date: '2026-11-28T12:00:00.000Z',
        nproc: 2,
        cpuModel: 'Test CPU',
        node: 'v20.20.2',
        commit: '',
        command: 'pnpm bench',
        pinned: true,
        pinningNote: 'pinned',
        clockTicksPerSecond: 100,
        rounds: 3,
        durationS: 10,
        warmupS: 3,
        connections: 50,
        logging: 'off',
        services: 'DATABASE_URL=x REDIS_URL=y',
        loadAvg: { start: 0.1, end: 0.2 },
        targetRatio: 0.6,
      },
      scenarios: [{ name: 'demo', description: 'demo', ...s, rounds, io: null, notes: [] }],
      skipped: [],
    };
    const md = markdownSection(report);
    expect(md).toContain('| demo | candidate | c, `GET /c` | 21,000 |');
    expect(md).toContain('**0.50 (0.50–0.80)**');
    // CPU µs/req ratios 2, 1.67, 2 → median 2 → half the req/s when CPU-bound.
    expect(md).toContain('CPU µs/req ratio: 2.00 (1.67–2.00), i.e. 0.50× req/s');
    expect(md).toContain('| baseline | b, `GET /` | 40,000 |');
  });
});

describe('wire counters', () => {
  it('counts RESP commands by name across split chunks', () => {
    const counts: Record<string, number> = {};
    const c = new RespCounter(counts);
    const stream = Buffer.from(
      '*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n' +
        '*3\r\n$7\r\nevalsha\r\n$4\r\nab\r\n\r\n$1\r\n1\r\n' + // a bulk value holding CRLF
        'PING\r\n',
    );
    // Feed byte by byte: a command split anywhere must still be counted once.
    for (let i = 0; i < stream.length; i++) c.feed(stream.subarray(i, i + 1));
    expect(counts).toEqual({ GET: 1, EVALSHA: 1, PING: 1 });
  });

  it('counts Postgres messages after the startup packet and SSL negotiation', () => {
    const counts: Record<string, number> = {};
    const c = new PgCounter(counts);
    const int32 = (n: number) => {
      const b = Buffer.alloc(4);
      b.writeInt32BE(n);
      return b;
    };
    const msg = (type: string, body: string) =>
      Buffer.concat([Buffer.from(type), int32(4 + body.length), Buffer.from(body)]);
    const ssl = Buffer.concat([int32(8), int32(80877103)]);
    const params = Buffer.from('user\0postgres\0\0');
    const startup = Buffer.concat([int32(8 + params.length), int32(196608), params]);
    c.feed(Buffer.concat([ssl, startup.subarray(0, 5)]));
    c.feed(startup.subarray(5));
    c.feed(msg('Q', 'SELECT 1\0'));
    c.feed(Buffer.concat([msg('P', '\0select $1\0\0\0'), msg('B', 'xx'), msg('E', '\0\0\0\0\0')]));
    c.feed(msg('S', ''));
    expect(counts).toEqual({ Query: 1, Parse: 1, Bind: 1, Execute: 1, Sync: 1 });
    expect(pgStatements(counts)).toBe(2);
  });
});

// A small well-formedness check: every tag closes, in order, and nothing is left open.
function balanced(xml: string): boolean {
  const stack: string[] = [];
  const tags = xml.match(/<\/?[a-zA-Z][^>]*>/g) ?? [];
  for (const tag of tags) {
    if (tag.endsWith('/>')) continue;
    const name = /^<\/?([a-zA-Z]+)/.exec(tag)?.[1] ?? '';
    if (tag.startsWith('</')) {
      if (stack.pop() !== name) return false;
    } else stack.push(name);
  }
  return stack.length === 0;
}

describe('renderRatioChart', () => {
  const bars = [
    { name: 'health-live', median: 0.72, min: 0.65, max: 0.8 },
    { name: 'categories', median: 0.31, min: 0.28, max: 0.35 },
    { name: 'a<b>&"c"', median: 1.4, min: 1.1, max: 1.9 },
  ];
  const svg = renderRatioChart(bars, { target: 0.6, subtitle: 'test' });

  it('is a balanced SVG document', () => {
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(balanced(svg)).toBe(true);
    expect(balanced('<svg><g></svg></g>')).toBe(false); // the checker itself can fail
  });
  it('draws one bar per scenario, labelled', () => {
    expect(svg.match(/<rect class="bar"/g)?.length).toBe(bars.length);
    expect(svg).toContain('>health-live<');
    expect(svg).toContain('0.72× (0.65–0.80)');
  });
  it('escapes scenario names', () => {
    expect(svg).toContain(escapeXml('a<b>&"c"'));
    expect(svg).not.toContain('a<b>');
  });
  it('draws the target and parity lines, labelled', () => {
    expect(svg.match(/<line class="ref"/g)?.length).toBe(2);
    expect(svg).toContain('target 0.60×');
    expect(svg).toContain('baseline 1.00×');
  });
  it('scales bars by their ratio', () => {
    const widths = [...svg.matchAll(/<rect class="bar"[^>]*width="([\d.]+)"/g)].map((m) =>
      Number(m[1]),
    );
    const [a, b, c] = widths as [number, number, number];
    expect(a / b).toBeCloseTo(0.72 / 0.31, 1);
    expect(c).toBeGreaterThan(a);
  });
  it('still renders with no scenarios and with a missing figure', () => {
    expect(balanced(renderRatioChart([], { target: 0.6 }))).toBe(true);
    const nan = renderRatioChart([{ name: 'x', median: Number.NaN, min: 1, max: 1 }], {
      target: 0.6,
    });
    expect(nan).toContain('n/a');
    expect(balanced(nan)).toBe(true);
  });
});
