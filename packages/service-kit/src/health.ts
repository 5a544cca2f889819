// Liveness and readiness. Live answers "is this process able to serve at all" and checks
// nothing external, so an orchestrator never restarts every replica because Postgres blinked.
// Ready answers "should traffic come here": every dependency within a deadline, in parallel.
// See docs/operations.md.

import { sendProblem } from '@meridian/errors';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { Type } from 'typebox';

export type ReadinessCheck = () => Promise<void>;

declare module 'fastify' {
  interface FastifyInstance {
    readiness: { add(name: string, check: ReadinessCheck): void };
  }
}

const HealthSchema = Type.Object({
  status: Type.Literal('ok'),
  checks: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.Literal('up'), Type.Literal('down')])),
  ),
});

const healthPlugin: FastifyPluginAsync = async (app) => {
  const checks = new Map<string, ReadinessCheck>();
  app.decorate('readiness', {
    add(name: string, check: ReadinessCheck) {
      checks.set(name, check);
    },
  });

  const common = { config: { rateLimit: false, quiet: true } };

  app.get(
    '/health/live',
    {
      ...common,
      schema: {
        tags: ['health'],
        summary: 'Liveness: the process is up and its event loop turns',
        response: { 200: HealthSchema },
      },
    },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/health/ready',
    {
      ...common,
      schema: {
        tags: ['health'],
        summary: 'Readiness: every dependency answered within its deadline',
        response: { 200: HealthSchema, 503: { $ref: 'Problem' } },
      },
    },
    async (request, reply) => {
      const names = [...checks.keys()];
      const results = await Promise.allSettled([...checks.values()].map((check) => check()));
      const status: Record<string, 'up' | 'down'> = {};
      const failing: string[] = [];
      results.forEach((r, i) => {
        const name = names[i] as string;
        status[name] = r.status === 'fulfilled' ? 'up' : 'down';
        if (r.status === 'rejected') {
          failing.push(name);
          request.log.warn({ dependency: name, err: r.reason }, 'readiness check failed');
        }
      });
      if (failing.length === 0) return { status: 'ok' as const, checks: status };
      return sendProblem(request, reply, {
        status: 503,
        code: 'not-ready',
        title: 'Service not ready',
        detail: `Unavailable: ${failing.join(', ')}`,
        failing,
        checks: status,
      });
    },
  );
};

export default fp(healthPlugin, { name: '@meridian/health', fastify: '5.x' });
