// Rate limits live in Redis, so two replicas of a service draw on ONE budget per client:
// a client can't multiply its allowance by the number of instances.
import { uniquePrefix } from '@meridian/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceInstance } from '../src/index.ts';
import { buildFixture, fixtureConfig } from './fixtures/fixture-app.ts';

const shared = { RATE_LIMIT_MAX: '5', RATE_LIMIT_WINDOW_MS: '60000' };
let replicaA: ServiceInstance;
let replicaB: ServiceInstance;
let otherService: ServiceInstance;

beforeAll(async () => {
  const prefix = uniquePrefix('rl'); // both replicas: same service, same Redis, same prefix
  replicaA = await buildFixture(fixtureConfig({ ...shared, REDIS_PREFIX: prefix }));
  replicaB = await buildFixture(fixtureConfig({ ...shared, REDIS_PREFIX: prefix }));
  otherService = await buildFixture(fixtureConfig({ ...shared, REDIS_PREFIX: uniquePrefix('rl') }));
});
afterAll(async () => {
  await Promise.all([replicaA.close(), replicaB.close(), otherService.close()]);
});

const hit = (app: ServiceInstance, ip = '203.0.113.7') =>
  app.inject({ url: '/v1/widgets/1', remoteAddress: ip });

describe('rate limiting shared across instances', () => {
  it('counts requests to both replicas against one budget, then answers 429 problem+json', async () => {
    const statuses: number[] = [];
    for (const app of [replicaA, replicaB, replicaA, replicaB, replicaA]) {
      const res = await hit(app);
      statuses.push(res.statusCode);
    }
    expect(statuses).toEqual([200, 200, 200, 200, 200]);

    const first = await hit(replicaA);
    expect(first.headers['ratelimit-limit']).toBe('5');
    expect(first.statusCode).toBe(429);
    const limited = await hit(replicaB);
    expect(limited.statusCode).toBe(429);
    expect(limited.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    expect(limited.headers['ratelimit-remaining']).toBe('0');
    expect(limited.json()).toMatchObject({ status: 429, code: 'rate-limited' });
  });

  it('keeps separate budgets per client IP', async () => {
    expect((await hit(replicaA, '203.0.113.99')).statusCode).toBe(200);
  });

  it('keeps separate budgets per prefix (another deployment or test)', async () => {
    expect((await hit(otherService)).statusCode).toBe(200);
  });

  it('counts unknown routes too, so scanning for URLs spends the budget', async () => {
    const scanner = '203.0.113.50';
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      statuses.push(
        (await replicaA.inject({ url: `/wp-admin/${i}`, remoteAddress: scanner })).statusCode,
      );
    }
    expect(statuses).toEqual([404, 404, 404, 404, 404, 429]);
  });

  it('keys on the client address a trusted proxy reports, and only a trusted one', async () => {
    // TRUST_PROXY defaults to loopback: a proxy on 127.0.0.1 may say who the client is.
    const viaProxy = (client: string) =>
      otherService.inject({
        url: '/v1/widgets/1',
        remoteAddress: '127.0.0.1',
        headers: { 'x-forwarded-for': client },
      });
    for (let i = 0; i < 5; i++) expect((await viaProxy('198.51.100.1')).statusCode).toBe(200);
    expect((await viaProxy('198.51.100.1')).statusCode).toBe(429);
    expect((await viaProxy('198.51.100.2')).statusCode).toBe(200);

    // Anyone else cannot dodge the limit by inventing X-Forwarded-For headers.
    const spoof = (i: number) =>
      otherService.inject({
        url: '/v1/widgets/1',
        remoteAddress: '203.0.113.77',
        headers: { 'x-forwarded-for': `10.0.0.${i}` },
      });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await spoof(i)).statusCode);
    expect(statuses.at(-1)).toBe(429);
  });

  it('lets a route opt out with config.rateLimit false, and only that route', async () => {
    const sender = '203.0.113.120';
    for (let i = 0; i < 8; i++) {
      const res = await replicaA.inject({
        method: 'POST',
        url: '/v1/hooks',
        remoteAddress: sender,
      });
      expect(res.statusCode).toBe(200);
    }
    // The same address is still limited everywhere else.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await hit(replicaA, sender)).statusCode);
    expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
  });

  it('never limits probes and scrapes', async () => {
    for (let i = 0; i < 8; i++) {
      expect(
        (await replicaA.inject({ url: '/health/live', remoteAddress: '203.0.113.7' })).statusCode,
      ).toBe(200);
    }
  });
});
