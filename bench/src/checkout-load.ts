// The checkout suite's load generator, its own process pinned to the load core like
// load-runner.ts: autocannon, no pipelining, a fixed number of connections, but every request
// a different customer. Each request takes the next (user, token) from the users file, from
// `offset` on, and sends POST /v1/orders with that user's token, a fresh Idempotency-Key and
// {shippingMethod, paymentMethod}: each user's pre-filled cart is checked out exactly once.
// Prints {"event":"start"} and {"event":"done","result":…} like load-runner.ts.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import type { LoadResult } from './types.ts';

export interface CheckoutLoadOptions {
  url: string;
  connections: number;
  durationS: number;
  timeoutS: number;
  /** One `userId token` per line (written by checkout.ts). */
  usersFile: string;
  /** The first user of this run: the ones before were used by earlier runs. */
  offset: number;
  body: { shippingMethod: string; paymentMethod: string };
}

export interface CheckoutLoadResult extends LoadResult {
  /** Responses by status code. */
  statuses: Record<string, number>;
  /** Users taken (requests built, sent or not): the next run starts after them. */
  usersTaken: number;
  /** True when the file ran out and users were reused (their carts are empty: 422s). */
  exhausted: boolean;
}

const raw = process.argv[2];
if (!raw) {
  console.error("usage: checkout-load.ts '<CheckoutLoadOptions as JSON>'");
  process.exit(2);
}
const opts = JSON.parse(raw) as CheckoutLoadOptions;
if (!opts.url.startsWith('http://127.0.0.1:')) {
  console.error(`refusing to load ${opts.url}: the harness only targets 127.0.0.1`);
  process.exit(2);
}
const users = readFileSync(opts.usersFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => {
    const [userId, token] = line.split(' ');
    return { userId: userId as string, token: token as string };
  });
if (users.length === 0) throw new Error(`no users in ${opts.usersFile}`);

let taken = 0;
let exhausted = false;
const body = JSON.stringify(opts.body);

console.log(JSON.stringify({ event: 'start' }));
const result = await autocannon({
  url: opts.url,
  connections: opts.connections,
  duration: opts.durationS,
  pipelining: 1,
  timeout: opts.timeoutS,
  requests: [
    {
      method: 'POST',
      // Called for every request autocannon builds, on every connection.
      setupRequest: (req) => {
        const i = opts.offset + taken++;
        if (i >= users.length) exhausted = true;
        const user = users[i % users.length] as (typeof users)[number];
        return {
          ...req,
          method: 'POST',
          headers: {
            ...req.headers,
            'content-type': 'application/json',
            authorization: `Bearer ${user.token}`,
            'idempotency-key': randomUUID(),
          },
          body,
        };
      },
    },
  ],
});
const statuses: Record<string, number> = {};
for (const [code, s] of Object.entries(result.statusCodeStats ?? {})) {
  statuses[code] = s.count ?? 0;
}
const out: CheckoutLoadResult = {
  reqPerSec: result.requests.average,
  requests: result.requests.total,
  p50Ms: result.latency.p50,
  p99Ms: result.latency.p99,
  meanMs: result.latency.average,
  non2xx: result.non2xx,
  errors: result.errors,
  timeouts: result.timeouts,
  durationS: result.duration,
  statuses,
  usersTaken: taken,
  exhausted,
};
console.log(JSON.stringify({ event: 'done', result: out }));
