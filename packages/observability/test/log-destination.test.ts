// The asynchronous log destination batches lines (one write per 4 KiB), so what must hold is
// that batching never hides or loses a line: a lone line on a quiet service shows up within
// the flush interval, and lines still buffered when the process exits are written.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const WRITER = fileURLToPath(new URL('./fixtures/log-writer.ts', import.meta.url));

function run(mode: 'idle' | 'exit') {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, mode], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return { child, lines: () => out.split('\n').filter(Boolean) };
}

describe('asynchronous log destination', () => {
  it('shows a lone line within the flush interval, without waiting for 4 KiB or exit', async () => {
    const { child, lines } = run('idle');
    try {
      const started = Date.now();
      while (lines().length === 0 && Date.now() - started < 4_000) {
        await new Promise((r) => setTimeout(r, 25));
      }
      expect(lines()).toHaveLength(1);
      expect(JSON.parse(lines()[0] as string)).toMatchObject({ msg: 'first', n: 1 });
      expect(child.exitCode).toBeNull(); // still running: the timer flushed it, not the exit
    } finally {
      child.kill();
    }
  });

  it('writes every buffered line when the process exits', async () => {
    const { child, lines } = run('exit');
    await new Promise((r) => child.on('close', r));
    expect(lines().map((l) => (JSON.parse(l) as { n: number }).n)).toEqual(
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });
});
