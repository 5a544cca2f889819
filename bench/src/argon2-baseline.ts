// The login storm's baseline: raw argon2id verifications and nothing else, in a process the
// harness pins to the server's core. It keeps `inFlight` verify() calls outstanding so
// libuv's pool (UV_THREADPOOL_SIZE, the same as the auth service's) never waits for work,
// runs for durationS, and prints the same JSON lines as the load runner:
// {"event":"start"}, then {"event":"done","result":{...}} at the deadline.
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { hash, verify } from '@node-rs/argon2';
import type { LoadResult } from './types.ts';

interface WorkerOptions {
  durationS: number;
  inFlight: number;
  memoryCost: number;
  timeCost: number;
  parallelism: number;
}

const raw = process.argv[2];
if (!raw) {
  console.error('usage: argon2-baseline.ts \'{"durationS":10,"inFlight":8,"memoryCost":19456,…}\'');
  process.exit(2);
}
const opts = JSON.parse(raw) as WorkerOptions;
// algorithm 2 = argon2id, outputLen 32: what apps/auth's password-hasher.ts uses.
const params = {
  algorithm: 2,
  outputLen: 32,
  memoryCost: opts.memoryCost,
  timeCost: opts.timeCost,
  parallelism: opts.parallelism,
} as const;

const password = `bench-${randomBytes(12).toString('base64url')}`;
const phc = await hash(password, params);
// One verification before the clock starts: the first call pays for loading and allocation.
await verify(phc, password);

// The auth service's event-loop figure, measured the same way (prom-client's default
// metrics with eventLoopMonitoringPrecision 20, read and reset once a second), so the
// baseline shows what four hashing threads on one core do to a loop that does nothing else.
const lag = monitorEventLoopDelay({ resolution: 20 });
lag.enable();
const lagWindows: number[] = [];
const latencies: number[] = [];
let verified = 0;
let failed = 0;

console.log(JSON.stringify({ event: 'start' }));
const t0 = performance.now();
lag.reset();
const ticker = setInterval(() => {
  lagWindows.push(lag.percentile(99) / 1e6);
  lag.reset();
}, 1000);

async function lane(): Promise<never> {
  for (;;) {
    const started = performance.now();
    const ok = await verify(phc, password);
    latencies.push(performance.now() - started);
    if (ok) verified++;
    else failed++;
  }
}
for (let i = 0; i < opts.inFlight; i++) void lane();

const percentile = (sorted: number[], p: number): number =>
  sorted.length
    ? (sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0)
    : 0;

setTimeout(() => {
  clearInterval(ticker);
  const elapsedS = (performance.now() - t0) / 1000;
  const sorted = [...latencies].sort((a, b) => a - b);
  const result: LoadResult & { eventLoopP99Ms: number[] } = {
    reqPerSec: verified / elapsedS,
    requests: verified,
    // Whole milliseconds, like autocannon's, for one verify() call with inFlight outstanding.
    p50Ms: Math.round(percentile(sorted, 50)),
    p99Ms: Math.round(percentile(sorted, 99)),
    meanMs: sorted.reduce((a, v) => a + v, 0) / (sorted.length || 1),
    non2xx: failed,
    errors: 0,
    timeouts: 0,
    durationS: elapsedS,
    eventLoopP99Ms: lagWindows,
  };
  console.log(JSON.stringify({ event: 'done', result }));
  // The verifications still in flight are abandoned, as autocannon abandons its requests.
  process.exit(0);
}, opts.durationS * 1000);
