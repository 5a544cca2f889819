// Running TypeScript entry points as child processes (through tsx, since Node 20 cannot
// strip types), and waiting for them.
import { type ChildProcess, spawn } from 'node:child_process';
import { ROOT } from './services.ts';

export function runTs(
  file: string,
  env: NodeJS.ProcessEnv,
  opts: { watch?: boolean; stdio?: 'inherit' | 'pipe'; ownGroup?: boolean } = {},
): ChildProcess {
  // cwd is the repo root, so `--import tsx` resolves the workspace's own tsx.
  const args = opts.watch
    ? [`${ROOT}node_modules/tsx/dist/cli.mjs`, 'watch', '--clear-screen=false', file]
    : ['--import', 'tsx', file];
  return spawn(process.execPath, args, {
    cwd: ROOT,
    env,
    stdio: ['ignore', opts.stdio ?? 'pipe', opts.stdio ?? 'pipe'],
    // In its own process group, a child does not also receive the terminal's Ctrl-C: the
    // parent forwards exactly one SIGTERM (a second signal means "exit now" to the service).
    detached: opts.ownGroup ?? false,
  });
}

/** Runs a script to completion; rejects with its output if it fails. */
export function runTsToEnd(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = runTs(file, env);
    let output = '';
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`${file} exited with ${code}:\n${output}`)),
    );
  });
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (${last})`);
}
