// A worker process killed with SIGKILL mid-job: its lock expires, the stalled-job checker of
// the restarted service moves the job back to waiting, and it completes, with its side effect
// (one timeline row) applied exactly once, whether the kill came before or after the effect
// was committed.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '@meridian/config';
import { enqueue, ORDER_CREATED, orderEvents, queuePrefix } from '@meridian/queues';
import { createTestDatabase, type TestDatabase, testEnv } from '@meridian/testing';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import { ConfigSchema } from '../src/config.ts';
import { DB_SCHEMA, MIGRATIONS_FOLDER } from '../src/db/client.ts';
import { orderCreated } from './support/events.ts';
import { query, waitFor } from './support/helpers.ts';

const WORKER = fileURLToPath(new URL('./fixtures/order-worker.ts', import.meta.url));
const LOCK_MS = 1_000;
const STALLED_MS = 300;

let db: TestDatabase;
let dir: string;
beforeAll(async () => {
  db = await createTestDatabase({ schema: DB_SCHEMA, migrationsFolder: MIGRATIONS_FOLDER });
  dir = mkdtempSync(join(tmpdir(), 'jobs-stalled-'));
});
afterAll(async () => {
  await db.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe('a worker killed with SIGKILL mid-job', () => {
  it.each(['before-effect', 'after-effect'])(
    'killed %s: after restart the job completes and its effect exists exactly once',
    async (killPoint) => {
      const env = testEnv({
        DATABASE_URL: db.url,
        JOBS_LOCK_DURATION_MS: String(LOCK_MS),
        JOBS_STALLED_INTERVAL_MS: String(STALLED_MS),
      });
      // The restarted service's config: a quick stalled-job checker.
      const config = loadConfig(ConfigSchema, env);
      const prefix = queuePrefix(config.REDIS_PREFIX);
      const signalFile = join(dir, `${killPoint}.started`);
      const child: ChildProcess = spawn(process.execPath, ['--import', 'tsx', WORKER], {
        env: {
          ...process.env,
          ...env,
          SIGNAL_FILE: signalFile,
          KILL_POINT: killPoint,
          LOCK_DURATION_MS: String(LOCK_MS),
          // Every worker of a queue must use the same interval: a check also leaves a marker
          // in Redis that holds off every other worker's check for that long.
          STALLED_INTERVAL_MS: String(STALLED_MS),
        },
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const exited = once(child, 'exit');

      const redis = new Redis(config.REDIS_URL, { maxRetriesPerRequest: null });
      const queue = new Queue(orderEvents.queue, { connection: redis, prefix });
      const event = orderCreated();
      await enqueue(queue, orderEvents, ORDER_CREATED, event, { jobId: event.eventId });

      // The child has the job and is hanging at the kill point.
      await waitFor(async () => existsSync(signalFile), Boolean, {
        timeoutMs: 20_000,
        what: 'the worker process to start the job',
      });
      expect(await queue.getJobState(event.eventId)).toBe('active');
      child.kill('SIGKILL');
      const [, signal] = await exited;
      expect(signal).toBe('SIGKILL');
      const rowsAtKill = await query(
        db.url,
        'SELECT 1 FROM jobs.order_timeline WHERE event_id = $1',
        [event.eventId],
      );
      expect(rowsAtKill).toHaveLength(killPoint === 'after-effect' ? 1 : 0);

      // Restart: the real service.
      const app = await buildApp(config);
      await app.ready();
      try {
        const done = await waitFor(
          async () => ({
            state: await queue.getJobState(event.eventId),
            job: await queue.getJob(event.eventId),
          }),
          (s) => s.state === 'completed',
          { timeoutMs: 15_000, what: 'the recovered job to complete' },
        );
        // attemptsMade counts finished attempts: the killed one never finished.
        expect(done.job?.attemptsMade).toBe(1);
        expect(done.job?.returnvalue).toEqual({ applied: killPoint === 'before-effect' });
        const rows = await query(db.url, 'SELECT 1 FROM jobs.order_timeline WHERE event_id = $1', [
          event.eventId,
        ]);
        expect(rows).toHaveLength(1);
        expect(await queue.getJobCounts('active', 'waiting', 'failed')).toEqual({
          active: 0,
          waiting: 0,
          failed: 0,
        });
      } finally {
        await app.close();
        await queue.close();
        redis.disconnect();
      }
    },
  );
});
