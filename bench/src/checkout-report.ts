// The checkout suite's figures and its RESULTS.md section: per-round samples, their medians,
// the checkouts/s ÷ pgbench tps ratio (paired by round) against the target, the end state of
// the orders, and the statements, transactions and round trips per checkout. Pure, so the
// tests can check the arithmetic and the wording of a miss.
import { median, minMax, pairedRatios, type RatioSummary } from './stats.ts';
import type { Counts } from './wire-count.ts';

/** Issue #5: a checkout rate of at least this share of pgbench's TPC-B tps. */
export const CHECKOUT_TARGET_RATIO = 0.15;

export interface CheckoutSample {
  /** 201 responses per second of the round: complete checkouts. */
  checkoutsPerSec: number;
  /** All responses per second (autocannon's mean of per-second samples). */
  reqPerSec: number;
  requests: number;
  created: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  p50Ms: number;
  p99Ms: number;
  durationS: number;
  /** CPU µs per 201, by process; Postgres: every postgres process on the machine. */
  ordersCpuUs: number;
  catalogCpuUs: number;
  postgresCpuUs: number | null;
  /** % of one core over the round. */
  ordersCpuPct: number;
  catalogCpuPct: number;
  postgresCpuPct: number | null;
  loadgenCpuPct: number;
  /** Orders still awaiting their payment's webhook when the load stopped, and how long they took to drain. */
  awaitingAtEnd: number;
  drainMs: number;
}

export interface PgbenchSample {
  tps: number;
  transactions: number;
  failed: number;
  p50Ms: number;
  p99Ms: number;
  latencyAvgMs: number;
  postgresCpuUs: number | null;
  postgresCpuPct: number | null;
  pgbenchCpuPct: number;
}

export interface CheckoutRound {
  round: number;
  baseline: PgbenchSample;
  candidate: CheckoutSample;
}

/** Per checkout, net of what the idle services did over as long (see checkout.ts). */
export interface CheckoutIo {
  checkouts: number;
  /** Orders → Postgres: protocol messages (wire-count.ts) and kinds (checkout-wire.ts). */
  ordersPg: Counts;
  ordersSql: Counts;
  ordersRedis: Counts;
  /** Orders → catalog HTTP requests by route. */
  ordersToCatalog: Counts;
  catalogPg: Counts;
  catalogSql: Counts;
  catalogRedis: Counts;
  /** The sandbox provider → orders (webhooks). */
  toOrders: Counts;
}

export interface EndState {
  /** Orders in the suite's database by status once every webhook was processed. */
  ordersByStatus: Record<string, number>;
  /** 201s answered over every timed round. */
  created: number;
  /** Every response over every timed round. */
  responses: number;
  /** catalog.reservations by status. */
  reservationsByStatus: Record<string, number>;
}

export interface CheckoutMeta {
  date: string;
  command: string;
  nproc: number;
  cpuModel: string;
  node: string;
  postgres: string;
  commit: string;
  commitAtEnd?: string;
  pinned: boolean;
  pinningNote: string;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  lines: number;
  products: number;
  stockPerProduct: number;
  users: number;
  pgbench: { clients: number; threads: number; scale: number; database: string };
  database: string;
  settings: string;
  logging: string;
  loadAvg: { start: number; end: number };
}

export interface CheckoutReport {
  meta: CheckoutMeta;
  rounds: CheckoutRound[];
  end: EndState;
  io: CheckoutIo | { error: string };
  notes: string[];
}

export interface Summary {
  ratio: RatioSummary;
  met: boolean;
  below: number;
  candidate: { [K in keyof CheckoutSample]: number | null };
  baseline: { [K in keyof PgbenchSample]: number | null };
}

function medianOf<T>(rows: readonly T[], pick: (r: T) => number | null): number | null {
  const values = rows.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  return values.length ? median(values) : null;
}

export function summarize(rounds: readonly CheckoutRound[]): Summary {
  const ratio = pairedRatios(
    rounds.map((r) => r.candidate.checkoutsPerSec),
    rounds.map((r) => r.baseline.tps),
  );
  const c = rounds.map((r) => r.candidate);
  const b = rounds.map((r) => r.baseline);
  const candidate = {} as Summary['candidate'];
  for (const key of Object.keys(c[0] ?? {}) as (keyof CheckoutSample)[]) {
    if (key === 'statuses') continue;
    candidate[key] = medianOf(c, (s) => s[key] as number | null);
  }
  const baseline = {} as Summary['baseline'];
  for (const key of Object.keys(b[0] ?? {}) as (keyof PgbenchSample)[]) {
    baseline[key] = medianOf(b, (s) => s[key]);
  }
  return {
    ratio,
    met: ratio.median >= CHECKOUT_TARGET_RATIO,
    below: ratio.perRound.filter((r) => r < CHECKOUT_TARGET_RATIO).length,
    candidate,
    baseline,
  };
}

const f0 = (v: number | null): string =>
  v === null ? 'n/a' : Math.round(v).toLocaleString('en-US');
const f1 = (v: number | null): string => (v === null ? 'n/a' : v.toFixed(1));
const f2 = (v: number): string => v.toFixed(2);
const pct = (n: number, d: number): string => (d > 0 ? `${((n / d) * 100).toFixed(1)} %` : 'n/a');

/** A count per checkout, with two decimals only when it is not whole. */
export function perCheckout(v: number | undefined): string {
  if (v === undefined || v === 0) return '0';
  return Math.abs(v - Math.round(v)) < 0.005 ? String(Math.round(v)) : v.toFixed(2);
}

const sum = (c: Counts, keys: (k: string) => boolean): number =>
  Object.entries(c)
    .filter(([k]) => keys(k))
    .reduce((a, [, v]) => a + v, 0);

/** Statements (Query + Execute), transactions (COMMIT + ROLLBACK) and round trips of one side. */
export function pgFigures(msgs: Counts, kinds: Counts) {
  return {
    statements: (msgs.Query ?? 0) + (msgs.Execute ?? 0),
    transactions: (kinds['tx:COMMIT'] ?? 0) + (kinds['tx:ROLLBACK'] ?? 0),
    roundTrips: kinds.roundTrips ?? 0,
    byVerb: Object.entries(kinds)
      .filter(([k]) => k.startsWith('sql:'))
      .sort(([, a], [, b]) => b - a)
      .map(([k, v]) => `${k.slice(4)} ${perCheckout(v)}`)
      .join(', '),
  };
}

function countsLine(c: Counts): string {
  const parts = Object.entries(c)
    .sort(([, a], [, b]) => b - a)
    .map(([k, v]) => `\`${k}\` ${perCheckout(v)}`);
  return parts.length ? parts.join(', ') : 'none';
}

export function ioTable(io: CheckoutIo): string[] {
  const o = pgFigures(io.ordersPg, io.ordersSql);
  const c = pgFigures(io.catalogPg, io.catalogSql);
  const http = sum(io.ordersToCatalog, () => true);
  const hooks = sum(io.toOrders, () => true);
  const redisO = sum(io.ordersRedis, () => true);
  const redisC = sum(io.catalogRedis, () => true);
  return [
    `| per checkout (${io.checkouts} sequential, net of idle) | orders | catalog | total |`,
    '|---|---:|---:|---:|',
    `| HTTP requests received | ${perCheckout(1 + hooks)} (1 checkout + ${perCheckout(hooks)} webhook) | ${perCheckout(http)} | ${perCheckout(1 + hooks + http)} |`,
    `| SQL statements | ${perCheckout(o.statements)} | ${perCheckout(c.statements)} | ${perCheckout(o.statements + c.statements)} |`,
    `| of which transactions (COMMIT/ROLLBACK) | ${perCheckout(o.transactions)} | ${perCheckout(c.transactions)} | ${perCheckout(o.transactions + c.transactions)} |`,
    `| Postgres round trips (Query + Sync) | ${perCheckout(o.roundTrips)} | ${perCheckout(c.roundTrips)} | ${perCheckout(o.roundTrips + c.roundTrips)} |`,
    `| Redis commands | ${perCheckout(redisO)} | ${perCheckout(redisC)} | ${perCheckout(redisO + redisC)} |`,
    '',
    `- orders → catalog: ${countsLine(io.ordersToCatalog)}`,
    `- sandbox → orders: ${countsLine(io.toOrders)}`,
    `- orders SQL by verb (BEGIN/COMMIT apart): ${o.byVerb || 'none'}`,
    `- catalog SQL by verb (BEGIN/COMMIT apart): ${c.byVerb || 'none'}`,
    `- orders Redis: ${countsLine(io.ordersRedis)}; catalog Redis: ${countsLine(io.catalogRedis)}`,
    `- orders Postgres messages: ${countsLine(io.ordersPg)}; catalog: ${countsLine(io.catalogPg)}`,
  ];
}

/** Whether the services' core (orders + catalog, both on core 0) set the pace. */
export function bottleneck(s: Summary): string {
  const core = (s.candidate.ordersCpuPct ?? 0) + (s.candidate.catalogCpuPct ?? 0);
  const perCheckout = (s.candidate.ordersCpuUs ?? 0) + (s.candidate.catalogCpuUs ?? 0);
  const ceiling = perCheckout > 0 ? 1e6 / perCheckout : Number.NaN;
  return (
    `orders + catalog used ${core.toFixed(0)} % of their core (median), ` +
    `${(perCheckout / 1000).toFixed(1)} ms of CPU per checkout: one core's ceiling is ` +
    `~${Number.isFinite(ceiling) ? Math.round(ceiling) : 'n/a'} checkouts/s` +
    (core >= 85 ? ", and the core was saturated: CPU on the services' core bounds the rate" : '')
  );
}

export function targetNote(s: Summary): string {
  const r = s.ratio;
  const verdict = s.met ? 'met' : 'MISSED';
  return (
    `target checkouts/s ≥ ${CHECKOUT_TARGET_RATIO} × pgbench tps: **${verdict}**, median ` +
    `${f2(r.median)} (${f2(r.min)}–${f2(r.max)}); ${s.below} of ${r.perRound.length} rounds below`
  );
}

export function markdownSection(report: CheckoutReport): string {
  const { meta: m, rounds, end } = report;
  const s = summarize(rounds);
  const c = s.candidate;
  const b = s.baseline;
  const statuses: Record<string, number> = {};
  for (const r of rounds) {
    for (const [k, v] of Object.entries(r.candidate.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
  }
  const responses = Object.values(statuses).reduce((a, v) => a + v, 0);
  const paid = end.ordersByStatus.paid ?? 0;
  const totalOrders = Object.values(end.ordersByStatus).reduce((a, v) => a + v, 0);
  const lines: string[] = [
    `## ${m.date.slice(0, 16).replace('T', ' ')} UTC — checkout vs pgbench (issue #5)`,
    '',
    `- command: \`${m.command}\``,
    `- machine: nproc ${m.nproc}, ${m.cpuModel}, Node ${m.node}, ${m.postgres}; load average ` +
      `${m.loadAvg.start.toFixed(1)} at start, ${m.loadAvg.end.toFixed(1)} at end`,
    `- commit: ${m.commit}${m.commitAtEnd ? ` (HEAD moved to ${m.commitAtEnd} during the run)` : ''}`,
    `- ${m.pinned ? 'pinned' : 'UNPINNED'}: ${m.pinningNote}`,
    `- ${m.rounds} rounds × ${m.durationS} s per side, warm-up ${m.warmupS} s, alternating ` +
      `pgbench then checkout; checkout load ${m.connections} connections; pgbench -c ` +
      `${m.pgbench.clients} -j ${m.pgbench.threads}, scale ${m.pgbench.scale}, database ` +
      `${m.pgbench.database}`,
    `- checkout: ${m.lines} cart lines per customer over ${m.products} products × ` +
      `${m.stockPerProduct.toLocaleString('en-US')} units; ${m.users.toLocaleString('en-US')} ` +
      `customers with a pre-filled cart, each checked out once; database ${m.database}`,
    `- Postgres: ${m.settings}`,
    `- logging: ${m.logging}`,
    '',
    '| | checkout (orders + catalog) | pgbench TPC-B-like |',
    '|---|---:|---:|',
    `| rate (median) | **${f0(c.checkoutsPerSec)} checkouts/s** (201s) | **${f0(b.tps)} tps** |`,
    `| p50 / p99 latency | ${f0(c.p50Ms)} / ${f0(c.p99Ms)} ms | ${f1(b.p50Ms)} / ${f1(b.p99Ms)} ms |`,
    `| CPU µs per checkout / per transaction | orders ${f0(c.ordersCpuUs)}, catalog ${f0(c.catalogCpuUs)}, Postgres ${f0(c.postgresCpuUs)} | Postgres ${f0(b.postgresCpuUs)} |`,
    `| CPU % of a core | orders ${f0(c.ordersCpuPct)}, catalog ${f0(c.catalogCpuPct)}, Postgres ${f0(c.postgresCpuPct)}, load gen ${f0(c.loadgenCpuPct)} | Postgres ${f0(b.postgresCpuPct)}, pgbench ${f0(b.pgbenchCpuPct)} |`,
    `| ratio checkouts/s ÷ tps | **${f2(s.ratio.median)}** (${f2(s.ratio.min)}–${f2(s.ratio.max)}) | target ≥ ${CHECKOUT_TARGET_RATIO} |`,
    '',
    `- ${targetNote(s)}`,
    `- responses over the timed rounds: ${responses.toLocaleString('en-US')}; 201: ` +
      `${(statuses['201'] ?? 0).toLocaleString('en-US')} (${pct(statuses['201'] ?? 0, responses)})` +
      (Object.keys(statuses).some((k) => k !== '201')
        ? `; others: ${Object.entries(statuses)
            .filter(([k]) => k !== '201')
            .map(([k, v]) => `${k} × ${v}`)
            .join(', ')}`
        : '; no other status'),
    `- end state, every order the run made (warm-up, checks and the counting pass included), ` +
      `once the webhooks were processed: ${totalOrders.toLocaleString('en-US')} orders, ` +
      `${paid.toLocaleString('en-US')} paid (${pct(paid, totalOrders)}); by status: ` +
      `${Object.entries(end.ordersByStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}; catalog reservations: ${Object.entries(end.reservationsByStatus)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ')}`,
    `- ${bottleneck(s)}`,
    `- awaiting payment when the load stopped (median): ${f0(c.awaitingAtEnd)} orders, ` +
      `drained in ${f0(c.drainMs)} ms`,
    '',
    '| round | pgbench tps | p50 / p99 ms | checkouts/s | p50 / p99 ms | ratio | orders µs | catalog µs | non-201 |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rounds.map((r, i) => {
      const x = r.candidate;
      const non201 = x.requests - x.created + x.errors;
      return (
        `| ${r.round} | ${f0(r.baseline.tps)} | ${f1(r.baseline.p50Ms)} / ${f1(r.baseline.p99Ms)} | ` +
        `${f0(x.checkoutsPerSec)} | ${x.p50Ms} / ${x.p99Ms} | ${f2(s.ratio.perRound[i] as number)} | ` +
        `${f0(x.ordersCpuUs)} | ${f0(x.catalogCpuUs)} | ${non201} |`
      );
    }),
    '',
  ];
  if ('error' in report.io) lines.push(`- I/O per checkout not counted: ${report.io.error}`, '');
  else lines.push(...ioTable(report.io), '');
  if (report.notes.length) lines.push(...report.notes.map((n) => `- ${n}`), '');
  const range = minMax(rounds.map((r) => r.candidate.checkoutsPerSec));
  lines.push(
    `_checkouts/s ranged ${f0(range.min)}–${f0(range.max)} over the rounds; read the ratio, ` +
      'not the absolute rate. Every figure here was written by the suite._',
    '',
  );
  return lines.join('\n');
}
