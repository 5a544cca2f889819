// Small helpers the jobs component tests share: polling, SQL on the test database, and a
// logger that keeps what it is given.
import { createService, type ServiceInstance } from '@meridian/service-kit';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { jobsService } from '../../src/app.ts';
import type { Config } from '../../src/config.ts';
import type { JobQueues } from '../../src/queues/queues.plugin.ts';

/**
 * buildApp for a test that needs the service's queues: the real jobs service, plus `extra`
 * run in the same scope (app.queues lives inside the service's encapsulated API scope).
 */
export function jobsAppWith(extra: (queues: JobQueues, app: FastifyInstance) => void) {
  return (config: Config): Promise<ServiceInstance> =>
    createService({
      name: 'jobs',
      version: '0.1.0',
      description: 'jobs under test',
      config,
      routes: async (app, opts: { config: Config }) => {
        await jobsService(app, opts);
        extra(app.queues, app);
      },
      routesOptions: { config },
    });
}

/** Polls `probe` until `done` holds for its value, or throws after `timeoutMs`. */
export async function waitFor<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  { timeoutMs = 10_000, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}; last value: ${JSON.stringify(value)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function query<R extends pg.QueryResultRow>(
  url: string,
  sql: string,
  params: unknown[] = [],
): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

export interface LogLine {
  level: string;
  msg?: string;
  [key: string]: unknown;
}

/** A pino-shaped logger that records every line with its bindings. */
export function captureLogger(lines: LogLine[] = [], bindings: Record<string, unknown> = {}) {
  const at =
    (level: string) =>
    (obj?: unknown, msg?: string): void => {
      const fields = typeof obj === 'object' && obj !== null ? obj : {};
      const text = typeof obj === 'string' ? obj : msg;
      lines.push({ ...bindings, ...fields, level, msg: text });
    };
  const logger = {
    lines,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more: Record<string, unknown>) => captureLogger(lines, { ...bindings, ...more }),
  };
  return logger;
}
