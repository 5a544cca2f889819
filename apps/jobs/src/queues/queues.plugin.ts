// BullMQ wiring for the jobs service: a producer connection for Queues, a separate worker
// connection (BullMQ needs maxRetriesPerRequest: null there and blocks on it), one Queue and
// one Worker per registered contract (runtime.ts), the dead-letter queue, metrics per queue,
// and an orderly close: workers finish their active jobs and take no new ones, then queues,
// then the connections BullMQ does not close itself. See docs/job-reliability.md.
import { type QueueContract, queuePrefix } from '@meridian/queues';
import { closeRedis, createRedis } from '@meridian/redis';
import type { Queue, Worker } from 'bullmq';
import { Queue as BullQueue } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Gauge } from 'prom-client';
import { type DeadLetters, openDeadLetters } from './dead-letters.queue.ts';
import { createJobMetrics } from './metrics.ts';
import {
  createWorker,
  type JobHandlers,
  type RuntimeDeps,
  type WorkerSettings,
} from './runtime.ts';

export const JOB_STATES = ['waiting', 'active', 'delayed', 'completed', 'failed'] as const;

export interface RegisteredQueue {
  contract: QueueContract;
  queue: Queue;
  worker: Worker;
}

export interface JobQueues {
  /** Opens the contract's queue for producing and starts its worker with these handlers. */
  register<C extends QueueContract>(
    contract: C,
    handlers: JobHandlers<C>,
    settings: WorkerSettings,
  ): RegisteredQueue;
  /** A consumed queue by name. */
  get(name: string): RegisteredQueue | undefined;
  /** Every queue this service knows, the dead-letter queue last. */
  all(): Queue[];
  deadLetters: DeadLetters;
  /** The producer connection, for the few keys kept beside BullMQ's (dead-letter retries). */
  redis: RuntimeDeps['connection'];
}

declare module 'fastify' {
  interface FastifyInstance {
    queues: JobQueues;
  }
}

export interface QueuesOptions {
  redisUrl: string;
  /** REDIS_PREFIX: every BullMQ key starts with `<prefix>bull`, so environments never collide. */
  prefix: string;
  reliability: RuntimeDeps['reliability'];
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
  const prefix = queuePrefix(opts.prefix);

  const deadLetters = openDeadLetters(producer, prefix);
  const registered = new Map<string, RegisteredQueue>();
  const deps: RuntimeDeps = {
    connection: workerConn,
    prefix,
    log: app.log,
    deadLetters,
    metrics: createJobMetrics(app.metrics.registry),
    reliability: opts.reliability,
  };

  const queues: JobQueues = {
    register(contract, handlers, settings) {
      if (registered.has(contract.queue))
        throw new Error(`queue ${contract.queue} registered twice`);
      const queue = new BullQueue(contract.queue, {
        connection: producer,
        prefix,
        defaultJobOptions: contract.jobOptions,
      });
      const worker = createWorker(contract, handlers, settings, deps);
      const entry = { contract, queue, worker };
      registered.set(contract.queue, entry);
      return entry;
    },
    get: (name) => registered.get(name),
    all: () => [...[...registered.values()].map((r) => r.queue), deadLetters.queue as Queue],
    deadLetters,
    redis: producer,
  };
  app.decorate('queues', queues);

  new Gauge({
    name: 'queue_jobs',
    help: 'Jobs per queue and state, read from Redis at scrape time',
    labelNames: ['queue', 'state'] as const,
    registers: [app.metrics.registry],
    async collect() {
      for (const queue of queues.all()) {
        const counts = await queue.getJobCounts(...JOB_STATES);
        for (const state of JOB_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
      }
    },
  });

  app.readiness.add('workers', async () => {
    const stopped = [...registered.values()].filter((r) => !r.worker.isRunning());
    if (stopped.length > 0) throw new Error(`${stopped.length} worker(s) not running`);
  });

  // Runs before the database pool closes (registered after it), so an active job that is
  // finishing during shutdown can still write its result.
  app.addHook('onClose', async () => {
    const workers = [...registered.values()].map((r) => r.worker);
    // close() stops fetching at once and resolves when the active jobs have finished.
    await Promise.all(workers.map((w) => w.close()));
    await Promise.all(queues.all().map((q) => q.close()));
    await Promise.all([closeRedis(producer), closeRedis(workerConn)]);
  });
};

export const queues = fp(queuesPlugin, {
  name: 'jobs-queues',
  dependencies: ['@meridian/metrics', '@meridian/health'],
});
