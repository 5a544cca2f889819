// buildApp(config): the jobs service, assembled top-down: the kit, the queues, one worker per
// consumed queue with its concurrency and rate limit, then the HTTP routes that enqueue and
// inspect. jobsService is also a plain plugin so the services can later share one process
// (ARC-02).

import { catalogEvents, orderEvents } from '@meridian/queues';
import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { RateLimiterOptions } from 'bullmq';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from './config.ts';
import { createJobsDb } from './db/client.ts';
import { deadLetterRoutes } from './modules/dead-letters/dead-letters.routes.ts';
import { deadLetterService } from './modules/dead-letters/dead-letters.service.ts';
import { demoRoutes } from './modules/demo/demo.routes.ts';
import { demoService } from './modules/demo/demo.service.ts';
import { lowStockService } from './modules/low-stock/low-stock.service.ts';
import { orderEventsService } from './modules/order-events/order-events.service.ts';
import { DEMO_JOB, demoQueue } from './queues/demo.queue.ts';
import { queues } from './queues/queues.plugin.ts';

const limiter = (max: number, duration: number): RateLimiterOptions | undefined =>
  max > 0 ? { max, duration } : undefined;

export const jobsService: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  await app.register(queues, {
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    reliability: {
      lockDurationMs: config.JOBS_LOCK_DURATION_MS,
      stalledIntervalMs: config.JOBS_STALLED_INTERVAL_MS,
      maxStalledCount: config.JOBS_MAX_STALLED_COUNT,
      backoffMaxMs: config.JOBS_BACKOFF_MAX_MS,
    },
  });
  const db = createJobsDb(app.pg);

  // Workers: one per consumed queue.
  const demoQ = app.queues.register(
    demoQueue,
    { [DEMO_JOB]: (data, ctx) => demo.process(data, ctx) },
    { concurrency: config.JOBS_CONCURRENCY },
  );
  const demo = demoService(db, demoQ.queue);
  app.queues.register(orderEvents, orderEventsService(db).handlers, {
    concurrency: config.ORDER_EVENTS_CONCURRENCY,
    limiter: limiter(config.ORDER_EVENTS_RATE_MAX, config.ORDER_EVENTS_RATE_DURATION_MS),
  });
  app.queues.register(catalogEvents, lowStockService(db).handlers, {
    concurrency: config.CATALOG_EVENTS_CONCURRENCY,
    limiter: limiter(config.CATALOG_EVENTS_RATE_MAX, config.CATALOG_EVENTS_RATE_DURATION_MS),
  });

  // HTTP: operator tools, all behind jobs:admin.
  await app.register(demoRoutes, { prefix: '/v1', demo, queues: app.queues.all });
  await app.register(deadLetterRoutes, {
    prefix: '/v1',
    deadLetters: deadLetterService({
      deadLetters: app.queues.deadLetters,
      queueNamed: app.queues.get,
      redis: app.queues.redis,
      prefix: config.REDIS_PREFIX,
    }),
  });
};

export async function buildApp(config: Config): Promise<ServiceInstance> {
  return createService({
    name: 'jobs',
    version: '0.1.0',
    description: 'Background work: BullMQ queues and workers, retries and dead letters.',
    config,
    routes: jobsService,
    routesOptions: { config },
  });
}
