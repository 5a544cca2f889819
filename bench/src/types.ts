// Shapes shared by the harness, its load-runner child, the report and results/latest.json.

/** What each request of a round sends. GET with no headers unless a scenario says otherwise. */
export interface RequestSpec {
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  /** Sent as is; set content-type in headers. */
  body?: string;
}

export interface LoadOptions extends RequestSpec {
  url: string;
  connections: number;
  durationS: number;
  /** autocannon's per-request timeout, seconds (10 unless the scenario needs longer). */
  timeoutS?: number;
}

export interface LoadResult {
  /** Mean of autocannon's per-second samples. */
  reqPerSec: number;
  /** Completed responses, any status. */
  requests: number;
  /** Whole milliseconds: autocannon's latency histogram does not keep fractions. */
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  durationS: number;
}

/** One side of one round: the load result plus the server's CPU over the same window. */
export interface Sample extends LoadResult {
  cpuTicks: number;
  cpuUsPerReq: number;
  /** Server CPU over the window as % of one core: well under 100 means it was not the limit. */
  serverCpuPct: number;
  /** The load generator's CPU, same window: near 100 means it was the limit. */
  loadgenCpuPct: number;
  /** cpuUsPerReq split by thread, from /proc/<pid>/task/<tid>/stat. */
  threads?: ThreadSplit;
  /**
   * Event-loop delay p99 per ~1 s window, in ms, as prom-client reports it: scraped from the
   * service's /metrics (or measured the same way inside a bench worker). See README.md.
   */
  eventLoopP99Ms?: number[];
}

export interface Round {
  round: number;
  baseline: Sample;
  candidate: Sample;
}

export interface SideSummary {
  label: string;
  path: string;
  /** How the request is shown when it is not `GET <path>`, e.g. `POST /v1/auth/token`. */
  request?: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** Median over rounds of each part of Sample.threads, when measured. */
  threads?: ThreadSplit;
  /** Over every ~1 s window of every round, when measured. */
  eventLoopP99?: LagSummary;
}

/**
 * CPU µs per request by thread. `main` is the event loop's JavaScript (the thread whose tid
 * is the pid). `pool` is the four busiest other threads: libuv's pool (UV_THREADPOOL_SIZE 4)
 * when it has work, as argon2 gives it; Linux does not name Node 20's threads, so they are
 * picked by CPU. `other` is the rest: GC helpers, the compiler.
 */
export interface ThreadSplit {
  main: number;
  pool: number;
  other: number;
}

export interface LagSummary {
  windows: number;
  medianMs: number;
  maxMs: number;
}

/** What the issue asks of a scenario; the report says whether the run met it. */
export interface Target {
  /** The median candidate ÷ baseline req/s ratio must be at least this. */
  ratio: number;
  /** The candidate's worst scraped event-loop p99 must stay below this (ms). */
  eventLoopP99Ms?: number;
}

export interface RatioFigures {
  median: number;
  min: number;
  max: number;
  perRound: number[];
}

/** Redis commands and SQL statements per request, net of what the idle service does. */
export interface IoCounts {
  requests: number;
  redisPerReq: number;
  sqlPerReq: number;
  redisByCommand: Record<string, number>;
  pgByMessage: Record<string, number>;
}

export interface ScenarioResult {
  name: string;
  description: string;
  candidate: SideSummary;
  baseline: SideSummary;
  /** candidate / baseline req/s, paired by round. */
  ratio: RatioFigures;
  /** candidate / baseline CPU µs per request, paired by round. */
  cpuRatio: RatioFigures;
  rounds: Round[];
  io: IoCounts | { error: string } | null;
  /** The same count for the baseline, when it is a service too (auth-overhead). */
  baselineIo?: IoCounts | { error: string };
  target?: Target;
  /** Figures that explain the ratio, measured outside the timed rounds (see the scenario). */
  explain?: string[];
  notes: string[];
}

export interface RunMeta {
  date: string;
  nproc: number;
  cpuModel: string;
  node: string;
  commit: string;
  /** Set when HEAD moved while the run was going: servers started later ran newer code. */
  commitAtEnd?: string;
  command: string;
  pinned: boolean;
  pinningNote: string;
  clockTicksPerSecond: number;
  rounds: number;
  durationS: number;
  warmupS: number;
  connections: number;
  logging: string;
  /** DATABASE_URL and REDIS_URL the services were given, passwords removed. */
  services: string;
  /** 1-minute load average when the run started and ended: others' work on the machine. */
  loadAvg: { start: number; end: number };
  targetRatio: number;
}

export interface RunReport {
  meta: RunMeta;
  scenarios: ScenarioResult[];
  skipped: { name: string; reason: string }[];
}
