// One log line per request, written when the response is done: method, path (without the
// query string, which may hold tokens), route template, status and duration. It replaces
// Fastify's two default lines; logging is the largest per-request cost (bench/RESULTS.md).
import type { FastifyPluginAsync, onResponseHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { onResponseByRoute } from './route-hooks.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Probes and scrapes: log them only when they fail, or they drown everything else. */
    quiet?: boolean;
  }
}

const logAs =
  (route: string | undefined, quiet: boolean): onResponseHookHandler =>
  (request, reply, done) => {
    const status = reply.statusCode;
    if (quiet && status < 400) return done();
    const q = request.url.indexOf('?');
    const entry = {
      method: request.method,
      path: q === -1 ? request.url : request.url.slice(0, q),
      route,
      statusCode: status,
      durationMs: Math.round(reply.elapsedTime * 100) / 100,
    };
    if (status >= 500) request.log.error(entry, 'request completed');
    else request.log.info(entry, 'request completed');
    done();
  };

const accessLogPlugin: FastifyPluginAsync = async (app) => {
  onResponseByRoute(
    app,
    ({ url, config }) => logAs(url, (config as { quiet?: boolean } | undefined)?.quiet === true),
    logAs(undefined, false),
  );
};

export default fp(accessLogPlugin, { name: '@meridian/access-log', fastify: '5.x' });
