// Pure arithmetic for the harness: medians, per-round ratios, CPU time per request.
// Kept free of I/O so the tests can pin the math down.

/** Median of a non-empty list; the mean of the two middle values for an even count. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const hi = sorted[mid] as number;
  return sorted.length % 2 === 1 ? hi : ((sorted[mid - 1] as number) + hi) / 2;
}

export interface Range {
  min: number;
  max: number;
}

export function minMax(values: readonly number[]): Range {
  if (values.length === 0) throw new RangeError('min/max of an empty list');
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (const v of values) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

export interface RatioSummary extends Range {
  median: number;
  /** candidate / baseline of each round, in round order. */
  perRound: number[];
}

/**
 * Ratios are taken round by round (candidate_i / baseline_i), never as median(c) / median(b):
 * the two halves of a round ran seconds apart, so the machine's mood cancels out within a pair.
 */
export function pairedRatios(
  candidate: readonly number[],
  baseline: readonly number[],
): RatioSummary {
  if (candidate.length !== baseline.length) {
    throw new RangeError(
      `rounds differ: ${candidate.length} candidate, ${baseline.length} baseline`,
    );
  }
  if (candidate.length === 0) throw new RangeError('no rounds to compare');
  const perRound = candidate.map((c, i) => {
    const b = baseline[i] as number;
    if (!(b > 0)) throw new RangeError(`baseline of round ${i + 1} is ${b}; cannot divide`);
    return c / b;
  });
  return { median: median(perRound), ...minMax(perRound), perRound };
}

/**
 * utime + stime, in clock ticks, from one line of /proc/<pid>/stat. The second field (the
 * command name, in parentheses) may itself hold spaces and parentheses, so fields are counted
 * from the last ')'. utime and stime are fields 14 and 15 (proc(5)), and cover all threads.
 */
export function parseProcStatTicks(line: string): number {
  const close = line.lastIndexOf(')');
  if (close === -1) throw new Error('not a /proc/<pid>/stat line: no ")"');
  // After ')' the first field is field 3 (state).
  const fields = line
    .slice(close + 1)
    .trim()
    .split(/\s+/);
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) {
    throw new Error('not a /proc/<pid>/stat line: utime/stime are not numbers');
  }
  return utime + stime;
}

/** Process CPU time per request, in microseconds, from two tick readings. */
export function cpuMicrosPerRequest(
  ticksBefore: number,
  ticksAfter: number,
  clockTicksPerSecond: number,
  requests: number,
): number {
  if (requests <= 0) return Number.NaN;
  if (ticksAfter < ticksBefore) throw new RangeError('CPU ticks went backwards: not the same pid?');
  return ((ticksAfter - ticksBefore) * 1e6) / clockTicksPerSecond / requests;
}

/** Share of one core a process used over a wall-clock window, in percent. */
export function cpuPercent(ticks: number, clockTicksPerSecond: number, wallMs: number): number {
  if (wallMs <= 0) return Number.NaN;
  return (ticks / clockTicksPerSecond / (wallMs / 1000)) * 100;
}

/** Per-request counts over a loaded window, net of what the same process did while idle. */
export function netPerRequest(
  loaded: Readonly<Record<string, number>>,
  idle: Readonly<Record<string, number>>,
  requests: number,
): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(loaded)) {
    const net = (n - (idle[key] ?? 0)) / requests;
    if (net > 0) out[key] = net;
  }
  return out;
}

/**
 * Splits a process's CPU over a window by thread (see ThreadSplit in types.ts): the main
 * thread (tid = pid), the `poolSize` busiest others, and the rest; each in µs per request.
 * Threads born during the window count from zero.
 */
export function splitThreadTicks(
  pid: number,
  before: ReadonlyMap<number, number>,
  after: ReadonlyMap<number, number>,
  clockTicksPerSecond: number,
  requests: number,
  poolSize = 4,
): { main: number; pool: number; other: number } {
  const us = (ticks: number): number =>
    requests > 0 ? (ticks * 1e6) / clockTicksPerSecond / requests : Number.NaN;
  let main = 0;
  const others: number[] = [];
  for (const [tid, t] of after) {
    const delta = Math.max(0, t - (before.get(tid) ?? 0));
    if (tid === pid) main = delta;
    else others.push(delta);
  }
  others.sort((a, b) => b - a);
  const sum = (xs: number[]): number => xs.reduce((a, v) => a + v, 0);
  return {
    main: us(main),
    pool: us(sum(others.slice(0, poolSize))),
    other: us(sum(others.slice(poolSize))),
  };
}

/**
 * The p-th percentile (0 < p ≤ 100) of a non-empty list by the nearest-rank method: the
 * smallest value with at least p % of the list at or below it. With fewer than 100 values the
 * p99 is the maximum, which is what it should be: nothing is interpolated into existence.
 */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}
