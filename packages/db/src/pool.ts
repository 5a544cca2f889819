// The pg pool and drizzle client as a Fastify plugin: created when the app starts (never on
// import), sized by config, with timeouts so a stuck database fails requests instead of
// hanging them, and closed on shutdown. See docs/database.md.
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

export interface PoolSettings {
  connectionString: string;
  max: number;
  /** Name shown in pg_stat_activity.application_name. */
  applicationName: string;
  statementTimeoutMs?: number;
  connectionTimeoutMs?: number;
}

export function createPool(s: PoolSettings): pg.Pool {
  const pool = new pg.Pool({
    connectionString: s.connectionString,
    max: s.max,
    application_name: s.applicationName,
    connectionTimeoutMillis: s.connectionTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    statement_timeout: s.statementTimeoutMs ?? 5_000,
    query_timeout: (s.statementTimeoutMs ?? 5_000) + 1_000,
  });
  // An idle client whose server went away emits 'error' on the pool; without a listener
  // that would crash the process. The pool drops the client and makes a new one later.
  pool.on('error', () => {});
  return pool;
}

/** Gauges read from the pool at scrape time: cheap, and always current. */
export function registerPoolMetrics(pool: pg.Pool, registry: Registry): void {
  const gauge = (name: string, help: string, read: () => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read());
      },
    });
  gauge('db_pool_connections_total', 'Connections open in the pool', () => pool.totalCount);
  gauge('db_pool_connections_idle', 'Idle connections in the pool', () => pool.idleCount);
  gauge('db_pool_requests_waiting', 'Queries waiting for a connection', () => pool.waitingCount);
}

/** Round trip to the server with a deadline, for readiness checks. */
export async function pingPool(pool: pg.Pool, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`postgres did not answer in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    await Promise.race([pool.query('SELECT 1'), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    pg: pg.Pool;
  }
}

export interface DbPluginOptions extends PoolSettings {
  /** Where the pool gauges go (the app's metrics registry). */
  registry?: Registry;
}

const dbPluginImpl: FastifyPluginAsync<DbPluginOptions> = async (app, opts) => {
  const pool = createPool(opts);
  app.decorate('pg', pool);
  if (opts.registry) registerPoolMetrics(pool, opts.registry);
  app.addHook('onClose', async () => {
    await pool.end();
  });
};

/** Registers `app.pg`; each service builds its own typed drizzle client over it. */
export const dbPlugin = fp(dbPluginImpl, { name: '@meridian/db', fastify: '5.x' });

export function createDb<TSchema extends Record<string, unknown>>(
  pool: pg.Pool,
  schema: TSchema,
): NodePgDatabase<TSchema> {
  // camelCase in TypeScript, snake_case in SQL: the same rule drizzle-kit generates with.
  return drizzle(pool, { schema, casing: 'snake_case' });
}
