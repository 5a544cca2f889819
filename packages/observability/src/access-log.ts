// One log line per request, written when the response is done: method, path (without the
// query string, which may hold tokens), route template, status and duration. It replaces
// Fastify's two default lines; logging is the largest per-request cost (bench/RESULTS.md).
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probes and scrapes: log them only when they fail, or they drown everything else. */
    quiet?: boolean;
  }
}

const accessLogPlugin: FastifyPluginAsync = async (app) => {
  app.addHook('onResponse', async (request, reply) => {
    const status = reply.statusCode;
    if (status < 400 && request.routeOptions.config.quiet) return;
    const q = request.url.indexOf('?');
    const entry = {
      method: request.method,
      path: q === -1 ? request.url : request.url.slice(0, q),
      route: request.routeOptions.url,
      statusCode: status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (status >= 500) request.log.error(entry, 'request completed');
    else request.log.info(entry, 'request completed');
  });
};

export default fp(accessLogPlugin, { name: '@meridian/access-log', fastify: '5.x' });
