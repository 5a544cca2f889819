// buildApp(config): the catalog service, assembled top-down. It never listens (server.ts
// does), so tests build it and use inject(). catalogService is also a plain Fastify plugin,
// so the same service can later run inside one process beside the others (ARC-02).

import { createOutboxRelay } from '@meridian/outbox';
import { catalogEvents, queuePrefix } from '@meridian/queues';
import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyPluginAsync } from 'fastify';
import type { Config } from './config.ts';
import { createCatalogDb } from './db/client.ts';
import { outbox } from './db/schema/index.ts';
import { batchReads } from './graphql/batch.ts';
import { graphqlRoutes } from './graphql/graphql.routes.ts';
import { openCategoryCache } from './modules/categories/categories.cache.ts';
import { categoryRoutes } from './modules/categories/categories.routes.ts';
import { categoryService } from './modules/categories/categories.service.ts';
import { categoryRoutesV2 } from './modules/categories/categories.v2.routes.ts';
import { imageRoutes } from './modules/images/images.routes.ts';
import { imageService } from './modules/images/images.service.ts';
import { inventoryRoutes } from './modules/inventory/inventory.routes.ts';
import { inventoryService, startExpirySweep } from './modules/inventory/inventory.service.ts';
import { openProductCache } from './modules/products/products.cache.ts';
import { productRoutes } from './modules/products/products.routes.ts';
import { productService } from './modules/products/products.service.ts';
import { searchRoutes } from './modules/search/search.routes.ts';
import { searchService } from './modules/search/search.service.ts';

export const catalogService: FastifyPluginAsync<{ config: Config }> = async (app, { config }) => {
  const db = createCatalogDb(app.pg);
  // What every catalog cache shares: the request connection, REDIS_URL for its subscriber,
  // the key prefix, the metrics registry and the logger (src/cache.ts).
  const cacheOptions = (ttlMs: number, localTtlMs: number) => ({
    redis: app.redis,
    url: config.REDIS_URL,
    prefix: config.REDIS_PREFIX,
    ttlMs,
    localTtlMs,
    registry: app.metrics.registry,
    log: app.log,
  });
  // The category list, tree and breadcrumbs through the two-tier cache, wired like the
  // product cache below (its own subscriber connection, closed with this scope).
  const categoryCache = await openCategoryCache(
    cacheOptions(config.CATEGORY_CACHE_TTL_MS, config.CATEGORY_CACHE_LOCAL_TTL_MS),
  );
  app.addHook('onClose', () => categoryCache.close());
  const categories = categoryService(db, { cache: categoryCache.cache });
  await app.register(categoryRoutes, { prefix: '/v1', categories });
  // /v2 sits in the same kit scope as /v1 (CORS, auth, rate limit, problem+json 404); only
  // the category list has a v2 so far, and /v1/categories points at it (Deprecation, Sunset).
  await app.register(categoryRoutesV2, { prefix: '/v2', categories });
  // GET /v1/products/:id through the two-tier cache; its subscriber connection and the cache
  // close with this scope, before the kit's request connection (registered earlier).
  const productCache = await openProductCache(
    cacheOptions(config.PRODUCT_CACHE_TTL_MS, config.PRODUCT_CACHE_LOCAL_TTL_MS),
  );
  app.addHook('onClose', () => productCache.close());
  const products = productService(db, { cache: productCache.cache });
  await app.register(productRoutes, { prefix: '/v1', products });
  await app.register(imageRoutes, { prefix: '/v1', images: imageService(db) });
  await app.register(inventoryRoutes, { prefix: '/v1', inventory: inventoryService(db) });
  // One search service for REST and GraphQL, so both count toward popular searches.
  const search = searchService(db, { redis: app.redis, prefix: config.REDIS_PREFIX, log: app.log });
  await app.register(searchRoutes, { prefix: '/v1', search });
  // GraphQL (/graphql) over the same services, in the same kit scope as /v1: one read graph,
  // batched per-product fields, depth and cost limits. GraphiQL only with GRAPHQL_IDE.
  await app.register(graphqlRoutes, {
    products,
    categories,
    search,
    batch: batchReads(db),
    ide: config.GRAPHQL_IDE,
  });

  // Held reservations past their deadline give their stock back. Every replica sweeps; SKIP
  // LOCKED lets them share the work. The jobs service will take this over as a repeatable job.
  if (config.RESERVATION_EXPIRY_INTERVAL_MS > 0) {
    const sweep = startExpirySweep(db, {
      intervalMs: config.RESERVATION_EXPIRY_INTERVAL_MS,
      log: app.log,
    });
    // This scope closes before the pool (registered earlier, closed later), so a sweep in
    // flight still has its connections.
    app.addHook('onClose', () => sweep.stop());
  }

  // Events in catalog.outbox (low stock) go to BullMQ for the jobs service. Every replica
  // relays; SKIP LOCKED claims let them share the work (docs/outbox.md). The relay has its
  // own producer connection, closed by stop() after the batch in flight, before the pool.
  if (config.OUTBOX_RELAY_INTERVAL_MS > 0) {
    const relay = createOutboxRelay({
      db,
      table: outbox,
      contracts: [catalogEvents],
      redisUrl: config.REDIS_URL,
      prefix: queuePrefix(config.REDIS_PREFIX),
      name: 'catalog',
      intervalMs: config.OUTBOX_RELAY_INTERVAL_MS,
      batchSize: config.OUTBOX_RELAY_BATCH_SIZE,
      retentionMs: config.OUTBOX_RETENTION_MS,
      log: app.log,
      registry: app.metrics.registry,
    });
    relay.start();
    app.addHook('onClose', () => relay.stop());
  }
};

export async function buildApp(config: Config): Promise<ServiceInstance> {
  return createService({
    name: 'catalog',
    version: '0.1.0',
    description: 'Products, categories and inventory.',
    config,
    routes: catalogService,
    routesOptions: { config },
  });
}
