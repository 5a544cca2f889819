// The production artifact: `pnpm build` bundles a service into one file that runs on plain
// Node with no TypeScript tooling. Built here for jobs (the widest dependency surface: the
// kit, drizzle, BullMQ, jose), then run as a process: it must verify an access token against
// a JWKS over HTTP, serve, process a job, show its docs UI from the copied assets, and stop
// cleanly on SIGTERM.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createTestDatabase,
  createTestIssuer,
  type TestDatabase,
  type TestIssuer,
  uniquePrefix,
} from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const JOBS = join(ROOT, 'apps/jobs');
const outDir = mkdtempSync(join(tmpdir(), 'meridian-bundle-'));
let db: TestDatabase;
let issuer: TestIssuer;

beforeAll(async () => {
  issuer = await createTestIssuer();
  db = await createTestDatabase({ schema: 'jobs', migrationsFolder: join(JOBS, 'migrations') });
  execFileSync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'scripts/build-service.ts'), outDir],
    {
      cwd: JOBS,
      stdio: 'pipe',
    },
  );
}, 60_000);

afterAll(async () => {
  rmSync(outDir, { recursive: true, force: true });
  await db?.drop();
  await issuer?.close();
});

describe('the jobs bundle', () => {
  it('runs on plain node: serves, processes a job, shows docs, stops on SIGTERM', async () => {
    const child = spawn(process.execPath, [join(outDir, 'server.js')], {
      env: {
        PATH: process.env.PATH,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        DATABASE_URL: db.url,
        REDIS_PREFIX: uniquePrefix('bundle'),
        ...issuer.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr?.on('data', (d) => (out += d));
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listen line:\n${out}`)), 20_000);
      child.stdout?.on('data', (d) => {
        out += d;
        const m = out.match(/listening at http:\/\/127\.0\.0\.1:(\d+)/);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const base = `http://127.0.0.1:${port}`;
    const token = await issuer.sign({
      sub: 'admin-1',
      roles: ['admin'],
      permissions: ['jobs:admin'],
    });
    const authorization = `Bearer ${token}`;
    try {
      expect((await fetch(`${base}/v1/queues`)).status).toBe(401);
      const queued = await fetch(`${base}/v1/demo-jobs`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization },
        body: JSON.stringify({ message: 'from the bundle' }),
      });
      expect(queued.status).toBe(202);
      const { statusUrl } = (await queued.json()) as { statusUrl: string };
      let state = '';
      for (let i = 0; i < 100 && state !== 'completed'; i++) {
        const res = await fetch(`${base}${statusUrl}`, { headers: { authorization } });
        state = ((await res.json()) as { state: string }).state;
        if (state !== 'completed') await new Promise((r) => setTimeout(r, 50));
      }
      expect(state).toBe('completed');
      const css = await fetch(`${base}/docs/static/swagger-ui.css`);
      expect(css.status).toBe(200);
      // Read the body: an unread response keeps its connection busy and delays shutdown.
      expect((await css.text()).length).toBeGreaterThan(1000);
      expect((await fetch(`${base}/health/ready`)).status).toBe(200);
      expect(issuer.fetchCount()).toBe(1);
    } finally {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = await exited;
      expect(code).toBe(0);
    }
  }, 30_000);
});
