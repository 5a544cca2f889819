// HTTP routes for the demo queue: enqueue, follow one job, list finished runs, queue depths.
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

export const demoRoutes: RoutePlugin<{ demo: DemoService; queues: Queue[] }> = async (
  app,
  { demo, queues },
) => {
  app.post(
    '/demo-jobs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Enqueue a demo job; a worker echoes the message and records the run',
        body: DemoPayloadSchema,
        response: { 202: EnqueueResponseSchema, 400: Problem },
      },
    },
    async (request, reply) => {
      const jobId = await demo.enqueue(request.body);
      const statusUrl = `/v1/demo-jobs/${jobId}`;
      return reply.code(202).header('location', statusUrl).send({ jobId, statusUrl });
    },
  );

  app.get(
    '/demo-jobs/:id',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Where a demo job is: waiting, active, completed or failed',
        params: JobParamsSchema,
        response: { 200: DemoJobStatusSchema, 400: Problem, 404: Problem },
      },
    },
    async (request) => demo.status(request.params.id),
  );

  app.get(
    '/job-runs',
    {
      schema: {
        tags: ['jobs'],
        summary: 'The most recently finished jobs, newest first',
        querystring: JobRunQuerySchema,
        response: { 200: Type.Object({ items: Type.Array(JobRunSchema) }), 400: Problem },
      },
    },
    async (request) => ({ items: await demo.recentRuns(request.query.limit) }),
  );

  app.get(
    '/queues',
    {
      schema: {
        tags: ['jobs'],
        summary: 'Job counts per queue and state',
        response: { 200: QueueCountsSchema },
      },
    },
    async () => ({
      items: await Promise.all(
        queues.map(async (q) => ({ name: q.name, counts: await q.getJobCounts(...JOB_STATES) })),
      ),
    }),
  );
};
