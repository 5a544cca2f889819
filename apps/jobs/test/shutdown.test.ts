// SIGTERM while a job is running, against the real server entry (src/server.ts) in a child
// process: the active job finishes and is recorded, a job added after the signal is not
// taken but left waiting for the next worker (nothing lost), and the process exits 0.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@meridian/config';
import { enqueue, queuePrefix } from '@meridian/queues';
import { createTestDatabase, type TestDatabase, testEnv } from '@meridian/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { DEMO_JOB, demoQueue } from '../src/queues/demo.queue.ts';
import { query, waitFor } from './support/helpers.ts';

const SERVER = fileURLToPath(new URL('../src/server.ts', import.meta.url));

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
});
afterAll(async () => {
  await db.drop();
});

describe('SIGTERM while a job is active', () => {
  it('finishes the job, takes no new one, loses nothing, and exits 0', async () => {
    const env = testEnv({ DATABASE_URL: db.url, LOG_LEVEL: 'info', LOG_SYNC: 'true' });
    const child = spawn(process.execPath, ['--import', 'tsx', SERVER], {
      env: { ...process.env, ...env, SHUTDOWN_GRACE_MS: '15000' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const exited = once(child, 'exit');
    const { REDIS_URL, REDIS_PREFIX } = loadConfig(ConfigSchema, env);
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    const queue = new Queue(demoQueue.queue, {
      connection: redis,
      prefix: queuePrefix(REDIS_PREFIX),
    });
    try {
      await waitFor(
        async () => output,
        (o) => o.includes('Server listening'),
        {
          timeoutMs: 20_000,
          what: 'the server to listen',
        },
      );
      const slow = await enqueue(
        queue,
        demoQueue,
        DEMO_JOB,
        { message: 'slow', workMs: 1_500 },
        {
          jobId: crypto.randomUUID(),
        },
      );
      const slowId = String(slow.id);
      await waitFor(
        () => queue.getJobState(slowId),
        (s) => s === 'active',
        {
          what: 'the slow job to start',
        },
      );

      child.kill('SIGTERM');
      await waitFor(
        async () => output,
        (o) => o.includes('shutting down gracefully'),
        {
          what: 'shutdown to begin',
        },
      );
      const late = await enqueue(
        queue,
        demoQueue,
        DEMO_JOB,
        { message: 'late' },
        {
          jobId: crypto.randomUUID(),
        },
      );
      expect(await queue.getJobState(slowId)).toBe('active'); // still working on it

      const [code] = await exited;
      expect(code).toBe(0);
      expect(await queue.getJobState(slowId)).toBe('completed');
      const runs = await query<{ job_id: string }>(db.url, 'SELECT job_id FROM jobs.job_runs');
      expect(runs).toEqual([{ job_id: slowId }]);
      // The late job was not taken by a closing worker; it waits for the next one.
      expect(await queue.getJobState(String(late.id))).toBe('waiting');
      expect(await queue.getJobCounts('active', 'waiting', 'completed')).toEqual({
        active: 0,
        waiting: 1,
        completed: 1,
      });
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
      await queue.close();
      redis.disconnect();
    }
  });
});
