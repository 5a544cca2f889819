// Per-route hooks, attached when a route is declared. A global hook has to ask every request
// which route it matched (request.routeOptions builds a fresh object each time, measurably
// slow); a hook attached in onRoute already knows, from its closure, and is skipped entirely
// on routes that do not want it. Requests that match no route get their own global hook.
import type { FastifyInstance, onResponseHookHandler, RouteOptions } from 'fastify';

export interface RouteFacts {
  /** The route template, e.g. /v1/products/:id. */
  url: string;
  config: RouteOptions['config'];
}

/**
 * Adds an onResponse hook to every route declared from now on (in this context), built from
 * the route's facts; `build` may return undefined to leave a route alone. `unmatched` runs
 * for requests no route matched (404s).
 */
export function onResponseByRoute(
  app: FastifyInstance,
  build: (route: RouteFacts) => onResponseHookHandler | undefined,
  unmatched: onResponseHookHandler,
): void {
  app.addHook('onRoute', (routeOptions) => {
    const hook = build({ url: routeOptions.url, config: routeOptions.config });
    if (!hook) return;
    const existing = routeOptions.onResponse;
    routeOptions.onResponse = existing
      ? [...(Array.isArray(existing) ? existing : [existing]), hook]
      : [hook];
  });
  app.addHook('onResponse', function onUnmatched(request, reply, done) {
    if (request.is404) return unmatched.call(this, request, reply, done);
    done();
  });
}
