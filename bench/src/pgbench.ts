// Reading pgbench: the summary it prints at the end of a run, and the per-transaction log it
// writes with -l (one line per transaction, latency in µs), from which the checkout suite
// takes the baseline's p50/p99. Pure, so the tests can pin the formats down (pgbench 15).

export interface PgbenchSummary {
  /** "tps = … (without initial connection time)". */
  tps: number;
  /** "number of transactions actually processed: N". */
  transactions: number;
  /** "number of failed transactions: N (…%)"; 0 for a pgbench too old to print it. */
  failed: number;
  /** "latency average = X ms". */
  latencyAvgMs: number;
  /** "scaling factor: N". */
  scale: number;
  /** "number of clients: N", "number of threads: N". */
  clients: number;
  threads: number;
}

function num(text: string, re: RegExp, what: string): number {
  const m = re.exec(text);
  const v = m?.[1] === undefined ? Number.NaN : Number(m[1]);
  if (!Number.isFinite(v)) throw new Error(`pgbench output has no ${what}`);
  return v;
}

/** The figures of pgbench's closing summary (stdout). Throws when one is missing. */
export function parsePgbenchSummary(stdout: string): PgbenchSummary {
  const failed = /^number of failed transactions: (\d+)/m.exec(stdout);
  return {
    tps: num(stdout, /^tps = ([\d.]+) \(without initial connection time\)/m, 'tps'),
    transactions: num(
      stdout,
      /^number of transactions actually processed: (\d+)/m,
      'transaction count',
    ),
    failed: failed?.[1] ? Number(failed[1]) : 0,
    latencyAvgMs: num(stdout, /^latency average = ([\d.]+) ms/m, 'average latency'),
    scale: num(stdout, /^scaling factor: (\d+)/m, 'scaling factor'),
    clients: num(stdout, /^number of clients: (\d+)/m, 'client count'),
    threads: num(stdout, /^number of threads: (\d+)/m, 'thread count'),
  };
}

/**
 * Latencies in µs from pgbench's per-transaction log (-l): `client_id transaction_no time
 * script_no time_epoch time_us [schedule_lag]`, where `time` is the latency in µs. A failed
 * transaction logs `failed` (or `skipped`) in place of the time and is left out.
 */
export function parsePgbenchLog(text: string): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 6) continue;
    const us = Number(fields[2]);
    if (Number.isFinite(us) && /^\d+$/.test(fields[2] as string)) out.push(us);
  }
  return out;
}

/** The argv of a timed TPC-B-like run: no vacuum (the suite does it), a per-transaction log. */
export function pgbenchRunArgs(o: {
  url: string;
  clients: number;
  threads: number;
  durationS: number;
  logPrefix: string;
}): string[] {
  return [
    '-n',
    '-c',
    String(o.clients),
    '-j',
    String(o.threads),
    '-T',
    String(o.durationS),
    '-l',
    `--log-prefix=${o.logPrefix}`,
    o.url,
  ];
}
