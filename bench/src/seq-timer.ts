// One request or one SQL statement at a time, timed each with performance.now(): the latency
// of the thing itself, with nothing queued in front of it, to the microsecond (autocannon keeps
// whole milliseconds only). Run as its own process pinned to the load generator's core, like
// load-runner.ts: `node --import tsx src/seq-timer.ts '<json>'`, printing {"event":"start"}
// and {"event":"done","result":…}. The products-1m suite uses it for its unloaded HTTP figures
// and for every SQL figure (through the raw pg driver, the same extended-protocol Parse/Bind/
// Execute of an unnamed statement that drizzle sends).
import { Agent, request } from 'node:http';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { percentile } from './stats.ts';

export type SeqTarget =
  | { mode: 'http'; url: string }
  | { mode: 'sql'; databaseUrl: string; sql: string; params: unknown[] };

export type SeqOptions = SeqTarget & {
  durationS: number;
  /** Keep going past durationS until this many samples (a 500 ms query still gets some). */
  minSamples?: number;
  /** Stop early at this many samples. */
  maxSamples?: number;
};

export interface SeqResult {
  samples: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  maxUs: number;
  /** Non-2xx answers or failed statements; their time is not in the figures. */
  errors: number;
  /** The first error, to explain a failed cell. */
  firstError?: string;
  /** Rows of the last statement, or bytes of the last body: a sanity check on what ran. */
  size: number;
  durationS: number;
}

function httpGet(agent: Agent, url: URL): Promise<{ status: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent, method: 'GET' }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, bytes }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error('timed out after 30 s')));
    req.on('error', reject);
    req.end();
  });
}

/** Runs the target sequentially for durationS (within minSamples…maxSamples) and times it. */
export async function runSequential(opts: SeqOptions, onStart?: () => void): Promise<SeqResult> {
  const times: number[] = [];
  let errors = 0;
  let firstError: string | undefined;
  let size = 0;
  let once: () => Promise<void>;
  let close: () => Promise<void>;
  if (opts.mode === 'http') {
    if (!opts.url.startsWith('http://127.0.0.1:')) {
      throw new Error(`refusing to load ${opts.url}: the harness only targets 127.0.0.1`);
    }
    const url = new URL(opts.url);
    // One keep-alive connection, as a browser or a service client would reuse.
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    once = async () => {
      const t0 = performance.now();
      const res = await httpGet(agent, url);
      const t1 = performance.now();
      size = res.bytes;
      if (res.status >= 200 && res.status < 300) times.push((t1 - t0) * 1000);
      else {
        errors++;
        firstError ??= `HTTP ${res.status}`;
      }
    };
    close = async () => agent.destroy();
  } else {
    const client = new pg.Client({
      connectionString: opts.databaseUrl,
      application_name: 'meridian-bench-seq',
    });
    await client.connect();
    const { sql, params } = opts;
    once = async () => {
      const t0 = performance.now();
      try {
        const r = await client.query({ text: sql, values: params });
        const t1 = performance.now();
        size = r.rowCount ?? r.rows.length;
        times.push((t1 - t0) * 1000);
      } catch (err) {
        errors++;
        firstError ??= (err as Error).message;
      }
    };
    close = () => client.end();
  }
  const minSamples = opts.minSamples ?? 1;
  const maxSamples = opts.maxSamples ?? Number.POSITIVE_INFINITY;
  try {
    onStart?.();
    const started = performance.now();
    const deadline = started + opts.durationS * 1000;
    // Errors count towards the stop conditions too, so a failing target cannot loop forever.
    while (times.length + errors < maxSamples) {
      const now = performance.now();
      if (now >= deadline && times.length + errors >= minSamples) break;
      if (now >= deadline + 120_000) break;
      await once();
    }
    const elapsed = (performance.now() - started) / 1000;
    const n = times.length;
    return {
      samples: n,
      p50Us: n ? percentile(times, 50) : Number.NaN,
      p99Us: n ? percentile(times, 99) : Number.NaN,
      meanUs: n ? times.reduce((a, v) => a + v, 0) / n : Number.NaN,
      maxUs: n ? Math.max(...times) : Number.NaN,
      errors,
      ...(firstError ? { firstError } : {}),
      size,
      durationS: elapsed,
    };
  } finally {
    await close();
  }
}

const isMain = process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href;
if (isMain) {
  const raw = process.argv[2];
  if (!raw) {
    console.error('usage: seq-timer.ts \'{"mode":"http","url":"http://127.0.0.1:PORT/",...}\'');
    process.exit(2);
  }
  const opts = JSON.parse(raw) as SeqOptions;
  const result = await runSequential(opts, () => console.log(JSON.stringify({ event: 'start' })));
  console.log(JSON.stringify({ event: 'done', result }));
}
