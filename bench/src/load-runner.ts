// The load generator, run as its own process (pinned to core 1) so it never shares a core or
// an event loop with the server under test. Takes its options as one JSON argument and prints
// JSON lines: {"event":"start"} just before the load begins, then {"event":"done",...}.
import autocannon from 'autocannon';
import type { LoadOptions, LoadResult } from './types.ts';

const raw = process.argv[2];
if (!raw) {
  console.error('usage: load-runner.ts \'{"url":"http://127.0.0.1:PORT/","connections":50,...}\'');
  process.exit(2);
}
const opts = JSON.parse(raw) as LoadOptions;
if (!opts.url.startsWith('http://127.0.0.1:')) {
  console.error(`refusing to load ${opts.url}: the harness only targets 127.0.0.1`);
  process.exit(2);
}

console.log(JSON.stringify({ event: 'start' }));
const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.durationS,
  // One request in flight per connection: pipelining hides per-request cost.
  pipelining: 1,
  timeout: opts.timeoutS ?? 10,
  // The same request on every connection, e.g. a Bearer token or a login body.
  ...(opts.method ? { method: opts.method } : {}),
  ...(opts.headers ? { headers: opts.headers } : {}),
  ...(opts.body !== undefined ? { body: opts.body } : {}),
});
const out: LoadResult = {
  reqPerSec: result.requests.average,
  requests: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  meanMs: result.latency.average,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  durationS: result.duration,
};
console.log(JSON.stringify({ event: 'done', result: out }));
