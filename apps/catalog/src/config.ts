// The catalog service's environment: the kit's shared variables, its port, how often it
// sweeps expired stock reservations, how long product and category reads stay cached,
// GraphiQL, and the outbox relay's pace. Documented in docs/configuration.md.
import { BaseConfigSchema, portSchema } from '@meridian/config';
import { type Static, Type } from 'typebox';

export const ConfigSchema = Type.Object({
  ...BaseConfigSchema.properties,
  PORT: portSchema(3002),
  // GraphiQL at /graphiql and schema introspection on /graphql: a development aid, off unless
  // set (docs/rest-vs-graphql.md). The page loads its scripts from unpkg.com.
  GRAPHQL_IDE: Type.Boolean({ default: false }),
  // In-process until the jobs service runs the sweep as a repeatable job; 0 turns it off.
  RESERVATION_EXPIRY_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 3_600_000, default: 30_000 }),
  // Redis copy of GET /v1/products/:id. Every write invalidates it, so the TTL only bounds
  // memory and the damage of a lost invalidation (Redis down during a write).
  PRODUCT_CACHE_TTL_MS: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 300_000 }),
  // In-process copy in front of Redis: bounds how long an instance that missed an
  // invalidation message (subscriber reconnecting) can serve an old product. 0 turns it off.
  PRODUCT_CACHE_LOCAL_TTL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
  // The category list and tree (and breadcrumbs, walked from the list): the same two tiers,
  // the same meaning. Every category write invalidates both snapshots.
  CATEGORY_CACHE_TTL_MS: Type.Integer({ minimum: 1_000, maximum: 86_400_000, default: 300_000 }),
  CATEGORY_CACHE_LOCAL_TTL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
  // The outbox relay (docs/outbox.md): how often it looks for unpublished events, the
  // longest an event waits when it is idle; 0 turns it off (another process relays them).
  OUTBOX_RELAY_INTERVAL_MS: Type.Integer({ minimum: 0, maximum: 60_000, default: 1_000 }),
  OUTBOX_RELAY_BATCH_SIZE: Type.Integer({ minimum: 1, maximum: 1_000, default: 100 }),
  // Published events are kept this long (for inspection), then pruned.
  OUTBOX_RETENTION_MS: Type.Integer({ minimum: 0, maximum: 2_592_000_000, default: 604_800_000 }),
});

export type Config = Static<typeof ConfigSchema>;
