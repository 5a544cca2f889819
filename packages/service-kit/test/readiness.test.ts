// Readiness follows the dependencies: when Postgres or Redis goes away, /health/ready says
// 503 naming it while /health/live stays 200; when it comes back, ready is 200 again with no
// restart. The outage is made by a TCP proxy the test cuts, never by stopping the shared
// servers.
import { ADMIN_DATABASE_URL, createTcpProxy, type TcpProxy } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceInstance } from '../src/index.ts';
import { buildFixture, fixtureConfig } from './fixtures/fixture-app.ts';

let pgProxy: TcpProxy;
let redisProxy: TcpProxy;
let app: ServiceInstance;

beforeAll(async () => {
  pgProxy = await createTcpProxy({ host: '127.0.0.1', port: 5432 });
  redisProxy = await createTcpProxy({ host: '127.0.0.1', port: 6379 });
  const dbUrl = new URL(ADMIN_DATABASE_URL);
  dbUrl.port = String(pgProxy.port);
  dbUrl.hostname = '127.0.0.1';
  app = await buildFixture(
    fixtureConfig({
      DATABASE_URL: dbUrl.toString(),
      REDIS_URL: `redis://127.0.0.1:${redisProxy.port}`,
    }),
  );
  await app.ready();
});

afterAll(async () => {
  await app.close();
  await pgProxy.close();
  await redisProxy.close();
});

async function readyUntil(status: number, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await app.inject({ url: '/health/ready' });
    if (res.statusCode === status || Date.now() > deadline) return res;
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe.each([
  ['postgres', () => pgProxy],
  ['redis', () => redisProxy],
] as const)('when %s becomes unreachable', (dependency, proxy) => {
  it('is ready before the outage', async () => {
    expect((await readyUntil(200)).statusCode).toBe(200);
  });

  it('answers ready 503 naming it, and live 200', async () => {
    await proxy().cut();
    const res = await readyUntil(503);
    expect(res.statusCode).toBe(503);
    expect(res.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const body = res.json();
    expect(body).toMatchObject({ code: 'not-ready', failing: [dependency] });
    expect(body.checks[dependency]).toBe('down');
    expect(body.detail).toContain(dependency);
    expect((await app.inject({ url: '/health/live' })).statusCode).toBe(200);
  });

  it('keeps serving requests that do not need it (rate limiting fails open, fast)', async () => {
    const started = Date.now();
    const res = await app.inject({ url: '/v1/widgets/1' });
    if (dependency === 'redis') {
      expect(res.statusCode).toBe(200);
      expect(Date.now() - started).toBeLessThan(300);
    } else {
      expect(res.statusCode).toBe(200); // this route never touches Postgres
    }
  });

  it('is ready again once it comes back, without a restart', async () => {
    await proxy().restore();
    const res = await readyUntil(200);
    expect(res.statusCode).toBe(200);
    expect(res.json().checks[dependency]).toBe('up');
  });
});
