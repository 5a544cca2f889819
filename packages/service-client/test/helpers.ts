// Test fixtures: a real callee on 127.0.0.1 that answers a script of steps (delay, fail,
// reset the connection, problem+json…) and counts its hits, a port nobody listens on, and
// clients with small timeouts that are closed after each test.
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify from 'fastify';
import type { Registry } from 'prom-client';
import { afterEach } from 'vitest';
import {
  createServiceClient,
  type ServiceClient,
  type ServiceClientOptions,
} from '../src/index.ts';

export interface Step {
  status?: number;
  /** Sent as JSON. */
  body?: unknown;
  /** Sent as is, instead of body. */
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  /** Destroy the socket instead of answering (ECONNRESET / "other side closed"). */
  reset?: boolean;
  /** Send the status line, headers and half a body, then nothing more. */
  stallBody?: boolean;
}

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

export interface Callee {
  url: string;
  /** Requests received so far. */
  readonly hits: number;
  readonly requests: SeenRequest[];
  /** Answer the next hits with these steps in turn; the last one repeats. */
  respond(...steps: Step[]): void;
  close(): Promise<void>;
}

export const PROBLEM = 'application/problem+json; charset=utf-8';

export async function startCallee(): Promise<Callee> {
  // forceCloseConnections: a test that left a slow request hanging must not hold close().
  const app = Fastify({ forceCloseConnections: true });
  let steps: Step[] = [{ status: 200, body: { ok: true } }];
  const requests: SeenRequest[] = [];
  app.all('/*', async (request, reply) => {
    requests.push({
      method: request.method,
      url: request.url,
      headers: request.headers,
      body: request.body,
    });
    const step = (steps.length > 1 ? steps.shift() : steps[0]) ?? {};
    if (step.delayMs) await sleep(step.delayMs);
    if (step.reset) {
      reply.hijack();
      request.raw.socket.destroy();
      return;
    }
    if (step.stallBody) {
      reply.hijack();
      reply.raw.writeHead(step.status ?? 200, { 'content-type': 'application/json' });
      reply.raw.write('{"items":[');
      return;
    }
    reply.code(step.status ?? 200).headers(step.headers ?? {});
    if (step.raw !== undefined) return reply.type(step.contentType ?? 'text/plain').send(step.raw);
    if (step.body === undefined) return reply.send();
    return reply.type(step.contentType ?? 'application/json').send(JSON.stringify(step.body));
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = app.server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return requests.length;
    },
    requests,
    respond(...next) {
      steps = next;
    },
    close: () => app.close(),
  };
}

/** A loopback port that was free a moment ago and has no listener: connection refused. */
export async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const open: ServiceClient[] = [];
afterEach(() => {
  for (const client of open.splice(0)) client.close();
});

/** A client with test-sized settings; the breaker effectively off unless a test sets it. */
export function testClient(
  baseUrl: string,
  overrides: Partial<ServiceClientOptions> = {},
): ServiceClient {
  const client = createServiceClient({
    name: 'catalog',
    baseUrl,
    // Generous: on a CI machine running every suite at once, a local request can take a
    // second to be answered. Tests about timeouts set their own.
    timeoutMs: 2_000,
    retries: { attempts: 3, baseDelayMs: 10, maxDelayMs: 50 },
    breaker: { volumeThreshold: 1_000, resetTimeoutMs: 300, rollingCountTimeoutMs: 10_000 },
    ...overrides,
  });
  open.push(client);
  return client;
}

/** Rejection of a promise, for assertions on the error object itself. */
export async function failure(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to reject');
}

/** The value of one labelled series, 0 when absent; `series` picks e.g. a histogram's _count. */
export async function metricValue(
  registry: Registry,
  name: string,
  labels: Record<string, string>,
  series = name,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  const hit = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === series &&
      Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want),
  );
  return hit?.value ?? 0;
}
