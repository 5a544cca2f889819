// Child processes of a run: pinning with taskset, readiness, CPU readings from /proc, and a
// registry that kills every child on exit, error or Ctrl-C so no server outlives the harness.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseProcStatTicks } from './stats.ts';

export interface Pinning {
  enabled: boolean;
  note: string;
}

/** Server on core 0, load generator on core 1, when the machine allows it. */
export function detectPinning(): Pinning {
  // availableParallelism honours the affinity mask we were started with, like `nproc`.
  const cores = availableParallelism();
  if (cores < 2) {
    return { enabled: false, note: `unpinned: only ${cores} core available (need 2)` };
  }
  try {
    execFileSync('taskset', ['--version'], { stdio: 'ignore' });
  } catch {
    return { enabled: false, note: 'unpinned: taskset not found (Debian package util-linux)' };
  }
  return { enabled: true, note: 'server on core 0, load generator on core 1 (taskset)' };
}

/** The argv to exec: prefixed with `taskset -c <core>` when pinning is on. */
export function pinnedArgv(pinning: Pinning, core: number, argv: readonly string[]): string[] {
  return pinning.enabled ? ['taskset', '-c', String(core), ...argv] : [...argv];
}

const live = new Set<ChildProcess>();

export interface SpawnOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Keep stdout readable (the harness parses it); otherwise it goes to /dev/null. */
  pipeStdout: boolean;
  /** File that receives stderr, so a crash can be explained; nothing is written normally. */
  stderrFile: string;
}

export function spawnTracked(argv: readonly string[], opts: SpawnOptions): ChildProcess {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('empty argv');
  // The out/ folder is git-ignored: a fresh clone (CI) has none until something makes it.
  mkdirSync(dirname(opts.stderrFile), { recursive: true });
  const stderr = openSync(opts.stderrFile, 'w');
  // taskset execs the target, so child.pid is the server itself and /proc/<pid> is its CPU.
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['ignore', opts.pipeStdout ? 'pipe' : 'ignore', stderr],
  });
  // The child has its own copy of the descriptor now.
  closeSync(stderr);
  live.add(child);
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  return child;
}

export function exited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

function waitExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (exited(child)) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

/** SIGTERM (a graceful close), then SIGKILL if the child is still there after graceMs. */
export async function stopChild(child: ChildProcess, graceMs = 5000): Promise<void> {
  if (exited(child)) return;
  child.kill('SIGTERM');
  if (await waitExit(child, graceMs)) return;
  child.kill('SIGKILL');
  await waitExit(child, 2000);
}

/** Synchronous, so it can run inside process.on('exit'). */
export function killAllNow(): void {
  for (const child of live) {
    if (!exited(child)) child.kill('SIGKILL');
  }
  live.clear();
}

export function installCleanup(): void {
  process.once('exit', killAllNow);
  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    process.once(signal, () => {
      console.error(`\n${signal}: stopping child processes`);
      killAllNow();
      process.exit(code);
    });
  }
}

/** A port that was free a moment ago, for servers that must be told their port. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}

function childGone(child: ChildProcess): Promise<never> {
  return new Promise((_, reject) => {
    const fail = () =>
      reject(new Error(`exited early (code ${child.exitCode}, signal ${child.signalCode})`));
    if (exited(child)) fail();
    child.once('exit', fail);
    child.once('error', (err) => reject(err));
  });
}

/** Waits for the `{"listening":PORT}` line a bench server prints once it listens. */
export async function waitForAnnouncedPort(
  child: ChildProcess,
  timeoutMs: number,
): Promise<number> {
  const stdout = child.stdout;
  if (!stdout) throw new Error('stdout is not piped');
  const lines = createInterface({ input: stdout });
  const announced = new Promise<number>((resolve) => {
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { listening?: unknown };
        if (typeof msg.listening === 'number') resolve(msg.listening);
      } catch {
        // Not ours: a server may print other lines; keep reading (and draining) stdout.
      }
    });
  });
  const timeout = sleep(timeoutMs).then(() => {
    throw new Error(`did not announce its port within ${timeoutMs / 1000} s`);
  });
  return Promise.race([announced, timeout, childGone(child)]);
}

/** Polls GET path until it answers 200, the child dies, or the deadline passes. */
export async function waitForHttp200(
  child: ChildProcess,
  port: number,
  path: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  const maxPolls = Math.ceil(timeoutMs / 200) + 1;
  for (let i = 0; i < maxPolls && Date.now() < deadline; i++) {
    if (exited(child)) {
      throw new Error(`exited early (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    try {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        signal: AbortSignal.timeout(1000),
      });
      const body = await res.text();
      if (res.status === 200) return;
      last = `HTTP ${res.status} ${body.slice(0, 300)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`GET ${path} was not 200 within ${timeoutMs / 1000} s (last: ${last})`);
}

/** utime + stime of a live process, in clock ticks. */
export function cpuTicks(pid: number): number {
  return parseProcStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** utime + stime of each live thread of a process, by tid. */
export function threadTicks(pid: number): Map<number, number> {
  const out = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      out.set(
        Number(tid),
        parseProcStatTicks(readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')),
      );
    } catch {
      // The thread ended between listing and reading: its time is in no window we report.
    }
  }
  return out;
}

/**
 * Waits until a process has gone quiet: at most `maxTicks` of CPU in a 250 ms window.
 * autocannon abandons the requests in flight when a round ends, and a server still working
 * through them (a login storm leaves seconds of queued hashing) would eat into the next
 * side's round on the same core. Returns how long it took, in ms.
 */
export async function waitQuiet(pid: number, maxTicks = 2, timeoutMs = 60_000): Promise<number> {
  const t0 = performance.now();
  let last = cpuTicks(pid);
  while (performance.now() - t0 < timeoutMs) {
    await sleep(250);
    const now = cpuTicks(pid);
    if (now - last <= maxTicks) return performance.now() - t0;
    last = now;
  }
  return performance.now() - t0;
}

export function clockTicksPerSecond(): number {
  try {
    const n = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    if (Number.isInteger(n) && n > 0) return n;
  } catch {
    // getconf missing: fall through to Linux's near-universal value.
  }
  return 100;
}
