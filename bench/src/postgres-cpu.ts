// CPU time of a local Postgres server, all its processes together: every process named
// `postgres` (postmaster, backends, walwriter, checkpointer, autovacuum) plus what the
// postmaster has reaped from children that exited (cutime + cstime), so a backend that ends
// inside a window still counts. Machine-wide: it includes anyone else's queries.
import { readdirSync, readFileSync } from 'node:fs';

interface ProcStat {
  pid: number;
  comm: string;
  ppid: number;
  /** utime + stime */
  own: number;
  /** cutime + cstime: children waited for */
  reaped: number;
}

/** One /proc/<pid>/stat line (proc(5)); null when it is not one. */
export function parseStat(line: string): ProcStat | null {
  const open = line.indexOf('(');
  const close = line.lastIndexOf(')');
  if (open === -1 || close === -1) return null;
  // After ')' the first field is field 3 (state); ppid is field 4; utime..cstime 14..17.
  const f = line
    .slice(close + 1)
    .trim()
    .split(/\s+/)
    .map(Number);
  const at = (field: number) => f[field - 3] as number;
  if (![4, 14, 15, 16, 17].every((n) => Number.isFinite(at(n)))) return null;
  return {
    pid: Number(line.slice(0, open).trim()),
    comm: line.slice(open + 1, close),
    ppid: at(4),
    own: at(14) + at(15),
    reaped: at(16) + at(17),
  };
}

/** Ticks of every `postgres` process, plus the reaped children of the one(s) at the top. */
export function postgresTicksFrom(stats: readonly (ProcStat | null)[]): number | null {
  const pg = stats.filter((s): s is ProcStat => s?.comm === 'postgres');
  if (pg.length === 0) return null;
  const pids = new Set(pg.map((s) => s.pid));
  return pg.reduce((total, s) => total + s.own + (pids.has(s.ppid) ? 0 : s.reaped), 0);
}

/** The local Postgres's CPU ticks now, or null when no postgres process is visible. */
export function postgresTicks(): number | null {
  const stats: (ProcStat | null)[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      stats.push(parseStat(readFileSync(`/proc/${name}/stat`, 'utf8')));
    } catch {
      // Gone between listing and reading.
    }
  }
  return postgresTicksFrom(stats);
}
