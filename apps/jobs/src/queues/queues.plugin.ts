// BullMQ wiring for the jobs service: a producer connection for Queues, a separate worker
// connection (BullMQ needs maxRetriesPerRequest: null there and blocks on it), one Worker
// per queue, queue-depth gauges read at scrape time, and an orderly close: workers finish
// their current jobs, then queues, then the connections BullMQ does not close itself.
import { closeRedis, createRedis } from '@meridian/redis';
import { type Processor, Queue, Worker } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { DEMO_QUEUE, type DemoPayload, type DemoResult } from './demo.queue.ts';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;

declare module 'fastify' {
  interface FastifyInstance {
    queues: {
      demo: Queue<DemoPayload, DemoResult>;
      all: Queue[];
      /** Starts the demo worker with the processor the service provides. */
      startDemoWorker(processor: Processor<DemoPayload, DemoResult>): Worker;
    };
  }
}

export interface QueuesOptions {
  redisUrl: string;
  /** Every BullMQ key starts with this, so tests and environments never collide. */
  prefix: string;
  concurrency: number;
}

const queuesPlugin: FastifyPluginAsync<QueuesOptions> = async (app, opts) => {
  const onError = (err: Error) => app.log.warn({ err }, 'queue redis connection error');
  const producer = createRedis({
    url: opts.redisUrl,
    role: 'producer',
    name: 'jobs:producer',
    onError,
  });
  const workerConn = createRedis({
    url: opts.redisUrl,
    role: 'worker',
    name: 'jobs:worker',
    onError,
  });
  const prefix = `${opts.prefix}bull`;

  const demo = new Queue<DemoPayload, DemoResult>(DEMO_QUEUE, { connection: producer, prefix });
  const all: Queue[] = [demo as unknown as Queue];
  const workers: Worker[] = [];

  app.decorate('queues', {
    demo,
    all,
    startDemoWorker(processor) {
      const worker = new Worker<DemoPayload, DemoResult>(DEMO_QUEUE, processor, {
        connection: workerConn,
        prefix,
        concurrency: opts.concurrency,
      });
      worker.on('failed', (job, err) =>
        app.log.warn(
          { err, jobId: job?.id, queue: DEMO_QUEUE, attempt: job?.attemptsMade },
          'job failed',
        ),
      );
      worker.on('error', (err) => app.log.error({ err }, 'worker error'));
      workers.push(worker as unknown as Worker);
      return worker as unknown as Worker;
    },
  });

  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [app.metrics.registry],
    async collect() {
      for (const queue of all) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });

  app.readiness.add('workers', async () => {
    const stopped = workers.filter((w) => !w.isRunning());
    if (stopped.length > 0) throw new Error(`${stopped.length} worker(s) not running`);
  });

  app.addHook('onClose', async () => {
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(all.map((q) => q.close()));
    await Promise.all([closeRedis(producer), closeRedis(workerConn)]);
  });
};

export const queues = fp(queuesPlugin, {
  name: 'jobs-queues',
  dependencies: ['@meridian/metrics', '@meridian/health'],
});
