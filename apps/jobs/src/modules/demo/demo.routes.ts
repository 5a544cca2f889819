// HTTP routes for the demo queue: enqueue, follow one job, list finished runs, queue depths.
// All of them are operator tools, so each needs an access token carrying jobs:admin.
import type { RoutePlugin } from '@meridian/service-kit';
import type { Queue } from 'bullmq';
import { Type } from 'typebox';
import { DemoPayloadSchema } from '../../queues/demo.queue.ts';
import { JOB_STATES } from '../../queues/queues.plugin.ts';
import {
  DemoJobStatusSchema,
  EnqueueResponseSchema,
  JobParamsSchema,
  JobRunQuerySchema,
  JobRunSchema,
  QueueCountsSchema,
} from './demo.schemas.ts';
import type { DemoService } from './demo.service.ts';

const Problem = Type.Ref('Problem');
const security: Record<string, string[]>[] = [{ bearerAuth: [] }];

export const demoRoutes: RoutePlugin<{ demo: DemoService; queues: () => Queue[] }> = async (
  app,
  { demo, queues },
) => {
  const jobsAdmin = {
    // Both before body parsing: a caller without the permission learns nothing about the body.
    onRequest: [app.auth.required, app.auth.requirePermission('jobs:admin')],
  };

  app.post(
    '/demo-jobs',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Enqueue a demo job; a worker echoes the message and records the run',
        security,
        body: DemoPayloadSchema,
        response: { 202: EnqueueResponseSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request, reply) => {
      const jobId = await demo.enqueue(request.body, request.id);
      const statusUrl = `/v1/demo-jobs/${jobId}`;
      return reply.code(202).header('location', statusUrl).send({ jobId, statusUrl });
    },
  );

  app.get(
    '/demo-jobs/:id',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Where a demo job is: waiting, active, completed or failed',
        security,
        params: JobParamsSchema,
        response: {
          200: DemoJobStatusSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
        },
      },
    },
    async (request) => demo.status(request.params.id),
  );

  app.get(
    '/job-runs',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'The most recently finished jobs, newest first',
        security,
        querystring: JobRunQuerySchema,
        response: {
          200: Type.Object({ items: Type.Array(JobRunSchema) }),
          400: Problem,
          401: Problem,
          403: Problem,
        },
      },
    },
    async (request) => ({ items: await demo.recentRuns(request.query.limit) }),
  );

  app.get(
    '/queues',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Job counts per queue and state',
        security,
        response: { 200: QueueCountsSchema, 401: Problem, 403: Problem },
      },
    },
    async () => ({
      items: await Promise.all(
        queues().map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...JOB_STATES) })),
      ),
    }),
  );
};
