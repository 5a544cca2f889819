// The products-1m suite on a tiny dataset: its setup (migrate, bulk load, VACUUM ANALYZE), its
// cursors (codec and walked through the real route), its keyset and OFFSET statements, its
// search statement and its sequential timer all run, and its report renders. No timing is
// asserted: figures come from `pnpm bench:products-1m`, never from a test.
// Needs Postgres and Redis (DATABASE_URL / REDIS_URL, the usual local defaults), like the
// catalog's own tests. The database it makes (meridian_bench_products_240) is dropped after.
import type { ChildProcess } from 'node:child_process';
import { resolve } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, spawnTracked, stopChild, waitForHttp200 } from '../src/processes.ts';
import {
  benchDatabaseUrl,
  databaseName,
  ids,
  keysetSql,
  lastFullPage,
  measuredPages,
  offsetSql,
  PAGE_SIZE,
  type PreparedDatabase,
  pageStartByCodec,
  prepareDatabase,
  searchMatches,
  searchSql,
  walkToPage,
} from '../src/products-1m-data.ts';
import {
  type CellRun,
  depthRatios,
  keysetTargetNotes,
  markdownSection,
  pairRounds,
  type SuiteReport,
  searchTargetNotes,
} from '../src/products-1m-report.ts';
import { BENCH_DIR, REPO_DIR } from '../src/scenarios.ts';
import { runSequential, type SeqResult } from '../src/seq-timer.ts';
import { percentile } from '../src/stats.ts';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/meridian';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const COUNT = 240;

describe('percentile (nearest rank)', () => {
  it('is a value of the list, never an interpolation', () => {
    const xs = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(99);
    expect(percentile(xs, 100)).toBe(100);
  });
  it('is the maximum for p99 of fewer than 100 values', () => {
    expect(percentile([5, 1, 9, 3], 99)).toBe(9);
    expect(percentile([7], 50)).toBe(7);
  });
  it('refuses an empty list or a p out of range', () => {
    expect(() => percentile([], 50)).toThrow(RangeError);
    expect(() => percentile([1], 0)).toThrow(RangeError);
  });
});

describe('the pages measured', () => {
  it('keeps pages 1, 1,000, 10,000, 25,000 and the last full one, where they exist', () => {
    expect(measuredPages(48_494)).toEqual({
      sql: [1, 1000, 10_000, 25_000, 48_494],
      http: [1, 1000, 48_494],
    });
    expect(measuredPages(12)).toEqual({ sql: [1, 12], http: [1, 12] });
    expect(lastFullPage(969_897)).toBe(48_494);
  });
  it('names the database after the count, next to DATABASE_URL', () => {
    const url = benchDatabaseUrl('postgres://u:p@db.example:5433/meridian?x=1', 1_000_000);
    expect(databaseName(url)).toBe('meridian_bench_products_1000000');
    expect(new URL(url).host).toBe('db.example:5433');
  });
});

const seq = (p50Ms: number, p99Ms: number): SeqResult => ({
  samples: 100,
  p50Us: p50Ms * 1000,
  p99Us: p99Ms * 1000,
  meanUs: p50Ms * 1000,
  maxUs: p99Ms * 1000,
  errors: 0,
  size: 21,
  durationS: 1,
});

describe('the report', () => {
  const cells: CellRun[] = [
    {
      spec: {
        id: 'http:newest:p1',
        kind: 'http',
        what: 'list',
        sort: 'newest',
        page: 1,
        cursorFrom: 'none',
        path: '/v1/products?sort=newest&limit=20',
      },
      seq: [seq(2, 4), seq(2, 5)],
      loaded: [],
    },
    {
      spec: {
        id: 'http:newest:p1000',
        kind: 'http',
        what: 'list',
        sort: 'newest',
        page: 1000,
        cursorFrom: 'walked',
        path: '/v1/products?sort=newest&limit=20&cursor=x',
      },
      seq: [seq(2, 5), seq(2, 10)],
      loaded: [],
    },
    {
      spec: { id: 'http:search:0', kind: 'http', what: 'search', q: 'laptop', path: '/x' },
      seq: [seq(30, 60), seq(30, 70)],
      loaded: [],
    },
  ];

  it('pairs ratios round by round', () => {
    expect(pairRounds([5, 10], [4, 5])?.perRound).toEqual([1.25, 2]);
    expect(pairRounds([1], [0])).toBeNull();
    expect(depthRatios(cells, 'newest', 1000).http?.median).toBeCloseTo(1.625);
  });

  it('says MISSED when a target is missed', () => {
    expect(keysetTargetNotes(cells, ['newest'])[0]).toMatch(/one request at a time 1\.63× MISSED/);
    expect(searchTargetNotes(cells)[0]).toMatch(/MISSED .*`laptop` \(65\.0 ms\)/);
  });

  it('renders a section with every table', () => {
    const report: SuiteReport = {
      meta: {
        date: '2026-11-28T12:00:00.000Z',
        command: 'pnpm bench:products-1m',
        nproc: 2,
        cpuModel: 'CPU',
        node: 'v20',
        commit: 'abc',
        pinned: true,
        pinningNote: 'pinned',
        rounds: 2,
        httpDurationS: 1,
        sqlDurationS: 1,
        warmupS: 0,
        connections: 50,
        database: 'meridian_bench_products_240',
        redis: 'redis://127.0.0.1:6379',
        loadAvg: { start: 1, end: 2 },
        postgres: 'PostgreSQL 15',
        settings: 'shared_buffers 16384 × 8kB',
      },
      data: {
        count: 240,
        products: 240,
        listed: 233,
        seedS: null,
        vacuumS: 0.1,
        tableSize: '1 MB',
        lastFullPage: 11,
        walks: [],
        pagesAgree: true,
        matches: { laptop: 17 },
      },
      cells,
      plans: [],
      notes: [],
    };
    const md = markdownSection(report, ['newest'], [1, 1000]);
    expect(md).toContain('## 2026-11-28 12:00:00 UTC — products-1m (issue #4)');
    expect(md).toContain('**Keyset pagination through the route**');
    expect(md).toContain('**Full-text search**');
    expect(md).toContain('| `laptop` | 17 |');
    expect(md).toContain('seeding skipped');
  });
});

describe('setup and measurement on a tiny dataset', () => {
  let db: PreparedDatabase;
  let pool: pg.Pool;
  let catalog: ChildProcess | null = null;
  let base = '';

  beforeAll(async () => {
    db = await prepareDatabase({
      repoDir: REPO_DIR,
      baseUrl: DATABASE_URL,
      count: COUNT,
      quiet: true,
    });
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    const port = await freePort();
    catalog = spawnTracked(
      ['node', '--import', 'tsx', resolve(REPO_DIR, 'apps/catalog/src/server.ts')],
      {
        cwd: resolve(REPO_DIR, 'apps/catalog'),
        env: {
          ...process.env,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'silent',
          DATABASE_URL: db.url,
          REDIS_URL,
          REDIS_PREFIX: `bench_products_test_${process.pid}:`,
          RATE_LIMIT_MAX: '100000000',
        },
        pipeStdout: false,
        stderrFile: resolve(BENCH_DIR, 'out/products-1m-test-catalog.stderr.log'),
      },
    );
    await waitForHttp200(catalog, port, '/health/ready', 30_000);
    base = `http://127.0.0.1:${port}`;
  }, 120_000);

  afterAll(async () => {
    if (catalog) await stopChild(catalog);
    await pool?.end();
    const adminUrl = new URL(DATABASE_URL);
    adminUrl.pathname = '/postgres';
    const admin = new pg.Client({ connectionString: adminUrl.toString() });
    await admin.connect();
    try {
      await admin.query(
        `DROP DATABASE IF EXISTS "${databaseName(benchDatabaseUrl(DATABASE_URL, COUNT))}" WITH (FORCE)`,
      );
    } finally {
      await admin.end();
    }
  }, 60_000);

  it('loads the products once, and skips the loader when they are there', async () => {
    expect(db.products).toBe(COUNT);
    expect(db.listed).toBeGreaterThan(COUNT * 0.9);
    const again = await prepareDatabase({
      repoDir: REPO_DIR,
      baseUrl: DATABASE_URL,
      count: COUNT,
      quiet: true,
    });
    expect(again.seedS).toBeNull();
    expect(again.products).toBe(COUNT);
  }, 60_000);

  it('walks the route to the same cursor the codec builds, and keyset pages equal OFFSET pages', async () => {
    const page = 4;
    for (const sort of ['newest', 'price_asc'] as const) {
      const codec = await pageStartByCodec(pool, sort, page);
      const walked = await walkToPage(base, sort, page);
      expect(walked.cursor).toBe(codec.cursor);
      const keyset = await ids(pool, keysetSql(pool, sort, codec.keyset));
      const offset = await ids(pool, offsetSql(pool, sort, page));
      expect(keyset).toHaveLength(PAGE_SIZE + 1);
      expect(keyset).toEqual(offset);
      // The route's page is the SQL's page, minus the look-ahead row.
      const res = await fetch(
        `${base}/v1/products?sort=${sort}&limit=20&cursor=${encodeURIComponent(codec.cursor)}`,
      );
      const body = (await res.json()) as { items: { id: string }[] };
      expect(body.items.map((i) => i.id)).toEqual(keyset.slice(0, PAGE_SIZE));
    }
  }, 60_000);

  it('runs the search statement and times statements and requests one at a time', async () => {
    const q = 'laptop';
    const matches = await searchMatches(pool, q);
    expect(matches).toBeGreaterThan(0);
    const s = searchSql(q);
    const sqlRun = await runSequential({
      mode: 'sql',
      databaseUrl: db.url,
      sql: s.sql,
      params: s.params,
      durationS: 0.2,
      minSamples: 3,
    });
    expect(sqlRun.errors).toBe(0);
    expect(sqlRun.samples).toBeGreaterThanOrEqual(3);
    expect(sqlRun.size).toBe(Math.min(matches, PAGE_SIZE + 1));
    const httpRun = await runSequential({
      mode: 'http',
      url: `${base}/v1/search/products?q=${q}`,
      durationS: 0.2,
      minSamples: 3,
    });
    expect(httpRun.errors).toBe(0);
    expect(httpRun.p99Us).toBeGreaterThanOrEqual(httpRun.p50Us);
  }, 60_000);
});
