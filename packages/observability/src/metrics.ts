// Prometheus metrics: one registry per app instance (tests build many apps in one process),
// Node runtime metrics including event-loop lag, and the RED histogram for HTTP. The route
// label is the route template (/v1/products/:id), never the raw URL, so cardinality stays
// bounded whatever clients send. See docs/observability.md.
import type { FastifyPluginAsync, FastifySchema, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { onResponseByRoute } from './route-hooks.ts';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: { registry: Registry };
  }
}

export interface MetricsOptions {
  service: string;
}

const UNMATCHED_ROUTE = 'unmatched';

const metricsPlugin: FastifyPluginAsync<MetricsOptions> = async (app, opts) => {
  const registry = new Registry();
  registry.setDefaultLabels({ service: opts.service });
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 20 });

  const httpDuration = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });

  app.decorate('metrics', { registry });

  // Callback-style hooks on the request path: no promise per request.
  const observeAs =
    (route: string): onResponseHookHandler =>
    (request, reply, done) => {
      httpDuration.observe(
        { method: request.method, route, status_code: reply.statusCode },
        reply.elapsedTime / 1000,
      );
      done();
    };
  onResponseByRoute(app, ({ url }) => observeAs(url), observeAs(UNMATCHED_ROUTE));

  app.get(
    '/metrics',
    // `hide` is read by @fastify/swagger: scrape endpoints are not part of the public API.
    { schema: { hide: true } as FastifySchema, config: { rateLimit: false, quiet: true } },
    async (_request, reply) => {
      reply.type(registry.contentType);
      return registry.metrics();
    },
  );

  app.addHook('onClose', async () => {
    registry.clear();
  });
};

export default fp(metricsPlugin, { name: '@meridian/metrics', fastify: '5.x' });
