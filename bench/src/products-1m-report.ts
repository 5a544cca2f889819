// The products-1m suite's figures and text: per-cell summaries over rounds, the paired ratios
// the targets of issue #4 are judged on, and the section appended to RESULTS.md. Pure
// functions, so the tests can check them without a database.
import type { ListSort, SqlText } from './products-1m-data.ts';
import type { SeqResult } from './seq-timer.ts';
import { median, minMax } from './stats.ts';
import type { LoadResult } from './types.ts';

/** One autocannon round against the route, with the catalog's CPU over the same window. */
export interface LoadedSample extends LoadResult {
  cpuUsPerReq: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
}

export type CellSpec =
  | {
      id: string;
      kind: 'http';
      what: 'list';
      sort: ListSort;
      page: number;
      /** How the page's cursor was obtained: none, walked through the route, or the codec. */
      cursorFrom: 'none' | 'walked' | 'codec';
      path: string;
    }
  | { id: string; kind: 'http'; what: 'search'; q: string; path: string }
  | {
      id: string;
      kind: 'sql';
      what: 'list';
      method: 'keyset' | 'offset';
      sort: ListSort;
      page: number;
      query: SqlText;
    }
  | { id: string; kind: 'sql'; what: 'search'; q: string; query: SqlText };

export interface CellRun {
  spec: CellSpec;
  /** One per round: one request or statement at a time. */
  seq: SeqResult[];
  /** One per round, HTTP cells only: autocannon at the run's connection count. */
  loaded: LoadedSample[];
}

export interface SeqSummary {
  /** Medians over rounds of each round's p50 and p99, in ms. */
  p50Ms: number;
  p99Ms: number;
  /** Over all rounds. */
  samples: number;
  errors: number;
  firstError?: string;
}

export interface LoadedSummary {
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  requests: number;
  /** Rounds in which not one response came back within the window. */
  silentRounds: number;
  non2xx: number;
  errors: number;
}

export interface Paired {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

export interface PlanSummary {
  what: string;
  executionMs: number;
  planningMs: number;
  sharedHit: number;
  sharedRead: number;
  /** The plan's nodes, outermost first, one line. */
  shape: string;
  /** EXPLAIN (ANALYZE, BUFFERS) as text, for results JSON. */
  text: string;
}

export interface SuiteMeta {
  date: string;
  command: string;
  nproc: number;
  cpuModel: string;
  node: string;
  commit: string;
  commitAtEnd?: string;
  pinned: boolean;
  pinningNote: string;
  rounds: number;
  httpDurationS: number;
  sqlDurationS: number;
  warmupS: number;
  connections: number;
  database: string;
  redis: string;
  loadAvg: { start: number; end: number };
  postgres: string;
  settings: string;
}

export interface DataFacts {
  count: number;
  products: number;
  listed: number;
  seedS: number | null;
  vacuumS: number;
  tableSize: string;
  lastFullPage: number;
  /** Walking the route to page 1,000, per sort: the walked cursor and the codec's agreed. */
  walks: { sort: ListSort; page: number; ms: number; sameAsCodec: boolean }[];
  /** Keyset and OFFSET SQL returned the same ids at every measured page. */
  pagesAgree: boolean;
  matches: Record<string, number>;
}

export interface SuiteReport {
  meta: SuiteMeta;
  data: DataFacts;
  cells: CellRun[];
  plans: PlanSummary[];
  notes: string[];
}

export const KEYSET_TARGET = 1.5;
export const SEARCH_TARGET_MS = 50;

const okSeq = (rounds: readonly SeqResult[]) => rounds.filter((r) => r.samples > 0);

export function summarizeSeq(rounds: readonly SeqResult[]): SeqSummary {
  const ok = okSeq(rounds);
  const med = (pick: (r: SeqResult) => number) =>
    ok.length ? median(ok.map(pick)) / 1000 : Number.NaN;
  const firstError = rounds.find((r) => r.firstError)?.firstError;
  return {
    p50Ms: med((r) => r.p50Us),
    p99Ms: med((r) => r.p99Us),
    samples: rounds.reduce((a, r) => a + r.samples, 0),
    errors: rounds.reduce((a, r) => a + r.errors, 0),
    ...(firstError ? { firstError } : {}),
  };
}

export function summarizeLoaded(rounds: readonly LoadedSample[]): LoadedSummary | null {
  if (rounds.length === 0) return null;
  const med = (pick: (r: LoadedSample) => number) => median(rounds.map(pick));
  // A round with no response has no latency and no CPU per request: not a 0 ms p99.
  const answered = rounds.filter((r) => r.requests > 0);
  const medAnswered = (pick: (r: LoadedSample) => number) =>
    answered.length ? median(answered.map(pick)) : Number.NaN;
  return {
    reqPerSec: med((r) => r.reqPerSec),
    p50Ms: medAnswered((r) => r.p50Ms),
    p99Ms: medAnswered((r) => r.p99Ms),
    cpuUsPerReq: medAnswered((r) => r.cpuUsPerReq),
    serverCpuPct: med((r) => r.serverCpuPct),
    loadgenCpuPct: med((r) => r.loadgenCpuPct),
    requests: med((r) => r.requests),
    silentRounds: rounds.length - answered.length,
    non2xx: rounds.reduce((a, r) => a + r.non2xx, 0),
    errors: rounds.reduce((a, r) => a + r.errors + r.timeouts, 0),
  };
}

/** a_i ÷ b_i round by round (rounds where either side has no figure are left out). */
export function pairRounds(a: readonly number[], b: readonly number[]): Paired | null {
  const perRound: number[] = [];
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i] as number;
    const y = b[i] as number;
    if (Number.isFinite(x) && Number.isFinite(y) && y > 0) perRound.push(x / y);
  }
  if (perRound.length === 0) return null;
  return { median: median(perRound), ...minMax(perRound), perRound };
}

export function findCell(
  cells: readonly CellRun[],
  pred: (s: CellSpec) => boolean,
): CellRun | undefined {
  return cells.find((c) => pred(c.spec));
}

const listHttp = (cells: readonly CellRun[], sort: ListSort, page: number) =>
  findCell(
    cells,
    (s) => s.kind === 'http' && s.what === 'list' && s.sort === sort && s.page === page,
  );
const listSql = (
  cells: readonly CellRun[],
  method: 'keyset' | 'offset',
  sort: ListSort,
  page: number,
) =>
  findCell(
    cells,
    (s) =>
      s.kind === 'sql' &&
      s.what === 'list' &&
      s.method === method &&
      s.sort === sort &&
      s.page === page,
  );

const p99s = (c: CellRun | undefined) => (c ? c.seq.map((r) => r.p99Us) : []);
const loadedP99s = (c: CellRun | undefined) =>
  c ? c.loaded.map((r) => (r.requests > 0 ? r.p99Ms : Number.NaN)) : [];

export interface DepthRatios {
  sort: ListSort;
  page: number;
  http: Paired | null;
  httpLoaded: Paired | null;
  sql: Paired | null;
}

/** p99 at `page` ÷ p99 at page 1, per round: the keyset target's figure. */
export function depthRatios(cells: readonly CellRun[], sort: ListSort, page: number): DepthRatios {
  return {
    sort,
    page,
    http: pairRounds(p99s(listHttp(cells, sort, page)), p99s(listHttp(cells, sort, 1))),
    httpLoaded: pairRounds(
      loadedP99s(listHttp(cells, sort, page)),
      loadedP99s(listHttp(cells, sort, 1)),
    ),
    sql: pairRounds(
      p99s(listSql(cells, 'keyset', sort, page)),
      p99s(listSql(cells, 'keyset', sort, 1)),
    ),
  };
}

const int = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
const dec = (v: number, digits: number): string => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
/** Milliseconds with sub-ms precision where it matters. */
export const ms = (v: number): string =>
  !Number.isFinite(v) ? 'n/a' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0);
const paired = (p: Paired | null, digits = 2): string =>
  p ? `${dec(p.median, digits)} (${dec(p.min, digits)}–${dec(p.max, digits)})` : 'n/a';
const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');

/** The keyset target: p99 at page 1,000 within 1.5× of page 1, judged per way of measuring. */
export function keysetTargetNotes(cells: readonly CellRun[], sorts: readonly ListSort[]): string[] {
  const out: string[] = [];
  for (const sort of sorts) {
    const d = depthRatios(cells, sort, 1000);
    const judge = (label: string, p: Paired | null) =>
      p
        ? `${label} ${dec(p.median, 2)}× ${verdict(p.median <= KEYSET_TARGET)} ` +
          `(${p.perRound.filter((r) => r > KEYSET_TARGET).length} of ${p.perRound.length} rounds above)`
        : `${label} not measured`;
    out.push(
      `target keyset p99 page 1,000 ÷ page 1 ≤ ${KEYSET_TARGET}× (${sort}): ` +
        `${judge('through the route, one request at a time', d.http)}; ` +
        `${judge('through the route under load', d.httpLoaded)}; ` +
        `${judge('the SQL alone', d.sql)}`,
    );
  }
  return out;
}

export function searchTargetNotes(cells: readonly CellRun[]): string[] {
  const http = cells.filter((c) => c.spec.kind === 'http' && c.spec.what === 'search');
  if (http.length === 0) return [];
  const rows = http.map((c) => {
    const q = c.spec.what === 'search' ? c.spec.q : '';
    const s = summarizeSeq(c.seq);
    return { q, p99: s.p99Ms, ok: s.p99Ms < SEARCH_TARGET_MS };
  });
  const missed = rows.filter((r) => !r.ok);
  return [
    `target search p99 < ${SEARCH_TARGET_MS} ms through the route, one request at a time: ` +
      `${verdict(missed.length === 0)} — ${rows.length - missed.length} of ${rows.length} ` +
      `queries under it` +
      (missed.length
        ? `; missed by ${missed.map((r) => `\`${r.q}\` (${ms(r.p99)} ms)`).join(', ')}`
        : ''),
  ];
}

function headerLines(r: SuiteReport): string[] {
  const m = r.meta;
  const d = r.data;
  const moved = m.commitAtEnd
    ? ` (HEAD moved to ${m.commitAtEnd} during the run: the catalog may run newer code)`
    : '';
  const seeded =
    d.seedS === null
      ? 'already there, seeding skipped'
      : `loaded this run by the catalog's bulk loader in ${d.seedS.toFixed(0)} s`;
  return [
    `## ${m.date.replace('T', ' ').replace(/\.\d+Z$/, ' UTC')} — products-1m (issue #4)`,
    '',
    `- Command: \`${m.command}\``,
    `- Machine: nproc ${m.nproc}, ${m.cpuModel}; Node ${m.node}; ${m.postgres}; ` +
      `${m.commit ? `commit ${m.commit}` : 'no commit'}${moved}`,
    `- Postgres settings: ${m.settings}`,
    `- Pinning: ${m.pinningNote}; Postgres is not pinned and shares both cores`,
    `- Data: database \`${m.database}\` (the suite's own), ${int(d.products)} products of which ` +
      `${int(d.listed)} listed (live and active), ${seeded}; VACUUM ANALYZE ${d.vacuumS.toFixed(1)} s; ` +
      `catalog.products with indexes ${d.tableSize}; last full page ${int(d.lastFullPage)}`,
    `- Rounds: ${m.rounds}, every cell once per round in a rotating order, after a ` +
      `${m.warmupS} s warm-up of each; HTTP cells ${m.httpDurationS} s one request at a time ` +
      `then ${m.httpDurationS} s under autocannon (${m.connections} connections, no pipelining); ` +
      `SQL cells ${m.sqlDurationS} s one statement at a time (at least 5 statements). Figures are ` +
      'medians over rounds of each round’s p50 / p99; ratios are paired by round: median (min–max)',
    '- One at a time: a keep-alive HTTP client or one pg connection on core 1, each call timed ' +
      'with performance.now() (µs). Under load: autocannon’s p50/p99 in whole ms, which at ' +
      `${m.connections} connections is mostly queueing (connections ÷ throughput)`,
    '- The catalog: `apps/catalog/src/server.ts` (buildApp with its real config) on core 0, ' +
      'DATABASE_URL at the suite’s database, LOG_LEVEL=info to /dev/null, RATE_LIMIT_MAX and ' +
      'RATE_LIMIT_USER_MAX 100000000 (the limiter still runs, one Redis call per request), ' +
      `Redis ${m.redis}`,
    `- 1-min load average: ${m.loadAvg.start.toFixed(2)} before the run, ` +
      `${m.loadAvg.end.toFixed(2)} at the end (this run alone adds about 2; more means others' work)` +
      (Math.max(m.loadAvg.start, m.loadAvg.end) > 2.5
        ? ': **other work was running on the machine during this run**, so tails (p99) are noisier'
        : ''),
    '',
  ];
}

function listSqlTable(r: SuiteReport, sorts: readonly ListSort[], pages: readonly number[]) {
  const lines = [
    '**Keyset vs OFFSET, the SQL alone** (the API’s page query through the raw `pg` driver, ' +
      'one connection; OFFSET is that query with `OFFSET (page−1)×20` instead of a cursor, ' +
      'same filters, ORDER BY and LIMIT 21):',
    '',
    '| sort | page | rows skipped by OFFSET | keyset p50 ms | keyset p99 ms | OFFSET p50 ms | ' +
      'OFFSET p99 ms | OFFSET ÷ keyset p99, per round | keyset p99 ÷ its page 1 | statements (keyset / OFFSET) |',
    '|---|---:|---:|---:|---:|---:|---:|---|---|---|',
  ];
  for (const sort of sorts) {
    for (const page of pages) {
      const k = listSql(r.cells, 'keyset', sort, page);
      const o = listSql(r.cells, 'offset', sort, page);
      if (!k && !o) continue;
      const ks = summarizeSeq(k?.seq ?? []);
      const os = summarizeSeq(o?.seq ?? []);
      const vs = pairRounds(p99s(o), p99s(k));
      const depth = page === 1 ? '1' : paired(depthRatios(r.cells, sort, page).sql);
      lines.push(
        `| ${sort} | ${int(page)} | ${int((page - 1) * 20)} | ${ms(ks.p50Ms)} | ${ms(ks.p99Ms)} | ` +
          `${ms(os.p50Ms)} | ${ms(os.p99Ms)} | ${paired(vs, 1)} | ${depth} | ` +
          `${ks.samples} / ${os.samples} |`,
      );
    }
  }
  lines.push('');
  return lines;
}

function listHttpTable(r: SuiteReport, sorts: readonly ListSort[]) {
  const m = r.meta;
  const lines = [
    '**Keyset pagination through the route** `GET /v1/products?sort=…&limit=20[&cursor=…]`:',
    '',
    '| sort | page | cursor | one at a time p50 ms | p99 ms | p99 ÷ page 1 | ' +
      `${m.connections} conns req/s | p50 ms | p99 ms | p99 ÷ page 1 | CPU µs/req | server CPU % | ` +
      'responses, all rounds (one at a time / under load) |',
    '|---|---:|---|---:|---:|---|---:|---:|---:|---|---:|---:|---:|',
  ];
  for (const sort of sorts) {
    const cells = r.cells.filter(
      (c) => c.spec.kind === 'http' && c.spec.what === 'list' && c.spec.sort === sort,
    );
    for (const c of cells) {
      if (c.spec.kind !== 'http' || c.spec.what !== 'list') continue;
      const s = summarizeSeq(c.seq);
      const l = summarizeLoaded(c.loaded);
      const d = depthRatios(r.cells, sort, c.spec.page);
      const first = c.spec.page === 1;
      lines.push(
        `| ${sort} | ${int(c.spec.page)} | ${c.spec.cursorFrom} | ${ms(s.p50Ms)} | ${ms(s.p99Ms)} | ` +
          `${first ? '1' : paired(d.http)} | ${l ? int(l.reqPerSec) : 'n/a'} | ` +
          `${l ? dec(l.p50Ms, 0) : 'n/a'} | ${l ? dec(l.p99Ms, 0) : 'n/a'} | ` +
          `${first ? '1' : paired(d.httpLoaded)} | ${l ? dec(l.cpuUsPerReq, 0) : 'n/a'} | ` +
          `${l ? dec(l.serverCpuPct, 0) : 'n/a'} | ${int(s.samples)} / ${int(c.loaded.reduce((a, r) => a + r.requests, 0))} |`,
      );
    }
  }
  lines.push('');
  return lines;
}

function searchTable(r: SuiteReport) {
  const m = r.meta;
  const lines = [
    '**Full-text search** `GET /v1/search/products?q=…` (first page, 20 hits) beside its SQL ' +
      '(searchPageQuery through the raw `pg` driver, one connection):',
    '',
    `| q | listed matches | route p50 ms | route p99 ms | SQL p50 ms | SQL p99 ms | route ÷ SQL p99 | ` +
      `${m.connections} conns req/s | p50 ms | p99 ms | non-2xx | CPU µs/req |`,
    '|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|',
  ];
  for (const c of r.cells) {
    if (c.spec.kind !== 'http' || c.spec.what !== 'search') continue;
    const q = c.spec.q;
    const sqlCell = findCell(r.cells, (s) => s.kind === 'sql' && s.what === 'search' && s.q === q);
    const s = summarizeSeq(c.seq);
    const qs = summarizeSeq(sqlCell?.seq ?? []);
    const l = summarizeLoaded(c.loaded);
    lines.push(
      `| \`${q.replaceAll('|', '\\|')}\` | ${int(r.data.matches[q] ?? Number.NaN)} | ${ms(s.p50Ms)} | ` +
        `${ms(s.p99Ms)} | ${ms(qs.p50Ms)} | ${ms(qs.p99Ms)} | ${paired(pairRounds(p99s(c), p99s(sqlCell)))} | ` +
        `${l ? int(l.reqPerSec) : 'n/a'} | ${l ? dec(l.p50Ms, 0) : 'n/a'} | ${l ? dec(l.p99Ms, 0) : 'n/a'} | ` +
        `${l ? int(l.non2xx + l.errors) : 'n/a'} | ${l ? dec(l.cpuUsPerReq, 0) : 'n/a'} |`,
    );
  }
  lines.push('');
  return lines;
}

export function errorNotes(cells: readonly CellRun[]): string[] {
  const out: string[] = [];
  for (const c of cells) {
    const s = summarizeSeq(c.seq);
    if (s.errors > 0) {
      out.push(`${c.spec.id}: ${s.errors} failed one at a time (${s.firstError ?? 'error'})`);
    }
    const l = summarizeLoaded(c.loaded);
    if (l && l.silentRounds > 0) {
      const window = c.loaded.map((r) => r.durationS).join('/');
      out.push(
        `${c.spec.id}: under load, ${l.silentRounds} of ${c.loaded.length} rounds got no ` +
          `response at all within their window (${window} s): every request queued behind the ` +
          'others; its p50/p99 are over the rounds that got some',
      );
    }
    if (l && l.non2xx + l.errors > 0) {
      out.push(
        `${c.spec.id}: under load ${l.non2xx} non-2xx and ${l.errors} socket errors/timeouts ` +
          'over all rounds; those rounds measured errors too',
      );
    }
  }
  return out;
}

export function markdownSection(
  r: SuiteReport,
  sorts: readonly ListSort[],
  pages: readonly number[],
): string {
  const lines = [
    ...headerLines(r),
    ...listHttpTable(r, sorts),
    ...listSqlTable(r, sorts, pages),
    ...searchTable(r),
  ];
  const walks = r.data.walks
    .map(
      (w) =>
        `${w.sort}: walked ${int(w.page - 1)} pages through the route in ${(w.ms / 1000).toFixed(1)} s, ` +
        `cursor ${w.sameAsCodec ? 'identical to' : 'DIFFERENT from'} the codec's`,
    )
    .join('; ');
  if (walks) lines.push(`- Page 1,000's cursor: ${walks}. Deeper pages use the codec's cursor.`);
  lines.push(
    `- Keyset and OFFSET returned ${r.data.pagesAgree ? 'the same rows' : 'DIFFERENT rows'} at every page measured.`,
  );
  for (const n of [...keysetTargetNotes(r.cells, sorts), ...searchTargetNotes(r.cells)]) {
    lines.push(`- **${n}**.`);
  }
  for (const p of r.plans) {
    lines.push(
      `- EXPLAIN (ANALYZE, BUFFERS) ${p.what}: ${ms(p.executionMs)} ms execution + ` +
        `${ms(p.planningMs)} ms planning, shared buffers hit ${int(p.sharedHit)} / read ` +
        `${int(p.sharedRead)}; ${p.shape}.`,
    );
  }
  for (const n of [...errorNotes(r.cells), ...r.notes]) lines.push(`- Note: ${n}.`);
  lines.push('');
  return lines.join('\n');
}
