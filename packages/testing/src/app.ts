// The usual arrangement of a component test: a cloned database, a config built from the
// test environment through the service's own schema, and the service's buildApp. Returns
// a close() that tears all of it down.
import { loadConfig } from '@meridian/config';
import type { FastifyInstance } from 'fastify';
import type { Static, TObject } from 'typebox';
import { createTestDatabase, type TestDatabase } from './database.ts';
import { testEnv } from './env.ts';

export interface TestAppOptions<S extends TObject, A extends FastifyInstance> {
  schema: string;
  migrationsFolder: string;
  configSchema: S;
  buildApp: (config: Static<S>) => Promise<A>;
  env?: Record<string, string>;
}

export interface TestApp<A, C> {
  app: A;
  db: TestDatabase;
  config: C;
  close(): Promise<void>;
}

export async function createTestApp<S extends TObject, A extends FastifyInstance>(
  opts: TestAppOptions<S, A>,
): Promise<TestApp<A, Static<S>>> {
  const db = await createTestDatabase({
    schema: opts.schema,
    migrationsFolder: opts.migrationsFolder,
  });
  const config = loadConfig(opts.configSchema, testEnv({ DATABASE_URL: db.url, ...opts.env }));
  const app = await opts.buildApp(config);
  await app.ready();
  return {
    app,
    db,
    config,
    async close() {
      await app.close();
      await db.drop();
    },
  };
}
