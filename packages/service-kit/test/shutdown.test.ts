// Graceful shutdown of a real process: SIGTERM while requests are in flight → every one
// of them completes, new connections are refused, and the process exits 0.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SERVER = fileURLToPath(new URL('./fixtures/fixture-server.ts', import.meta.url));

async function startServer(): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
    env: { ...process.env, LOG_LEVEL: 'info', SHUTDOWN_GRACE_MS: '10000' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buffer = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('server did not start in 20 s')), 20_000);
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const match = buffer.match(/listening at http:\/\/127\.0\.0\.1:(\d+)/);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => reject(new Error(`server exited early with ${code}`)));
  });
  child.stdout?.resume();
  return { child, port };
}

describe('SIGTERM with requests in flight', () => {
  it('completes all of them and exits 0', async () => {
    const { child, port } = await startServer();
    const inFlight = Array.from({ length: 5 }, () =>
      fetch(`http://127.0.0.1:${port}/v1/slow?ms=1500`).then(async (r) => ({
        status: r.status,
        body: await r.json(),
      })),
    );
    await new Promise((r) => setTimeout(r, 300)); // let the requests reach the handler
    const exited = once(child, 'exit');
    child.kill('SIGTERM');

    const results = await Promise.all(inFlight);
    expect(results).toEqual(Array(5).fill({ status: 200, body: { waited: 1500 } }));

    const [code] = await exited;
    expect(code).toBe(0);
  });
});
