// The service kit: everything generic a Meridian service is built from.

/** A module's routes: a plugin whose schemas type its handlers (TypeBox provider). */
export type { FastifyPluginAsyncTypebox as RoutePlugin } from '@fastify/type-provider-typebox';
export {
  createService,
  type ServiceAuthOptions,
  type ServiceInstance,
  type ServiceOptions,
} from './create-service.ts';
export type { ReadinessCheck } from './health.ts';
export {
  type HttpCacheOptions,
  httpCache,
  ifNoneMatchMatches,
  strongEtag,
} from './http-cache.ts';
export { type RunOptions, runService } from './run-service.ts';
