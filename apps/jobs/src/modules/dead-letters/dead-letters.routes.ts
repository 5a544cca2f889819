// Operator routes for dead letters: list, inspect, retry, delete. Each needs jobs:admin.
import type { RoutePlugin } from '@meridian/service-kit';
import { Type } from 'typebox';
import {
  DeadLetterListSchema,
  DeadLetterParamsSchema,
  DeadLetterQuerySchema,
  DeadLetterSchema,
  RetryResponseSchema,
} from './dead-letters.schemas.ts';
import type { DeadLetterService } from './dead-letters.service.ts';

const Problem = Type.Ref('Problem');
const security: Record<string, string[]>[] = [{ bearerAuth: [] }];

export const deadLetterRoutes: RoutePlugin<{ deadLetters: DeadLetterService }> = async (
  app,
  { deadLetters },
) => {
  const jobsAdmin = {
    onRequest: [app.auth.required, app.auth.requirePermission('jobs:admin')],
  };

  app.get(
    '/dead-letters',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Jobs that will not be tried again, newest first',
        security,
        querystring: DeadLetterQuerySchema,
        response: { 200: DeadLetterListSchema, 400: Problem, 401: Problem, 403: Problem },
      },
    },
    async (request) => deadLetters.list(request.query),
  );

  app.get(
    '/dead-letters/:id',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'One dead letter: payload, reason, attempts and stack traces',
        security,
        params: DeadLetterParamsSchema,
        response: { 200: DeadLetterSchema, 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request) => deadLetters.get(request.params.id),
  );

  app.post(
    '/dead-letters/:id/retry',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Re-enqueue the original job with fresh attempts',
        security,
        params: DeadLetterParamsSchema,
        response: {
          202: RetryResponseSchema,
          400: Problem,
          401: Problem,
          403: Problem,
          404: Problem,
          409: Problem,
        },
      },
    },
    async (request, reply) => {
      const result = await deadLetters.retry(request.params.id);
      request.log.info(
        { deadLetterId: result.id, retryJobId: result.retryJobId, queue: result.queue },
        'dead letter retried',
      );
      return reply.code(202).send(result);
    },
  );

  app.delete(
    '/dead-letters/:id',
    {
      ...jobsAdmin,
      schema: {
        tags: ['jobs'],
        summary: 'Drop a dead letter for good',
        security,
        params: DeadLetterParamsSchema,
        response: { 204: Type.Null(), 400: Problem, 401: Problem, 403: Problem, 404: Problem },
      },
    },
    async (request, reply) => {
      await deadLetters.remove(request.params.id);
      return reply.code(204).send(null);
    },
  );
};
