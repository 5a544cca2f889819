// The circuit breaker against a real callee: it opens after repeated failures and then
// spares the network, half-opens after resetTimeoutMs, lets one trial through, and is not
// moved by 4xx answers. The breaker_state gauge follows it.
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ServiceCallError, ServiceUnavailableError } from '../src/index.ts';
import {
  type Callee,
  closedPort,
  failure,
  metricValue,
  PROBLEM,
  startCallee,
  testClient,
} from './helpers.ts';

let callee: Callee;
beforeAll(async () => {
  callee = await startCallee();
});
afterAll(() => callee.close());
beforeEach(() => {
  callee.requests.length = 0;
});

const post = { method: 'POST', path: '/v1/inventory/reservations', body: {} } as const;
const gauge = (registry: Registry) =>
  metricValue(registry, 'service_client_breaker_state', { callee: 'catalog' });

describe('circuit breaker', () => {
  it('opens after the threshold; then calls fail at once, with Retry-After, and never reach the callee', async () => {
    const registry = new Registry();
    const client = testClient(callee.url, {
      registry,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 5_000 },
    });
    callee.respond({ status: 503 });
    for (let i = 0; i < 2; i++) {
      await failure(client.request({ ...post, idempotent: false }));
    }
    expect(client.breakerState).toBe('closed'); // 2 attempts: below the volume threshold
    await failure(client.request({ ...post, idempotent: false }));
    expect(client.breakerState).toBe('open');
    expect(await gauge(registry)).toBe(2);
    expect(callee.hits).toBe(3);

    const started = performance.now();
    const err = await failure(client.request({ ...post, idempotent: true }));
    expect(performance.now() - started).toBeLessThan(100);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    const open = err as ServiceUnavailableError;
    expect(open.reason).toBe('breaker-open');
    expect(open.headers).toEqual({ 'retry-after': '5' }); // until half-open, rounded up
    expect(callee.hits).toBe(3);
    expect(
      await metricValue(registry, 'service_client_requests_total', { outcome: 'breaker_open' }),
    ).toBe(1);
  });

  it('stops a retry loop as soon as it opens', async () => {
    const client = testClient(callee.url, {
      retries: { attempts: 5, baseDelayMs: 10, maxDelayMs: 20 },
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 5_000 },
    });
    callee.respond({ status: 503 });
    const err = (await failure(
      client.request({ ...post, idempotent: true }),
    )) as ServiceUnavailableError;
    expect(err.reason).toBe('breaker-open');
    expect(callee.hits).toBe(3);
  });

  it('counts refused connections and timeouts as failures', async () => {
    const refused = testClient(await closedPort(), {
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 5_000 },
    });
    await failure(refused.request({ method: 'GET', path: '/x', idempotent: true }));
    expect(refused.breakerState).toBe('open');

    callee.respond({ status: 200, delayMs: 500, body: {} });
    const slow = testClient(callee.url, {
      timeoutMs: 50,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 5_000 },
    });
    await failure(slow.request({ method: 'GET', path: '/x', idempotent: true }));
    expect(slow.breakerState).toBe('open');
  });

  it('half-opens after resetTimeoutMs and closes when the trial succeeds', async () => {
    const registry = new Registry();
    const client = testClient(callee.url, {
      registry,
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 200 },
    });
    callee.respond({ status: 503 });
    await failure(client.request({ ...post, idempotent: false }));
    await failure(client.request({ ...post, idempotent: false }));
    expect(client.breakerState).toBe('open');

    await sleep(260);
    expect(client.breakerState).toBe('half-open');
    expect(await gauge(registry)).toBe(1);

    callee.respond({ status: 201, body: { id: 'r1' } });
    const res = await client.request<{ id: string }>({ ...post, idempotent: false });
    expect(res.body.id).toBe('r1');
    expect(client.breakerState).toBe('closed');
    expect(await gauge(registry)).toBe(0);
    expect(callee.hits).toBe(3);
  });

  it('reopens when the half-open trial fails, without retrying past it', async () => {
    const client = testClient(callee.url, {
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 200 },
    });
    callee.respond({ status: 503 });
    await failure(client.request({ ...post, idempotent: false }));
    await failure(client.request({ ...post, idempotent: false }));
    await sleep(260);
    expect(client.breakerState).toBe('half-open');

    const err = (await failure(
      client.request({ ...post, idempotent: true }), // 3 attempts allowed…
    )) as ServiceUnavailableError;
    expect(callee.hits).toBe(3); // …but only the trial went out
    expect(err.reason).toBe('breaker-open');
    expect(client.breakerState).toBe('open');
  });

  it('lets a single trial through while half-open; concurrent calls fail fast', async () => {
    const client = testClient(callee.url, {
      breaker: { volumeThreshold: 2, errorThresholdPercentage: 50, resetTimeoutMs: 200 },
    });
    callee.respond({ status: 503 });
    await failure(client.request({ ...post, idempotent: false }));
    await failure(client.request({ ...post, idempotent: false }));
    await sleep(260);

    callee.respond({ status: 200, delayMs: 100, body: { ok: true } });
    const trial = client.request({ method: 'GET', path: '/x', idempotent: true });
    const other = await failure(client.request({ method: 'GET', path: '/x', idempotent: true }));
    expect((other as ServiceUnavailableError).reason).toBe('breaker-open');
    expect((await trial).status).toBe(200);
    expect(client.breakerState).toBe('closed');
    expect(callee.hits).toBe(3);
  });

  it('is not moved by 4xx answers: the callee is working, it said no', async () => {
    const registry = new Registry();
    const client = testClient(callee.url, {
      registry,
      breaker: { volumeThreshold: 3, errorThresholdPercentage: 50, resetTimeoutMs: 5_000 },
    });
    callee.respond({ status: 409, contentType: PROBLEM, body: { code: 'insufficient-stock' } });
    for (let i = 0; i < 6; i++) {
      const err = await failure(client.request({ ...post, idempotent: true }));
      expect(err).toBeInstanceOf(ServiceCallError);
    }
    expect(client.breakerState).toBe('closed');
    expect(await gauge(registry)).toBe(0);
    expect(callee.hits).toBe(6);
    expect(
      await metricValue(registry, 'service_client_requests_total', { outcome: 'client_error' }),
    ).toBe(6);
  });
});

describe('metrics registration', () => {
  it('is idempotent: several clients, even for one callee, share one registry', async () => {
    const registry = new Registry();
    callee.respond({ status: 200, body: {} });
    const a = testClient(callee.url, { registry });
    const b = testClient(callee.url, { registry });
    const auth = testClient(callee.url, { registry, name: 'auth' });
    await a.request({ method: 'GET', path: '/x', idempotent: true });
    await b.request({ method: 'GET', path: '/x', idempotent: true });
    await auth.request({ method: 'GET', path: '/x', idempotent: true });
    const success = (callee: string) =>
      metricValue(registry, 'service_client_requests_total', {
        callee,
        method: 'GET',
        outcome: 'success',
      });
    expect(await success('catalog')).toBe(2);
    expect(await success('auth')).toBe(1);
    const text = await registry.metrics();
    expect(text).toContain('service_client_breaker_state{callee="auth"} 0');
    expect(text).toContain('service_client_request_duration_seconds_bucket');
  });
});
