// The checkout suite's pure parts: reading pgbench, classifying SQL and HTTP on the wire,
// Postgres's CPU from /proc lines, and the target check. No services, no load.
import { describe, expect, it } from 'vitest';
import {
  bottleneck,
  type CheckoutRound,
  type CheckoutSample,
  markdownSection,
  type PgbenchSample,
  perCheckout,
  pgFigures,
  summarize,
  targetNote,
} from '../src/checkout-report.ts';
import { HttpCounter, routeKey, sqlKinds, sqlVerb } from '../src/checkout-wire.ts';
import { parsePgbenchLog, parsePgbenchSummary, pgbenchRunArgs } from '../src/pgbench.ts';
import { parseStat, postgresTicksFrom } from '../src/postgres-cpu.ts';
import { type Counts, PgCounter } from '../src/wire-count.ts';

const PGBENCH_15 = `pgbench (15.20 (Debian 15.20-0+deb12u1))
transaction type: <builtin: TPC-B (sort of)>
scaling factor: 10
query mode: simple
number of clients: 20
number of threads: 1
maximum number of tries: 1
duration: 10 s
number of transactions actually processed: 15123
number of failed transactions: 0 (0.000%)
latency average = 13.175 ms
initial connection time = 24.162 ms
tps = 1518.041489 (without initial connection time)
`;

describe('pgbench output', () => {
  it('reads the closing summary of pgbench 15', () => {
    expect(parsePgbenchSummary(PGBENCH_15)).toEqual({
      tps: 1518.041489,
      transactions: 15123,
      failed: 0,
      latencyAvgMs: 13.175,
      scale: 10,
      clients: 20,
      threads: 1,
    });
  });

  it('when the tps line is missing, throws rather than reporting 0', () => {
    expect(() => parsePgbenchSummary(PGBENCH_15.replace(/^tps.*$/m, ''))).toThrow(/tps/);
  });

  it('reads latencies (µs) from the -l log and leaves failed transactions out', () => {
    const log = [
      '2 1 5837 0 1795889366 220716',
      '2 2 2273 0 1795889366 222999',
      '3 1 failed 0 1795889366 223362',
      '',
      '3 2 8472 0 1795889366 223999 12',
    ].join('\n');
    expect(parsePgbenchLog(log)).toEqual([5837, 2273, 8472]);
  });

  it('runs without its own vacuum, with a per-transaction log', () => {
    expect(
      pgbenchRunArgs({
        url: 'postgres://h/db',
        clients: 20,
        threads: 1,
        durationS: 10,
        logPrefix: '/tmp/p',
      }),
    ).toEqual([
      '-n',
      '-c',
      '20',
      '-j',
      '1',
      '-T',
      '10',
      '-l',
      '--log-prefix=/tmp/p',
      'postgres://h/db',
    ]);
  });
});

// Frontend messages as the pg driver writes them.
const msg = (type: string, body: Buffer): Buffer => {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const cstr = (s: string) => Buffer.from(`${s}\0`);
const startup = (() => {
  const b = Buffer.alloc(8);
  b.writeInt32BE(8, 0);
  b.writeInt32BE(196608, 4);
  return b;
})();

describe('SQL kinds on the wire', () => {
  it('names the verb past blanks, comments and parentheses', () => {
    expect(sqlVerb('  select 1')).toBe('SELECT');
    expect(sqlVerb('/* x */ -- y\n(insert into t)')).toBe('INSERT');
    expect(sqlVerb('')).toBe('?');
  });

  it('counts transactions, statements by verb and round trips from a pg stream', () => {
    const msgs: Counts = {};
    const kinds: Counts = {};
    const counter = new PgCounter(msgs, sqlKinds(kinds));
    const extended = (sql: string) => [
      msg('P', Buffer.concat([cstr(''), cstr(sql), Buffer.from([0, 0])])),
      msg('B', Buffer.alloc(10)),
      msg('D', Buffer.from('P\0')),
      msg('E', Buffer.concat([cstr(''), Buffer.alloc(4)])),
      msg('S', Buffer.alloc(0)),
    ];
    const stream = Buffer.concat([
      startup,
      msg('Q', cstr('begin')),
      ...extended('insert into "orders"."orders" values ($1)'),
      ...extended('update "orders"."orders" set x = $1'),
      msg('Q', cstr('commit')),
      ...extended('select 1'),
    ]);
    // Split mid-message: the counter must buffer.
    counter.feed(stream.subarray(0, 30));
    counter.feed(stream.subarray(30));
    expect(kinds).toEqual({
      'tx:BEGIN': 1,
      'tx:COMMIT': 1,
      'sql:INSERT': 1,
      'sql:UPDATE': 1,
      'sql:SELECT': 1,
      roundTrips: 5,
    });
    expect(pgFigures(msgs, kinds)).toMatchObject({ statements: 5, transactions: 1, roundTrips: 5 });
  });
});

describe('HTTP requests on the wire', () => {
  it('keys a route with its ids replaced', () => {
    expect(
      routeKey(
        'POST',
        '/v1/inventory/reservations/0b8e6f0e-1d2c-4f7a-9a57-3c2f1e0d9b8a/confirm?x=1',
      ),
    ).toBe('POST /v1/inventory/reservations/:id/confirm');
  });

  it('counts keep-alive requests across Content-Length and chunked bodies', () => {
    const counts: Counts = {};
    const c = new HttpCounter(counts);
    const body = '{"reservationKey":"k"}';
    const stream = [
      'GET /v1/products/0b8e6f0e-1d2c-4f7a-9a57-3c2f1e0d9b8a HTTP/1.1\r\nhost: x\r\n\r\n',
      `POST /v1/inventory/reservations HTTP/1.1\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
      'POST /v1/payments/webhook HTTP/1.1\r\ntransfer-encoding: chunked\r\n\r\n4\r\nGET \r\n0\r\n\r\n',
      'GET /v1/products/0b8e6f0e-1d2c-4f7a-9a57-3c2f1e0d9b8b HTTP/1.1\r\n\r\n',
    ].join('');
    // One byte at a time: nothing may depend on where the chunks break.
    for (const ch of Buffer.from(stream)) c.feed(Buffer.from([ch]));
    expect(counts).toEqual({
      'GET /v1/products/:id': 2,
      'POST /v1/inventory/reservations': 1,
      'POST /v1/payments/webhook': 1,
    });
  });
});

describe('Postgres CPU from /proc', () => {
  const line = (
    pid: number,
    comm: string,
    ppid: number,
    ut: number,
    st: number,
    cut = 0,
    cst = 0,
  ) =>
    `${pid} (${comm}) S ${ppid} 1 1 0 -1 4194304 1 0 0 0 ${ut} ${st} ${cut} ${cst} 20 0 1 0 1 1 1`;

  it('adds every postgres process, and what the postmaster reaped from exited backends', () => {
    const stats = [
      line(100, 'postgres', 1, 10, 5, 40, 2),
      line(101, 'postgres', 100, 7, 3, 99, 99),
      line(200, 'node', 1, 1000, 1000),
    ].map(parseStat);
    // 15 + 42 (postmaster and its reaped children) + 10; a backend's own children are not added.
    expect(postgresTicksFrom(stats)).toBe(67);
  });

  it('is null when no postgres runs here (a remote server)', () => {
    expect(postgresTicksFrom([parseStat(line(1, 'node', 0, 1, 1))])).toBeNull();
  });

  it('reads a command name holding spaces and parentheses', () => {
    expect(parseStat(line(7, 'postgres: 15/main: a (b)', 1, 3, 4))).toMatchObject({
      comm: 'postgres: 15/main: a (b)',
      own: 7,
    });
  });
});

const cand = (checkoutsPerSec: number): CheckoutSample => ({
  checkoutsPerSec,
  reqPerSec: checkoutsPerSec,
  requests: checkoutsPerSec * 10,
  created: checkoutsPerSec * 10,
  statuses: { '201': checkoutsPerSec * 10 },
  errors: 0,
  timeouts: 0,
  p50Ms: 900,
  p99Ms: 1500,
  durationS: 10,
  ordersCpuUs: 12_000,
  catalogCpuUs: 4_000,
  postgresCpuUs: null,
  ordersCpuPct: 70,
  catalogCpuPct: 22,
  postgresCpuPct: null,
  loadgenCpuPct: 3,
  awaitingAtEnd: 400,
  drainMs: 8000,
});
const base = (tps: number): PgbenchSample => ({
  tps,
  transactions: tps * 10,
  failed: 0,
  p50Ms: 9,
  p99Ms: 30,
  latencyAvgMs: 10,
  postgresCpuUs: 550,
  postgresCpuPct: 100,
  pgbenchCpuPct: 20,
});

describe('the checkout target', () => {
  const rounds: CheckoutRound[] = [
    { round: 1, baseline: base(2000), candidate: cand(50) },
    { round: 2, baseline: base(1000), candidate: cand(200) },
    { round: 3, baseline: base(1000), candidate: cand(160) },
  ];

  it('pairs the ratio round by round and judges the median against 0.15', () => {
    const s = summarize(rounds);
    expect(s.ratio.perRound).toEqual([0.025, 0.2, 0.16]);
    expect(s.ratio.median).toBeCloseTo(0.16);
    expect(s.met).toBe(true);
    expect(s.below).toBe(1);
    expect(targetNote(s)).toContain('**met**');
  });

  it('says MISSED when the median is below, never rounding it up', () => {
    const s = summarize([{ round: 1, baseline: base(1000), candidate: cand(149) }]);
    expect(s.met).toBe(false);
    expect(targetNote(s)).toMatch(/\*\*MISSED\*\*, median 0\.15 .* 1 of 1 rounds below/);
  });

  it('names the services core as the bound when it was saturated', () => {
    expect(bottleneck(summarize(rounds))).toMatch(/92 %.*16\.0 ms.*~63 checkouts\/s.*saturated/);
  });

  it('prints counts per checkout whole when they are whole', () => {
    expect(perCheckout(41)).toBe('41');
    expect(perCheckout(41.652)).toBe('41.65');
    expect(perCheckout(undefined)).toBe('0');
  });

  it('writes a section with the rounds, the end state and the I/O table', () => {
    const md = markdownSection({
      meta: {
        date: '2026-11-28T18:00:00.000Z',
        command: 'pnpm bench:checkout',
        nproc: 2,
        cpuModel: 'AMD EPYC',
        node: 'v20.20.2',
        postgres: 'PostgreSQL 15.20',
        commit: 'abc1234',
        pinned: true,
        pinningNote: 'pinned',
        rounds: 3,
        durationS: 10,
        warmupS: 3,
        connections: 50,
        lines: 2,
        products: 10,
        stockPerProduct: 10_000_000,
        users: 1000,
        pgbench: { clients: 20, threads: 1, scale: 10, database: 'meridian_bench_pgbench' },
        database: 'meridian_bench_checkout_1',
        settings: 'fsync on',
        logging: 'info to /dev/null',
        loadAvg: { start: 1, end: 2 },
      },
      rounds,
      end: {
        ordersByStatus: { paid: 99, cancelled: 1 },
        reservationsByStatus: { confirmed: 99 },
        created: 4100,
        responses: 4100,
      },
      io: {
        checkouts: 100,
        ordersPg: { Query: 10, Execute: 31, Sync: 31 },
        ordersSql: { 'tx:BEGIN': 5, 'tx:COMMIT': 5, roundTrips: 41, 'sql:SELECT': 16 },
        ordersRedis: { EVALSHA: 4 },
        ordersToCatalog: { 'GET /v1/products/:id': 2, 'POST /v1/inventory/reservations': 1 },
        catalogPg: { Query: 4, Execute: 10 },
        catalogSql: { 'tx:COMMIT': 2, roundTrips: 14 },
        catalogRedis: {},
        toOrders: { 'POST /v1/payments/webhook': 1 },
      },
      notes: [],
    });
    expect(md).toContain('| 2 | 1,000 | 9.0 / 30.0 | 200 | 900 / 1500 | 0.20 |');
    expect(md).toContain('100 orders, 99 paid (99.0 %)');
    expect(md).toContain('| SQL statements | 41 | 14 | 55 |');
    expect(md).toContain('| HTTP requests received | 2 (1 checkout + 1 webhook) | 3 | 5 |');
  });
});
