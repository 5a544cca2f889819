// Shapes shared by the harness, its load-runner child, the report and results/latest.json.

export interface LoadOptions {
  url: string;
  connections: number;
  durationS: number;
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
}

export interface Round {
  round: number;
  baseline: Sample;
  candidate: Sample;
}

export interface SideSummary {
  label: string;
  path: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  cpuUsPerReq: number;
  serverCpuPct: number;
  loadgenCpuPct: number;
  requests: number;
  non2xx: number;
  errors: number;
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
  notes: string[];
}

export interface RunMeta {
  date: string;
  nproc: number;
  cpuModel: string;
  node: string;
  commit: string;
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
