// buildApp(config): the jobs service, assembled top-down: the kit, the queues, the workers,
// then the HTTP routes that enqueue and inspect. jobsService is also a plain plugin so the
// services can later share one process (ARC-02).

import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from './config.ts';
import { createJobsDb } from './db/client.ts';
import { demoRoutes } from './modules/demo/demo.routes.ts';
import { demoService } from './modules/demo/demo.service.ts';
import { assertDemoPayload } from './queues/demo.queue.ts';
import { queues } from './queues/queues.plugin.ts';

export const jobsService: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  await app.register(queues, {
    redisUrl: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    concurrency: config.JOBS_CONCURRENCY,
  });
  const demo = demoService(createJobsDb(app.pg), app.queues.demo);

  app.queues.startDemoWorker(async (job) =>
    demo.process({
      id: String(job.id),
      queue: job.queueName,
      name: job.name,
      data: assertDemoPayload(job.data),
      attempts: job.attemptsMade + 1,
    }),
  );

  await app.register(demoRoutes, { prefix: '/v1', demo, queues: app.queues.all });
};

export async function buildApp(config: Config): Promise<ServiceInstance> {
  return createService({
    name: 'jobs',
    version: '0.1.0',
    description: 'Background work: BullMQ queues and workers.',
    config,
    routes: jobsService,
    routesOptions: { config },
  });
}
